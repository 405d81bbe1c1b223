"""The outbox's consumer: sending each claimed email once (step 2 of the package's docstring)."""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from typing import Any

from django.core import mail
from django.db import transaction
from django.utils import timezone

from editorial.models import (
    ReminderLog,
)

logger = logging.getLogger(__name__)


# What a delivery reports.
ALREADY_SENT = "already_sent"
FAILED = "failed"


# --- The outbox's consumer: sending ---------------------------------------------------------------


def send_emails(*, emails: list[dict[str, Any]]) -> dict[str, int]:
    """Send the emails of one outbox message (``log``: the ReminderLog id, ``to``, ``subject``,
    ``body``) over one connection to the mail server, each in its own transaction: marked
    delivered unless already delivered, sent, committed. Returns how many were ``sent``,
    ``already_sent`` (by an earlier delivery of the same message) or ``failed`` (the mail server
    refused; the sweep hands them over again)."""
    counts = Counter(dict.fromkeys(("sent", ALREADY_SENT, FAILED), 0))
    with mail.get_connection() as smtp:
        for email in emails:
            try:
                with transaction.atomic():
                    marked = ReminderLog.objects.filter(pk=email["log"], delivered_at__isnull=True).update(
                        delivered_at=timezone.now()
                    )
                    if not marked:
                        counts[ALREADY_SENT] += 1
                        continue
                    mail.EmailMessage(
                        subject=email["subject"], body=email["body"], to=email["to"], connection=smtp
                    ).send()
            except (smtplib.SMTPException, OSError) as error:
                logger.warning(
                    "event=email_failed log=%s error=%r; the sweep hands it over again", email["log"], error
                )
                counts[FAILED] += 1
                continue
            counts["sent"] += 1
            logger.info(
                "event=email_sent log=%s subject=%r recipients=%d",
                email["log"],
                email["subject"],
                len(email["to"]),
            )
    return dict(counts)
