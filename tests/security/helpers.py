"""Signing in as a person does: through the forms, with the factories' password."""

from __future__ import annotations

from django.urls import reverse

PASSWORD = "secret-pass-123"  # the factories' password
ADMIN_LOGIN = reverse("admin:login")
