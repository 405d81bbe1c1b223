"""Small helpers shared by the tests."""

from __future__ import annotations

from rest_framework.test import APIClient


def client_for(user=None) -> APIClient:
    """An API client signed in as ``user`` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
