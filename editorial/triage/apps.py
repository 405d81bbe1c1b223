from __future__ import annotations

from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "editorial.triage"
    label = "editorial_triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        # The beat task, registered with Celery under its name in CELERY_BEAT_SCHEDULE.
        from editorial.triage import tasks  # noqa: F401
