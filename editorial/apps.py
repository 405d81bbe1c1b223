from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _set_up_roles(sender: AppConfig, **kwargs: Any) -> None:
    from editorial.roles import ensure_roles

    ensure_roles()


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial review"

    def ready(self) -> None:
        # After this (the last) app is migrated every model's permissions exist: set up the roles.
        post_migrate.connect(_set_up_roles, sender=self)
        from editorial.integrity import receivers

        receivers.connect()
