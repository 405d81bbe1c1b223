"""Whether the approvals of a round still count, applied: voiding those that no longer do.

The rules themselves are ``editorial.eligibility.approval_reasons`` and ``quorum_reasons``; this
module applies them to a locked article's rounds. An approval that fails a rule about its
reviewer (a conflict of interest, their standing on the board while the round is open) is voided
for good, with the reason on its history row; one that fails only because the article was
reclassified simply stops counting. What happens next depends on the round:

- an open round gets its seats back and refilled through the normal replacement path;
- the round that approved what the site shows now is checked against the quorum, and when the
  approvals that still count are not enough the approval lapses (``lifecycle.lapse_approval``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from articles.models import Article
from articles.services import lock_article
from config.audit import audit
from editorial import eligibility, notifications
from editorial.exceptions import IneligibilityReason
from editorial.models import OPEN_ASSIGNMENT_STATES, ReviewAssignment, ReviewRound
from editorial.selectors import current_approval_round
from editorial.services.assignments import fill_open_seats, open_seats
from editorial.services.common import cancel_assignments
from editorial.services.lifecycle import lapse_approval
from reviewers.models import BoardMember
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass
class RoundCheck:
    """The approval rules applied to one round."""

    counting: list[ReviewAssignment] = field(default_factory=list)
    voided: list[ReviewAssignment] = field(default_factory=list)
    # Why the approvals that count are not enough (empty: they are).
    shortfall: list[IneligibilityReason] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not self.shortfall


def check_round(
    *, round: ReviewRound, voided_by: AbstractBaseUser, cause: str = "", now: datetime.datetime | None = None
) -> RoundCheck:
    """Apply the approval rules to every standing approval of ``round``, whose article the caller
    has locked (``round.article`` is that locked article). Voids, with ``voided_by`` and the
    reasons (after ``cause``, when given) on the history row, each approval whose reviewer no
    longer qualifies; returns what counts, what was voided and what is still missing."""
    now = now or timezone.now()
    facts = eligibility.RoundFacts(round)
    approvals = eligibility.approvals_with_standing(
        round.assignments.standing_approvals().order_by("decided_at", "pk"), today=facts.today
    )
    check = RoundCheck()
    for approval in approvals:
        reasons = eligibility.approval_reasons(
            approval, facts, include_standing=round.is_open, include_authorship=False
        )
        voiding = [reason for reason in reasons if reason.code in eligibility.VOIDING_REASONS]
        if voiding:
            _void(approval, voiding, actor=voided_by, cause=cause, now=now)
            check.voided.append(approval)
        elif not reasons:
            check.counting.append(approval)
    check.shortfall = eligibility.quorum_reasons(check.counting, facts, given=approvals)
    return check


def _void(
    approval: ReviewAssignment,
    reasons: list[IneligibilityReason],
    *,
    actor: AbstractBaseUser,
    cause: str,
    now: datetime.datetime,
) -> None:
    why = " ".join(reason.message for reason in reasons)
    approval.voided_at = now
    approval.void_reason = f"{cause}: {why}" if cause else why
    with audit(actor=actor, reason=f"Approval no longer counts. {approval.void_reason}"):
        approval.save(update_fields=["voided_at", "void_reason"])
    notifications.notify(approval)


def refill_seats(*, article: Article, round: ReviewRound, reason: str) -> list[ReviewAssignment]:
    """Give the open ``round`` the reviewers it still needs (``staffing.seats_to_fill``: seats of
    voided approvals, a specialist for a high-risk round without one), as the system, through the
    path a decline takes; ``reason`` goes on their history rows."""
    system = get_system_user()
    with audit(actor=system, reason=reason):
        return fill_open_seats(article=article, round=round, actor=system, seats=open_seats(round))


def replacement_reason(voided: list[ReviewAssignment]) -> str:
    names = ", ".join(approval.reviewer.display_name for approval in voided)
    return f"Replacement for {names}, whose approval no longer counts"


def release_seats(
    *,
    round: ReviewRound,
    released_by: AbstractBaseUser,
    cause: str,
    now: datetime.datetime | None = None,
) -> list[ReviewAssignment]:
    """Cancel the open reviews of the open ``round`` held by members who can no longer review it
    (no longer an active board member with current credentials, or a conflict of interest now
    covering the article), each with ``cause`` and the reason; they are told once this commits.
    Returns them."""
    now = now or timezone.now()
    facts = eligibility.RoundFacts(round)
    held = eligibility.members_with_load(
        BoardMember.objects.filter(assignments__round=round, assignments__state__in=OPEN_ASSIGNMENT_STATES),
        facts,
    )
    released = []
    for member in held:
        reasons = eligibility.integrity_reasons(
            member,
            facts,
            conflicts_in_force=member.conflicts_in_force,
            holds_role=member.holds_role,
            include_authorship=False,
        )
        if not reasons:
            continue
        assignment = round.assignments.open().select_for_update(of=("self",)).get(reviewer=member)
        why = " ".join(reason.message for reason in reasons)
        assignment.cancel_reason = f"{cause}: {why}"
        with audit(actor=released_by, reason=f"Review released. {assignment.cancel_reason}"):
            cancel_assignments([assignment], now, fields=["cancel_reason"])
        released.append(assignment)
    return released


@dataclass
class ArticleCheck:
    voided: int = 0
    released: int = 0
    refilled: int = 0
    lapsed: bool = False


@transaction.atomic
def revalidate_article(*, article_id: int, voided_by: AbstractBaseUser, cause: str) -> ArticleCheck:
    """Apply the rules, under the article's lock, to its open round (approvals that no longer
    count are voided and reviews held by members who can no longer review are released; their
    seats are refilled) and to the round behind its published approval (which lapses when what
    still counts is no longer enough). ``cause`` says what prompted the check, for the history
    rows."""
    article = lock_article(article_id)
    result = ArticleCheck()
    open_round = ReviewRound.objects.select_related("version").filter(article=article).open().first()
    if open_round is not None:
        open_round.article = article
        check = check_round(round=open_round, voided_by=voided_by, cause=cause)
        released = release_seats(round=open_round, released_by=voided_by, cause=cause)
        result.voided += len(check.voided)
        result.released += len(released)
        if check.voided or released:
            names = ", ".join(a.reviewer.display_name for a in [*check.voided, *released])
            result.refilled += len(
                refill_seats(
                    article=article,
                    round=open_round,
                    reason=f"Replacement for {names}, who can no longer review this version",
                )
            )
    approved = current_approval_round(article)
    if approved is not None:
        check = check_round(round=approved, voided_by=voided_by, cause=cause)
        result.voided += len(check.voided)
        if not check.met and article.shows_approval(timezone.now()):
            why = " ".join(reason.message for reason in check.shortfall)
            lapse_approval(article=article, reason=f"{cause}: {why}" if cause else why)
            result.lapsed = True
    return result
