from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_role_groups(sender: AppConfig, **kwargs: Any) -> None:
    from reviewers.services import ensure_role_groups

    ensure_role_groups()


class ReviewersConfig(AppConfig):
    name = "reviewers"
    verbose_name = "Medical Advisory Board"

    def ready(self) -> None:
        # Every installation needs the role groups, not only the demo: create them after migrate.
        post_migrate.connect(_create_role_groups, sender=self)
