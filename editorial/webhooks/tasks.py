"""The webhook tasks, thin edges over ``services``: deliver what a change recorded (queued through
the outbox), sweep everything due (beat), email the chiefs about failing endpoints."""

from __future__ import annotations

from celery import shared_task

from editorial.tasks import _RETRYING, _run
from editorial.webhooks.services import alerts, delivery


def _counts(run: delivery.DeliveryRun) -> dict[str, int]:
    return {
        "attempted": run.attempted,
        "delivered": run.delivered,
        "retrying": run.retrying,
        "failed": run.failed,
    }


@shared_task(**_RETRYING)
def deliver_webhooks(event_ids: list[int]) -> dict[str, int]:
    """Deliver these events to their endpoints now (queued when the change that recorded them
    commits). Safe to run twice: a delivery is claimed once and not due again once attempted."""
    return _run(
        "deliver_webhooks",
        lambda: _counts(delivery.deliver_due(event_ids=[int(pk) for pk in event_ids])),
    )


@shared_task(**_RETRYING)
def deliver_due_webhooks() -> dict[str, int]:
    """Every delivery due: retries whose time has come, and events whose outbox message or task
    was lost (beat: every WEBHOOK_SWEEP_EVERY_SECONDS)."""
    return _run("deliver_due_webhooks", lambda: _counts(delivery.deliver_due()))


@shared_task(**_RETRYING)
def alert_failed_webhooks(endpoint_ids: list[int]) -> dict[str, int]:
    """Email the chiefs about endpoints whose deliveries failed, once per endpoint per day."""
    return _run(
        "alert_failed_webhooks",
        lambda: {"emailed": alerts.send_failure_alerts(endpoint_ids=[int(pk) for pk in endpoint_ids])},
    )
