"""A board member's decision on the version under review, and the approval that completes a
round."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from articles.models import Article, ArticleStatus, RiskLevel
from config.audit import audit
from editorial import eligibility, notifications
from editorial.exceptions import (
    AssignmentClosed,
    NotEligible,
)
from editorial.models import (
    AssignmentState,
    Decision,
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
)
from editorial.services.common import (
    close_round,
    lock_assignment,
    require_own_open_assignment,
    run_transition,
    save_status,
)
from reviewers.models import BoardMember

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _decision_reason(decision: str, comment: str) -> str:
    label = Decision(decision).label
    return f"{label}: {comment}" if comment else label


@transaction.atomic
def decide(
    *, actor: AbstractBaseUser, assignment: ReviewAssignment, decision: str, comment: str = ""
) -> ReviewAssignment:
    """Record the assigned member's decision on the version under review.

    The decision names the content hash of the exact text it was made on. ``request_changes``
    and ``reject`` close the round at once (cancelling the other open assignments) and need a
    comment. Approvals close it when they reach the round's quorum, all on the same content hash
    and, for a high-risk article, with at least one approver of its specialty.
    """
    if decision not in Decision.values:
        raise ValidationError(
            {"decision": f"Choose one of: {', '.join(Decision.values)}."}, code="invalid_choice"
        )
    comment = (comment or "").strip()
    if decision != Decision.APPROVE and not comment:
        raise ValidationError(
            {"comment": "Say what must change (or why the text is rejected); the editors act on it."},
            code="comment_required",
        )
    with audit(actor=actor, reason=_decision_reason(decision, comment)):
        article, assignment = lock_assignment(assignment)
        require_own_open_assignment(actor, assignment)
        # The round is read with the assignment, after the article lock that every change to
        # the round takes first, so it cannot close meanwhile.
        round = assignment.round
        if not round.is_open or article.status != ArticleStatus.UNDER_REVIEW:
            raise AssignmentClosed("This review round is no longer open.")
        # What may have changed since the assignment: the member's standing and their declared
        # conflicts. Authorship cannot: the versions up to the one in review are fixed, and a new
        # version closes the round.
        facts = eligibility.RoundFacts(round)
        member = assignment.reviewer
        broken = eligibility.integrity_reasons(
            member,
            facts,
            conflicts_in_force=(
                list(member.conflicts_of_interest.in_force(on=facts.today))
                if assignment.reviewer_has_conflicts
                else []
            ),
            include_authorship=False,
        )
        if broken:
            raise NotEligible("You can no longer decide on this version.", reasons=broken)

        now = timezone.now()
        assignment.state = AssignmentState.COMPLETED
        assignment.decision = decision
        assignment.comment = comment
        assignment.decided_content_hash = round.version.content_hash
        assignment.decided_at = now
        assignment.closed_at = now
        assignment.save(
            update_fields=["state", "decision", "comment", "decided_content_hash", "decided_at", "closed_at"]
        )
        notifications.notify(assignment)

        if decision == Decision.APPROVE:
            # Only an approval that can complete the quorum needs the full check.
            if assignment.approvals_in_round + 1 >= round.required_approvals:
                _approve_if_quorum(article=article, round=round, actor=actor, now=now)
        else:
            outcome = (
                RoundOutcome.CHANGES_REQUESTED
                if decision == Decision.REQUEST_CHANGES
                else RoundOutcome.REJECTED
            )
            close_round(round, outcome, now)
            run_transition(
                article,
                "request_changes" if decision == Decision.REQUEST_CHANGES else "reject",
                actor,
                version=round.version,
            )
            save_status(article)
    return assignment


def _approve_if_quorum(
    *, article: Article, round: ReviewRound, actor: AbstractBaseUser, now: datetime.datetime
) -> bool:
    on_this_text = list(
        round.assignments.filter(
            state=AssignmentState.COMPLETED,
            decision=Decision.APPROVE,
            decided_content_hash=round.version.content_hash,
        )
        .select_related("reviewer")
        .annotate(
            is_specialist=Exists(
                BoardMember.specialties.through.objects.filter(
                    boardmember_id=OuterRef("reviewer_id"), specialty_id=article.specialty_id
                )
            )
        )
        .order_by("decided_at", "pk")
    )
    if len(on_this_text) < round.required_approvals:
        return False
    if article.risk_level == RiskLevel.HIGH and not any(approval.is_specialist for approval in on_this_text):
        # A high-risk article needs a specialist's approval even when others were overridden in.
        return False
    close_round(round, RoundOutcome.APPROVED, now)
    names = ", ".join(approval.reviewer.display_name for approval in on_this_text)
    with audit(
        actor=actor,
        reason=f"Approved by {names} ({len(on_this_text)} of {round.required_approvals} approvals)",
    ):
        run_transition(article, "approve", actor, version=round.version, at=now)
        save_status(article)
    return True
