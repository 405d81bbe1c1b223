"""Scheduled and queued work: thin edges that call a service, log one line and return counts.

Every task is idempotent (the services derive what is owed from the database and guard each
effect with a database constraint or row lock), acknowledged only once it has finished
(``acks_late``), and retried with exponential backoff and jitter when the database or the broker
fails in a way that may pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery import shared_task
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from editorial import reminders, staleness
from editorial.integrity import audit, revalidation
from editorial.observability.runs import record_run
from editorial.outbox import services as outbox
from editorial.staffing import services as staffing

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (DatabaseOperationalError, DatabaseInterfaceError, BrokerOperationalError)

_RETRYING = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _run(name: str, service: Callable[[], dict[str, int]]) -> dict[str, int]:
    started = time.monotonic()
    counts = service()
    seconds = time.monotonic() - started
    logger.info(
        "task=%s seconds=%.3f %s",
        name,
        seconds,
        " ".join(f"{key}={value}" for key, value in counts.items()),
        extra={"task": name, "counts": counts, "seconds": seconds},
    )
    # For the metrics, in the web process (editorial/observability/metrics.py).
    record_run(name, seconds)
    return counts


@shared_task(**_RETRYING)
def send_review_reminders() -> dict[str, int]:
    """Queue every notification and reminder owed now (beat: every REMINDERS_EVERY_MINUTES). A run
    that used up REMINDERS_TIME_BUDGET_SECONDS queues the next one at once, which resumes."""
    counts = _run("send_review_reminders", reminders.send_review_reminders)
    if counts.get(reminders.MORE):
        send_review_reminders.delay()
    return counts


@shared_task(**_RETRYING)
def send_emails(emails: list[dict]) -> dict[str, int]:
    """Send the emails the reminder sweep queued in one outbox message (each exactly once)."""
    return _run("send_emails", lambda: reminders.send_emails(emails=emails))


@shared_task(**_RETRYING)
def deliver_notifications(assignment_ids: list[int]) -> dict[str, int]:
    """Send the notifications owed for these assignments (queued when a workflow step commits)."""
    return _run(
        "deliver_notifications",
        lambda: reminders.send_notifications(assignment_ids=[int(pk) for pk in assignment_ids]),
    )


@shared_task(**_RETRYING)
def mark_stale_articles() -> dict[str, int]:
    """Expire the approvals whose review date has passed and open their re-reviews (beat: every
    STALENESS_SWEEP_EVERY_HOURS). A backlog larger than STALENESS_RE_REVIEWS_PER_RUN continues in
    a follow-up run queued at once, so no single run approaches the task time limit."""
    counts = _run("mark_stale_articles", staleness.mark_stale_articles)
    if counts["re_reviews_remaining"] and counts["re_reviews_opened"]:
        mark_stale_articles.delay()
    return counts


@shared_task(**_RETRYING)
def revalidate_approvals() -> dict[str, int]:
    """Re-check the approvals of members whose standing may have changed with the calendar alone
    (credentials lapsing, a declared conflict coming into force) (beat: daily)."""
    return _run("revalidate_approvals", revalidation.revalidate_board)


@shared_task(**_RETRYING)
def verify_approvals() -> dict[str, int]:
    """Audit every article that shows an approval; email the editors-in-chief about any
    violation (beat: daily)."""

    def run() -> dict[str, int]:
        report = audit.verify_approvals()
        if report.violations:
            logger.error(
                "event=approval_integrity_violations %s",
                " | ".join(str(violation) for violation in report.violations[:50]),
            )
        return {
            "checked": report.checked,
            "violations": len(report.violations),
            "emailed": audit.email_editors_in_chief(report),
        }

    return _run("verify_approvals", run)


@shared_task(**_RETRYING)
def relay_outbox() -> dict[str, int]:
    """Hand to the broker the side effects the web processes could not publish within their
    budget (beat: every OUTBOX_RELAY_EVERY_SECONDS)."""

    def run() -> dict[str, int]:
        result = outbox.relay()
        return {
            "published": result.published,
            "failed": result.failed,
            "remaining": result.remaining,
            "purged": result.purged,
        }

    return _run("relay_outbox", run)


@shared_task(**_RETRYING)
def send_staffing_alerts() -> dict[str, int]:
    """Tell the editors-in-chief and the editors about every stuck round, the daily digests and
    the expired approvals waiting for a newer version (beat: every REMINDERS_EVERY_MINUTES)."""
    return _run("send_staffing_alerts", staffing.send_staffing_alerts)


@shared_task(**_RETRYING)
def alert_stuck_rounds(round_ids: list[int]) -> dict[str, int]:
    """The alerts owed for these rounds (queued through the outbox by a step that left one short)."""
    return _run(
        "alert_stuck_rounds", lambda: staffing.send_staffing_alerts(round_ids=[int(pk) for pk in round_ids])
    )
