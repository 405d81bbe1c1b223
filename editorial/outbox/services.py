"""Writing outbox messages, publishing them once their transaction commits, and relaying the rest."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from editorial.outbox import publisher
from editorial.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# What of the change's logging context a message carries to the task it becomes.
LOG_CONTEXT_KEYS = ("request_id", "user_id")

_held_back: ContextVar[list[OutboxMessage] | None] = ContextVar("outbox_held_back", default=None)


def enqueue(*, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Record a side effect the current change owes, in the change's transaction. Once the
    transaction commits, the message is handed to the broker within the publish budget; if that
    cannot be done (broker down or slow), it stays pending for the relay. A rolled-back change
    leaves no message."""
    if topic not in publisher.TASKS:
        raise ValueError(f"Unknown outbox topic {topic!r}; add it to editorial.outbox.publisher.TASKS.")
    context = structlog.contextvars.get_contextvars()
    message = OutboxMessage.objects.create(
        topic=topic,
        payload=payload,
        log_context={key: context[key] for key in LOG_CONTEXT_KEYS if context.get(key) is not None},
    )
    held = _held_back.get()
    if held is not None:
        held.append(message)
    else:
        # robust: the change has committed; nothing the publication does may fail the caller.
        transaction.on_commit(lambda: publish_committed([message]), robust=True)
    return message


def publish_committed(messages: list[OutboxMessage]) -> int:
    """Try to publish committed messages now, within the budget; returns how many went out."""
    sent = publisher.inline.publish([(message.pk, message.topic, message.payload) for message in messages])
    if sent:
        OutboxMessage.objects.filter(pk__in=sent, published_at__isnull=True).update(
            published_at=timezone.now()
        )
    return len(sent)


@contextmanager
def held_back() -> Iterator[list[OutboxMessage]]:
    """Within this block, messages are written but not published; the block yields them. For work
    on a scratch database (the benchmarks): a worker on the configured broker would look the
    messages' ids up in the real one."""
    held: list[OutboxMessage] = []
    token = _held_back.set(held)
    try:
        yield held
    finally:
        _held_back.reset(token)


@dataclass(frozen=True)
class RelayResult:
    published: int
    failed: int
    remaining: int
    purged: int


def relay(*, limit: int | None = None, now: datetime.datetime | None = None) -> RelayResult:
    """Publish pending messages, oldest first, up to ``limit``. Messages younger than the
    publishing grace period are left to the request that wrote them. On PostgreSQL the rows are
    claimed with ``FOR UPDATE SKIP LOCKED``, so several relays never publish one message at once.
    Stops at the first failure (the broker is down: the next run tries again). Also deletes
    messages published more than ``OUTBOX_RETENTION_DAYS`` ago."""
    now = now or timezone.now()
    limit = limit or settings.OUTBOX_RELAY_BATCH_SIZE
    grace = datetime.timedelta(milliseconds=settings.OUTBOX_PUBLISH_BUDGET_MS) + datetime.timedelta(seconds=1)
    published = failed = 0
    while published < limit:
        batch = min(100, limit - published)
        with transaction.atomic():
            pending = OutboxMessage.objects.filter(published_at__isnull=True, created_at__lte=now - grace)
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            messages = list(pending.order_by("created_at", "pk")[:batch])
            if not messages:
                break
            for message in messages:
                try:
                    publisher.send(message.topic, message.payload, message.log_context)
                except Exception as error:  # noqa: BLE001 - recorded on the row; the next run retries
                    message.attempts += 1
                    message.last_error = repr(error)[:2000]
                    message.save(update_fields=["attempts", "last_error"])
                    failed += 1
                    logger.warning(
                        "event=outbox_relay_failed message=%s topic=%s attempts=%d error=%r",
                        message.pk,
                        message.topic,
                        message.attempts,
                        error,
                    )
                    break
                message.published_at = timezone.now()
                message.save(update_fields=["published_at"])
                published += 1
        if failed:
            break
    remaining = OutboxMessage.objects.filter(published_at__isnull=True).count()
    cutoff = now - datetime.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    purged, _ = OutboxMessage.objects.filter(published_at__lt=cutoff).delete()
    return RelayResult(published=published, failed=failed, remaining=remaining, purged=purged)
