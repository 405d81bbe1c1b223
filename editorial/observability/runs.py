"""The last run of each task, recorded where every process can read it (the database: the
default cache is per process)."""

from __future__ import annotations

import logging

from django.utils import timezone

from editorial.observability.models import LastRun

logger = logging.getLogger(__name__)

BEAT_HEARTBEAT = "beat_heartbeat"


def record_run(name: str, seconds: float) -> None:
    """Upsert ``name``'s last run in one statement. A failure is logged, not raised: the task's
    own work is done and must not fail or be retried for the sake of a metric."""
    try:
        LastRun.objects.bulk_create(
            [LastRun(name=name, finished_at=timezone.now(), seconds=seconds)],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["finished_at", "seconds"],
        )
    except Exception as error:  # whatever it is, the task's work is done: log it and carry on
        logger.warning("event=task_run_not_recorded task=%s error=%r", name, error)
