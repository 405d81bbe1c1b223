from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "config.idempotency"
    label = "idempotency"
    verbose_name = "Idempotent requests"

    def ready(self) -> None:
        # Registered in every process (beat's schedule names it), not only where Celery's
        # autodiscovery runs.
        from config.idempotency import tasks  # noqa: F401
