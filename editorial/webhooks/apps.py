from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "editorial.webhooks"
    label = "editorial_webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # The delivery tasks, registered with Celery under their names in the outbox's TASKS.
        from editorial.webhooks import tasks  # noqa: F401
