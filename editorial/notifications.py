"""Telling reviewers and editors about workflow steps.

The workflow services call ``notify`` wherever they create, cancel, decide or void an assignment.
That writes an outbox message in the step's own transaction (``editorial.outbox``): once the step
commits, the message is handed to the broker within the publish budget, or by the relay if the
broker is slow or down, and a worker sends what those assignments are owed
(``editorial.tasks.deliver_notifications``). The worker works out what that is from the database,
as the periodic reminder sweep does, so a message delivered twice sends nothing twice, and the
sweep is a second safety net behind the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from editorial.outbox import services as outbox
from editorial.outbox.publisher import DELIVER_NOTIFICATIONS

if TYPE_CHECKING:
    from editorial.models import ReviewAssignment


_held_back: ContextVar[list[int] | None] = ContextVar("notifications_held_back", default=None)


def notify(*assignments: ReviewAssignment) -> None:
    """Owe the notifications these assignments are due, with the current transaction's change."""
    ids = sorted({assignment.pk for assignment in assignments if assignment.pk is not None})
    if ids:
        outbox.enqueue(topic=DELIVER_NOTIFICATIONS, payload={"assignment_ids": ids})
        held = _held_back.get()
        if held is not None:
            held.extend(ids)


@contextmanager
def held_back() -> Iterator[list[int]]:
    """Within this block, notifications are recorded in the outbox but not published; the block
    yields the list of the assignment ids they are about, as they come. For work on a scratch
    database (the benchmarks): a worker on the configured broker would look those ids up in the
    real one."""
    ids: list[int] = []
    token = _held_back.set(ids)
    try:
        with outbox.held_back():
            yield ids
    finally:
        _held_back.reset(token)
