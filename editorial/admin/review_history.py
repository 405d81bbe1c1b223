"""A review's history in words: each record of a review assignment said as what happened to the
review ("Approved by Dr X", "Changes requested by Dr Y: ..."), for its history page."""

from __future__ import annotations

from typing import Any

from config.history_pages import local_time
from editorial.models import AssignmentState, Decision

DECIDED = {
    Decision.APPROVE: "Approved by {name}",
    Decision.REQUEST_CHANGES: "Changes requested by {name}",
    Decision.REJECT: "Rejected by {name}",
}


def _with_text(sentence: str, text: str) -> str:
    return f"{sentence}: {text}" if text else sentence


def describe_review_record(record: Any, previous: Any | None) -> str | None:
    """What this historical record of a review did, against the one before it; None when it only
    changed fields the page lists anyway."""
    name = record.reviewer.display_name
    if previous is None:
        return f"Assigned to {name}, due {local_time(record.due_at)}"
    if record.decision and record.decision != previous.decision:
        return _with_text(DECIDED[Decision(record.decision)].format(name=name), record.comment)
    if record.voided_at and not previous.voided_at:
        return _with_text(f"{name}'s approval voided", record.void_reason)
    if record.state != previous.state:
        if record.state == AssignmentState.DECLINED:
            return _with_text(f"Declined by {name}", record.comment)
        if record.state == AssignmentState.CANCELLED:
            return _with_text(f"{name}'s review cancelled", record.cancel_reason)
        if record.state == AssignmentState.ACCEPTED:
            return f"Accepted by {name}"
    if record.due_at != previous.due_at:
        return f"Due date moved to {local_time(record.due_at)}"
    return None
