"""Telling reviewers and editors about workflow steps, once the step has committed.

The workflow services call ``notify`` wherever they create, cancel or decide an assignment. Once
the transaction commits, a worker is asked to send what those assignments are owed
(``editorial.tasks.deliver_notifications``). The worker works out what that is from the
database, as the periodic reminder sweep does, so the message is only the fast path: if the broker
cannot be reached the step still succeeds, a warning is logged, and the next sweep (every
REMINDERS_EVERY_MINUTES) sends the email instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

if TYPE_CHECKING:
    from editorial.models import ReviewAssignment

logger = logging.getLogger(__name__)


def notify(*assignments: ReviewAssignment) -> None:
    """After the current transaction commits, queue the notifications these assignments are owed.
    Nothing is queued if the transaction rolls back; nothing the queuing does can fail the step."""
    ids = sorted({assignment.pk for assignment in assignments if assignment.pk is not None})
    if ids:
        # robust: an unexpected error is logged by Django instead of reaching the caller, whose
        # transaction has already committed.
        transaction.on_commit(lambda: _queue(ids), robust=True)


_held_back: ContextVar[list[int] | None] = ContextVar("notifications_held_back", default=None)


@contextmanager
def held_back() -> Iterator[list[int]]:
    """Within this block, collect the ids of the assignments owed notifications instead of
    queuing them. For work on a scratch database (the benchmarks): a worker on the configured
    broker would look those ids up in the real one."""
    held: list[int] = []
    token = _held_back.set(held)
    try:
        yield held
    finally:
        _held_back.reset(token)


def _queue(assignment_ids: list[int]) -> None:
    held = _held_back.get()
    if held is not None:
        held.extend(assignment_ids)
        return
    # Imported here: the tasks import the services, which import this module.
    from editorial.tasks import deliver_notifications

    try:
        deliver_notifications.delay(assignment_ids)
    except (BrokerError, OSError) as error:
        logger.warning(
            "event=notification_not_queued assignments=%s error=%r; the reminder sweep will send it",
            ",".join(map(str, assignment_ids)),
            error,
        )
