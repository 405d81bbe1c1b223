from __future__ import annotations

import logging

from celery import shared_task

from config.idempotency.services import purge_expired

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def purge_idempotency_keys() -> dict[str, int]:
    """Forget idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS (beat: hourly)."""
    deleted = purge_expired()
    logger.info("task=purge_idempotency_keys deleted=%d", deleted)
    return {"deleted": deleted}
