from __future__ import annotations

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "editorial.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # Registered in every process, not only in workers (which find tasks modules themselves),
        # so that beat's schedule names a task each process knows.
        from editorial.observability import tasks  # noqa: F401
