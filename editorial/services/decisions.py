"""A board member's decision on the version under review, and the approval that completes a
round."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from articles.models import Article
from config.audit import audit
from editorial import eligibility, notifications
from editorial.dossier.snapshots import decision_snapshot
from editorial.exceptions import NotEligible
from editorial.models import (
    AssignmentState,
    Decision,
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
)
from editorial.services.approvals import check_round, refill_seats, replacement_reason, revalidate_article
from editorial.services.common import (
    close_round,
    lock_assignment,
    require_own_open_assignment,
    run_transition,
    save_status,
)
from editorial.webhooks.services import events as webhook_events
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


DECISION_FIELDS = [
    "state",
    "decision",
    "comment",
    "decided_content_hash",
    "decided_at",
    "closed_at",
    "decided_risk_level",
    "decided_specialty",
    "decided_as_specialist",
    "decision_snapshot",
]


def _decision_reason(decision: str, comment: str, cited_comments: Sequence[int] = ()) -> str:
    label = Decision(decision).label
    if comment:
        return f"{label}: {comment}"
    if cited_comments:
        return f"{label}: see comment {', '.join(map(str, sorted(set(cited_comments))))}"
    return label


def decide(
    *,
    actor: AbstractBaseUser,
    assignment: ReviewAssignment,
    decision: str,
    comment: str = "",
    cited_comments: Sequence[int] = (),
) -> ReviewAssignment:
    """Record the assigned member's decision (``_decide``). A member refused because they can no
    longer review (their standing, a conflict of interest) also loses the review, in a
    transaction of its own once the refusal has rolled back: its seat goes to someone who can."""
    try:
        return _decide(
            actor=actor,
            assignment=assignment,
            decision=decision,
            comment=comment,
            cited_comments=cited_comments,
        )
    except NotEligible as refusal:
        revalidate_article(
            article_id=assignment.round.article_id,
            voided_by=get_system_user(),
            cause=f"{assignment.reviewer.display_name} could not decide",
        )
        raise refusal


@transaction.atomic
def _decide(
    *,
    actor: AbstractBaseUser,
    assignment: ReviewAssignment,
    decision: str,
    comment: str = "",
    cited_comments: Sequence[int] = (),
) -> ReviewAssignment:
    """Record the assigned member's decision on the version under review.

    The decision names the content hash of the exact text it was made on, and records the
    article's risk level and specialty and whether the member holds that specialty.
    ``request_changes`` and ``reject`` close the round at once (cancelling the other open
    assignments) and need a comment, or the member's open comments on the version cited
    (``cited_comments``, their ids; see ``editorial.comments.services.cite_in_decision``). An
    approval that could complete the quorum re-checks every approval of the round first
    (``approvals.check_round``): one that no longer counts is voided and its seat refilled, and
    the round closes as approved only when the approvals that still count are enough for the
    article's risk level, with a specialist among them when it is high.
    """
    if decision not in Decision.values:
        raise ValidationError(
            {"decision": f"Choose one of: {', '.join(Decision.values)}."}, code="invalid_choice"
        )
    comment = (comment or "").strip()
    if decision != Decision.APPROVE and not comment and not cited_comments:
        raise ValidationError(
            {
                "comment": "Say what must change (or why the text is rejected), or cite your comments on "
                "the text; the editors act on it."
            },
            code="comment_required",
        )
    if decision == Decision.APPROVE and cited_comments:
        raise ValidationError(
            {"cited_comments": "Cite comments only when requesting changes or rejecting."},
            code="citation_with_approval",
        )
    with audit(actor=actor, reason=_decision_reason(decision, comment, cited_comments)):
        article, assignment = lock_assignment(assignment)
        # An open assignment is the one home of "the round is open and under review": a round
        # closes only through close_round, which cancels its open assignments in the same
        # transaction, under the article lock taken above (so none can close meanwhile).
        require_own_open_assignment(actor, assignment)
        round = assignment.round
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
            holds_role=True,  # require_own_open_assignment checked the actor's role
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
        assignment.decided_risk_level = article.risk_level
        assignment.decided_specialty_id = article.specialty_id
        assignment.decided_as_specialist = assignment.reviewer_is_specialist
        assignment.decision_snapshot = decision_snapshot(
            assignment=assignment, round=round, member=member, facts=facts
        )
        assignment.save(update_fields=DECISION_FIELDS)
        webhook_events.record_decision(article=article, assignment=assignment)
        if cited_comments:
            # The review comments app builds on this one, so it is imported here, not at the top.
            from editorial.comments.services import cite_in_decision

            cite_in_decision(assignment=assignment, comment_ids=cited_comments)
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
) -> None:
    """Close the locked round as approved if the approvals that still count are enough. Otherwise
    the round is given the reviewers it still needs, as the system: the seats of approvals the
    check voided, or a specialist's for a high-risk article approved only by members overridden in
    from outside its specialty."""
    check = check_round(round=round, voided_by=get_system_user(), now=now)
    if not check.met:
        reason = (
            replacement_reason(check.voided)
            if check.voided
            else "Still needed: " + " ".join(reason.message for reason in check.shortfall)
        )
        refill_seats(article=article, round=round, reason=reason)
        return
    close_round(round, RoundOutcome.APPROVED, now)
    names = ", ".join(approval.reviewer.display_name for approval in check.counting)
    count = len(check.counting)
    with audit(actor=actor, reason=f"Approved by {names} ({count} of {round.required_approvals} approvals)"):
        run_transition(article, "approve", actor, version=round.version, at=now)
        save_status(article)
