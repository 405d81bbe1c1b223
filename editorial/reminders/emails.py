"""The emails about review assignments, rendered from templates: what each one says.

``render_email`` reads only the assignment and the relations ``editorial.reminders`` loads with it
for a whole batch (reviewer and user, round, article, specialty, version, editors), so rendering
a batch costs no query per email; a ``decided`` approval also counts the round's standing
approvals (two queries), which only the few decision notifications pay.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from articles.models import RiskLevel
from editorial.models import ONCE, Decision, ReminderKind, ReviewAssignment, RoundOutcome, RoundTrigger


@dataclass(frozen=True)
class Owed:
    """One email owed: its kind and period key, and the assignment it is about."""

    assignment: ReviewAssignment
    kind: ReminderKind
    period_key: str = ONCE


# --- The emails ---------------------------------------------------------------------------------


def render_email(item: Owed, *, now: datetime.datetime) -> tuple[str, str]:
    """The subject and plain-text body of an email, from ``editorial/email/<kind>_subject.txt``
    and ``<kind>_body.txt``."""
    assignment = item.assignment
    context = _context(assignment, now=now)
    name = f"editorial/email/{item.kind.value}"
    subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
    body = render_to_string(f"{name}_body.txt", context).strip() + "\n"
    return subject, body


_CANCELLATION_REASONS = {
    RoundOutcome.SUPERSEDED: "the editors wrote a newer version, so this one will not be reviewed",
    RoundOutcome.WITHDRAWN: "the editors withdrew the article from review",
    RoundOutcome.CHANGES_REQUESTED: "another reviewer requested changes, which closed the review round",
    RoundOutcome.REJECTED: "another reviewer rejected the text, which closed the review round",
    RoundOutcome.APPROVED: "the version was approved by the other reviewers",
}


_DECISIONS = {
    Decision.APPROVE: "Approved",
    Decision.REQUEST_CHANGES: "Changes requested",
    Decision.REJECT: "Rejected",
}


def _context(assignment: ReviewAssignment, *, now: datetime.datetime) -> dict[str, Any]:
    round = assignment.round
    overdue = now - assignment.due_at
    return {
        "assignment": assignment,
        "reviewer": assignment.reviewer,
        "round": round,
        "article": round.article,
        "version": round.version,
        "days_overdue": max(overdue.days, 0),
        "hours_left": max(int((assignment.due_at - now).total_seconds() // 3600), 0),
        # A round still open means only this assignment was cancelled: it was reassigned.
        "cancellation_reason": (
            assignment.cancel_reason.rstrip(".")
            or _CANCELLATION_REASONS.get(round.outcome, "the review was given to another member")
        ),
        "decision": _DECISIONS.get(assignment.decision, assignment.get_decision_display()),
        "is_re_review": round.trigger == RoundTrigger.RE_REVIEW,
        "status_after": _status_after_decision(assignment),
        "review_url": _review_url(assignment),
    }


_OUTCOME_OF_DECISION = {
    RoundOutcome.APPROVED: "approved: this version is now the one readers see",
    RoundOutcome.CHANGES_REQUESTED: "with changes requested",
    RoundOutcome.REJECTED: "rejected, and back in draft",
}


def _status_after_decision(assignment: ReviewAssignment) -> str:
    """What the decision did to the article, whenever the email is sent: a decision that closed
    the round closed it at the instant it was made."""
    round = assignment.round
    if round.closed_at is not None and round.closed_at == assignment.decided_at:
        return _OUTCOME_OF_DECISION.get(round.outcome, round.get_outcome_display().lower())
    if assignment.decision == Decision.APPROVE:
        # The approvals standing at the moment of this decision, whenever the email goes out.
        upto = round.assignments.standing_approvals().filter(decided_at__lte=assignment.decided_at)
        given = upto.count()
        needs_specialist = round.article.risk_level == RiskLevel.HIGH
        if (
            given >= round.required_approvals
            and needs_specialist
            and not upto.filter(decided_as_specialist=True).exists()
        ):
            return (
                f"still under review: as a high-risk article it needs the approval of a member of "
                f"{round.article.specialty.name}, and none of the {given} approvals so far is one"
            )
        return f"still under review: {given} of the {round.required_approvals} approvals it needs"
    return "unchanged"


def _review_url(assignment: ReviewAssignment) -> str:
    """The review page in the review desk, which the reviewer and the editors-in-chief can open."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL + reverse("admin:editorial_reviewassignment_change", args=[assignment.pk])
