from __future__ import annotations

from celery import shared_task

from editorial.observability.runs import BEAT_HEARTBEAT, record_run


@shared_task(acks_late=True, ignore_result=True)
def beat_heartbeat() -> None:
    """Queued by beat every HEALTH_BEAT_HEARTBEAT_SECONDS; its last run tells the readiness check
    that beat (and a worker) is alive."""
    record_run(BEAT_HEARTBEAT, 0.0)
