"""Email backends for the scheduler's tests.

``SlowLocmemBackend`` keeps Django's test outbox but takes a moment per message, as a mail server
does, so that concurrent runs really overlap. ``SpoolBackend`` is for worker subprocesses: each
message becomes a JSON file in ``EMAIL_SPOOL_DIR``, which the test reads back; with
``CRASH_AT_EMAIL=n`` the process kills itself (once) while handing over its n-th message, before
the message is delivered: a worker dying mid-run while talking to the mail server; with
``EMAIL_SEND_SECONDS`` each message takes that long, so that concurrent runs overlap.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class SlowLocmemBackend(LocmemBackend):
    def send_messages(self, messages):
        time.sleep(0.02 * len(messages))
        return super().send_messages(messages)


class SpoolBackend(BaseEmailBackend):
    def send_messages(self, messages):
        spool = Path(settings.EMAIL_SPOOL_DIR)
        for message in messages:
            _maybe_crash(spool)
            time.sleep(float(os.environ.get("EMAIL_SEND_SECONDS", "0")))
            record = {"to": list(message.to), "subject": message.subject, "body": message.body}
            name = f"{time.time_ns()}-{uuid.uuid4().hex}.json"
            (spool / f".{name}").write_text(json.dumps(record))
            (spool / f".{name}").rename(spool / name)  # readers never see half a file
        return len(messages)


def _maybe_crash(spool: Path) -> None:
    crash_at = os.environ.get("CRASH_AT_EMAIL")
    marker = Path(os.environ.get("CRASH_MARKER", spool.parent / "crashed"))
    if crash_at and not marker.exists() and len(read_spool(spool)) + 1 == int(crash_at):
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)


def read_spool(spool: Path) -> list[dict]:
    """The messages delivered to ``spool``, oldest first."""
    return [json.loads(path.read_text()) for path in sorted(spool.glob("[!.]*.json"))]


def deliver_queued_emails() -> dict[str, int]:
    """Send what the reminder sweep queued and nothing has published yet, through the outbox's
    consumer, as the relay and a worker would; each message once (it is then marked published)."""
    from django.utils import timezone

    from editorial import reminders
    from editorial.outbox.models import OutboxMessage
    from editorial.outbox.publisher import SEND_EMAILS

    totals: dict[str, int] = {}
    for message in OutboxMessage.objects.filter(topic=SEND_EMAILS, published_at__isnull=True).order_by("pk"):
        for key, count in reminders.send_emails(**message.payload).items():
            totals[key] = totals.get(key, 0) + count
        OutboxMessage.objects.filter(pk=message.pk).update(published_at=timezone.now())
    return totals


def send_review_reminders(**kwargs):
    """The reminder sweep, then its emails through the outbox's consumer; the sweep's counts."""
    from editorial import reminders

    counts = reminders.send_review_reminders(**kwargs)
    deliver_queued_emails()
    return counts


def send_notifications(**kwargs):
    """The notifications' fast path, then its emails through the outbox's consumer."""
    from editorial import reminders

    counts = reminders.send_notifications(**kwargs)
    deliver_queued_emails()
    return counts
