"""Delivering webhook events: claim what is due, send it signed, record the attempt, reschedule.

Guarantees (docs/webhooks.md): every event is delivered to every endpoint subscribed when it was
recorded **at least once** while the endpoint accepts it within the retry schedule; a receiver
may see an event more than once (a worker that dies after the receiver answered, a manual
redelivery) and drops repeats by ``webhook-id``. Deliveries are claimed with ``SELECT ... FOR
UPDATE SKIP LOCKED`` (PostgreSQL) and moved ahead by a lease in the claiming transaction, so two
workers never send the same delivery at once; one that dies mid-attempt leaves the delivery due
again when the lease ends. A claim takes due deliveries in the order their events were recorded,
so an endpoint receives events in that order unless a retry is waiting (then later events go
ahead of it: order by the event's ``timestamp`` or the version number, not by arrival).
"""

from __future__ import annotations

import datetime
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks import Webhook

from editorial.outbox import publisher
from editorial.outbox.services import enqueue
from editorial.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from editorial.webhooks.services import transport

logger = logging.getLogger(__name__)

# Deliveries claimed per transaction: small, so that several workers share a backlog and a claim
# that dies with its worker leaves little waiting for the lease to end.
CLAIM_BATCH = 20


def body(event: WebhookEvent) -> str:
    """The request body: the Standard Webhooks envelope, the same bytes on every attempt."""
    envelope = {
        "type": event.type,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def headers(
    *, event: WebhookEvent, endpoint: WebhookEndpoint, payload: str, now: datetime.datetime
) -> dict[str, str]:
    """The Standard Webhooks headers: the event's stable id, the attempt's time and one ``v1``
    signature per valid secret (two while a rotation's overlap lasts), space-separated."""
    at = now.astimezone(datetime.UTC)
    signatures = [
        Webhook(secret).sign(msg_id=event.webhook_id, timestamp=at, data=payload)
        for secret in endpoint.signing_secrets(now)
    ]
    return {
        "content-type": "application/json",
        "user-agent": "editorial-review-webhooks/1",
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def retry_delay(failures: int) -> datetime.timedelta | None:
    """How long to wait after the ``failures``-th failure in a row (from 1), with jitter (the
    delay shortened by up to WEBHOOK_RETRY_JITTER of itself, so that many deliveries that failed
    together do not come back together); None when the schedule is exhausted (give up)."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    if failures > len(schedule):
        return None
    seconds = schedule[failures - 1]
    jitter = random.uniform(0, settings.WEBHOOK_RETRY_JITTER) * seconds  # noqa: S311 - not security
    return datetime.timedelta(seconds=seconds - jitter)


def _lease() -> datetime.timedelta:
    """How long a claimed delivery is not due for anyone else: the longest an attempt can take,
    and a margin."""
    return datetime.timedelta(
        seconds=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS + settings.WEBHOOK_READ_TIMEOUT_SECONDS + 60
    )


@transaction.atomic
def _claim(*, event_ids: Sequence[int] | None, limit: int, now: datetime.datetime) -> list[WebhookDelivery]:
    due = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    )
    if event_ids is not None:
        due = due.filter(event_id__in=list(event_ids))
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    claimed = list(due.select_related("event", "endpoint").order_by("event_id", "pk")[:limit])
    if claimed:
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(next_attempt_at=now + _lease())
    return claimed


def attempt(delivery: WebhookDelivery) -> WebhookAttempt | None:
    """Send one claimed delivery now and record the attempt and what follows from it: delivered,
    due again after the schedule's next delay, or failed (the schedule is exhausted; the chiefs
    are told once that commits)."""
    now = timezone.now()
    payload = body(delivery.event)
    outcome = transport.post(
        delivery.endpoint.url,
        payload.encode(),
        headers(event=delivery.event, endpoint=delivery.endpoint, payload=payload, now=now),
    )
    return record_outcome(delivery=delivery, outcome=outcome, at=now)


@transaction.atomic
def record_outcome(
    *, delivery: WebhookDelivery, outcome: transport.Outcome, at: datetime.datetime
) -> WebhookAttempt | None:
    # Read again under lock: a manual redelivery may have reset it while the attempt ran, or the
    # endpoint been deleted (with its deliveries).
    current = WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
    if current is None:
        logger.info("event=webhook_attempt_dropped delivery=%s (its endpoint was deleted)", delivery.pk)
        return None
    current.attempts += 1
    current.last_attempt_at = at
    if outcome.succeeded:
        current.status = DeliveryStatus.DELIVERED
        current.delivered_at = timezone.now()
        current.failures = 0
    else:
        current.failures += 1
        delay = retry_delay(current.failures)
        if delay is None:
            current.status = DeliveryStatus.FAILED
            current.failed_at = timezone.now()
            enqueue(topic=publisher.ALERT_FAILED_WEBHOOKS, payload={"endpoint_ids": [current.endpoint_id]})
        else:
            current.next_attempt_at = timezone.now() + delay
    current.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "status",
            "delivered_at",
            "failures",
            "failed_at",
            "next_attempt_at",
        ]
    )
    logger.info(
        "event=webhook_attempt delivery=%s webhook_id=%s endpoint=%s attempt=%d status_code=%s "
        "latency_ms=%d outcome=%s",
        current.pk,
        delivery.event.webhook_id,
        current.endpoint_id,
        current.attempts,
        outcome.status_code,
        outcome.latency_ms,
        current.status,
    )
    return WebhookAttempt.objects.create(
        delivery=current,
        endpoint_id=current.endpoint_id,
        number=current.attempts,
        attempted_at=at,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.response_excerpt,
        error=outcome.error,
        succeeded=outcome.succeeded,
    )


@dataclass(frozen=True)
class DeliveryRun:
    attempted: int
    delivered: int
    retrying: int
    failed: int


def deliver_due(
    *, event_ids: Sequence[int] | None = None, limit: int | None = None, now: datetime.datetime | None = None
) -> DeliveryRun:
    """Attempt every due delivery (only those of ``event_ids`` when given), up to ``limit``, a
    claimed batch at a time, in the order their events were recorded."""
    limit = limit or settings.WEBHOOK_DELIVERY_BATCH_SIZE
    attempted = delivered = retrying = failed = 0
    while attempted < limit:
        claimed = _claim(
            event_ids=event_ids, limit=min(CLAIM_BATCH, limit - attempted), now=now or timezone.now()
        )
        if not claimed:
            break
        for delivery in claimed:
            result = attempt(delivery)
            attempted += 1
            if result is None:
                continue
            if result.succeeded:
                delivered += 1
            elif result.delivery.status == DeliveryStatus.FAILED:
                failed += 1
            else:
                retrying += 1
    return DeliveryRun(attempted=attempted, delivered=delivered, retrying=retrying, failed=failed)
