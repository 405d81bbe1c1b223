from __future__ import annotations

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "config.security"
    label = "security"
    verbose_name = "Sign-in security"

    def ready(self) -> None:
        from config.security import checks  # noqa: F401 - registers the deploy check
