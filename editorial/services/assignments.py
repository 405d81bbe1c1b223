"""Who reviews: assigning (by hand, automatically, or in place of another member), and the
assigned member accepting or declining."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from articles.models import IN_REVIEW, Article, ArticleStatus
from articles.selectors import allowed_actions
from articles.services import lock_article
from config.audit import audit, current_audit
from editorial import eligibility, notifications
from editorial.exceptions import (
    AssignmentClosed,
    InvalidTransition,
    NoEligibleReviewers,
    NotEligible,
    OverrideNotPermitted,
)
from editorial.models import (
    AssignmentState,
    ReviewAssignment,
    ReviewRound,
)
from editorial.services.common import (
    cancel_assignments,
    lock_assignment,
    lock_members,
    lock_open_round,
    require_editor,
    require_own_open_assignment,
    run_transition,
    save_status,
)
from editorial.staffing import services as staffing
from editorial.staffing.selectors import seats_to_fill
from reviewers.models import BoardMember
from reviewers.roles import is_editor_in_chief
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _default_due_at(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.REVIEW_ASSIGNMENT_DAYS)


def _create_assignment(
    *,
    round: ReviewRound,
    reviewer: BoardMember,
    assigned_by: AbstractBaseUser,
    due_at: datetime.datetime,
    override_reason: str,
) -> ReviewAssignment:
    # assigned_at: the model's default, the time of the insert.
    assignment = ReviewAssignment.objects.create(
        round=round,
        reviewer=reviewer,
        assigned_by=assigned_by,
        due_at=due_at,
        override_reason=override_reason,
    )
    notifications.notify(assignment)
    return assignment


def _start_review_if_submitted(article: Article, actor: AbstractBaseUser) -> None:
    if article.status == ArticleStatus.SUBMITTED:
        run_transition(article, "start_review", actor)
        save_status(article)


def _require_in_review(article: Article, actor: AbstractBaseUser) -> None:
    if article.status not in IN_REVIEW:
        raise InvalidTransition(
            "Reviewers can be assigned only while the article is submitted or under review.",
            status=article.status,
            allowed=allowed_actions(article, actor),
        )


def _check_due_at(due_at: datetime.datetime | None, now: datetime.datetime) -> None:
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": "The due date must be in the future."})


def _assign_eligible(
    *,
    actor: AbstractBaseUser,
    article: Article,
    round: ReviewRound,
    reviewer: BoardMember,
    due_at: datetime.datetime,
    override_reason: str,
) -> ReviewAssignment:
    """Assign ``reviewer`` to the locked ``round`` if every eligibility rule allows it, or if the
    only rule failed is the specialty and an editor-in-chief gave an override reason."""
    override_reason = (override_reason or "").strip()
    facts = eligibility.RoundFacts(round)
    lock_members(BoardMember.objects.filter(pk=reviewer.pk))
    member = eligibility.members_with_load(BoardMember.objects.filter(pk=reviewer.pk), facts).get()
    reasons = eligibility.reasons_against(member, facts)
    if reasons:
        if any(not reason_.overridable for reason_ in reasons) or not override_reason:
            raise NotEligible(f"{member.display_name} cannot review this version.", reasons=reasons)
        if not is_editor_in_chief(actor):
            raise OverrideNotPermitted(
                "Only an editor-in-chief can assign a member outside the article's specialty."
            )
    assignment = _create_assignment(
        round=round,
        reviewer=member,
        assigned_by=actor,
        due_at=due_at,
        override_reason=override_reason if reasons else "",
    )
    _start_review_if_submitted(article, actor)
    return assignment


@transaction.atomic
def assign(
    *,
    actor: AbstractBaseUser,
    article: Article,
    reviewer: BoardMember,
    reason: str,
    due_at: datetime.datetime | None = None,
    override_reason: str = "",
) -> ReviewAssignment:
    """Assign ``reviewer`` to the article's open round. The first assignment puts the article
    under review.

    The reviewer must pass every eligibility rule. An editor-in-chief may assign a member outside
    the article's specialty by giving ``override_reason``; nothing overrides the other rules.
    """
    require_editor(actor, "assign reviewers")
    now = timezone.now()
    _check_due_at(due_at, now)
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _require_in_review(article, actor)
        round = lock_open_round(article)
        return _assign_eligible(
            actor=actor,
            article=article,
            round=round,
            reviewer=reviewer,
            due_at=due_at or _default_due_at(now),
            override_reason=override_reason,
        )


@transaction.atomic
def reassign(
    *,
    actor: AbstractBaseUser,
    assignment: ReviewAssignment,
    reviewer: BoardMember,
    reason: str,
    due_at: datetime.datetime | None = None,
    override_reason: str = "",
) -> ReviewAssignment:
    """Give an open review to another member: the current assignment is cancelled and
    ``reviewer`` is assigned in its place, under the same rules (and override) as ``assign``.
    Both happen or neither does."""
    require_editor(actor, "reassign reviews")
    now = timezone.now()
    _check_due_at(due_at, now)
    with audit(actor=actor, reason=reason):
        article, current = lock_assignment(assignment)
        if not current.is_open:
            raise AssignmentClosed(
                f"This review was {current.get_state_display().lower()}; there is nothing to reassign."
            )
        round = lock_open_round(article)
        cancel_assignments([current], now)
        return _assign_eligible(
            actor=actor,
            article=article,
            round=round,
            reviewer=reviewer,
            due_at=due_at or _default_due_at(now),
            override_reason=override_reason,
        )


def open_seats(round: ReviewRound) -> int:
    """Reviewers the round still needs: the approvals no open assignment or standing approval is
    expected to provide, and a specialist's seat when a high-risk round has none
    (``editorial.staffing``)."""
    return seats_to_fill(round)


def fill_open_seats(
    *, article: Article, round: ReviewRound, actor: AbstractBaseUser, seats: int
) -> list[ReviewAssignment]:
    """Assign up to ``seats`` of the best eligible specialists to ``round``."""
    if seats == 0:
        return []
    facts = eligibility.RoundFacts(round)
    # Lock the pool first, then count everyone's open reviews: a concurrent assignment on
    # another article cannot fill someone's last seat between the count and the insert.
    pool = lock_members(eligibility.specialists(facts))
    ranked = eligibility.rank_eligible(
        eligibility.members_with_load(BoardMember.objects.filter(pk__in=pool), facts), facts
    )
    now = timezone.now()
    context = current_audit()
    assignments = bulk_create_with_history(
        [
            ReviewAssignment(
                round=round, reviewer=member, assigned_by=actor, assigned_at=now, due_at=_default_due_at(now)
            )
            for member in ranked[:seats]
        ],
        ReviewAssignment,
        # The history rows' user is the audit block's actor (AuditedHistoricalRecords); their
        # reason is not taken from the block by a bulk insert.
        default_change_reason=context.reason,
        default_date=now,
    )
    if assignments:
        _start_review_if_submitted(article, actor)
        notifications.notify(*assignments)
    if len(assignments) < seats:
        # Nobody (else) eligible is free: whoever can act is told once this commits.
        staffing.notify_if_stuck(round)
    return assignments


@transaction.atomic
def auto_assign(*, actor: AbstractBaseUser, article: Article, reason: str) -> list[ReviewAssignment]:
    """Assign the least-loaded eligible members of the article's specialty until the open round
    has as many reviewers as approvals it needs. Returns the new assignments (none when the
    round is already covered); refuses when a reviewer is needed and none is eligible."""
    require_editor(actor, "assign reviewers")
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _require_in_review(article, actor)
        round = lock_open_round(article)
        needed = open_seats(round)
        assignments = fill_open_seats(article=article, round=round, actor=actor, seats=needed)
        if needed and not assignments:
            raise NoEligibleReviewers(
                f"No eligible member of {article.specialty.name} is free to review “{article.title}”. "
                "An editor-in-chief can assign a member from another specialty with an override."
            )
    return assignments


@transaction.atomic
def accept(
    *, actor: AbstractBaseUser, assignment: ReviewAssignment, reason: str = "Accepted the review"
) -> ReviewAssignment:
    """The assigned member confirms they will review."""
    with audit(actor=actor, reason=reason):
        _, assignment = lock_assignment(assignment)
        require_own_open_assignment(actor, assignment)
        if assignment.state == AssignmentState.ACCEPTED:
            return assignment
        assignment.state = AssignmentState.ACCEPTED
        assignment.accepted_at = timezone.now()
        assignment.save(update_fields=["state", "accepted_at"])
    return assignment


@transaction.atomic
def decline(*, actor: AbstractBaseUser, assignment: ReviewAssignment, reason: str) -> list[ReviewAssignment]:
    """The assigned member declines, saying why. A replacement is assigned automatically where an
    eligible member is free; returns the replacements (possibly none)."""
    with audit(actor=actor, reason=reason) as context:
        article, assignment = lock_assignment(assignment)
        require_own_open_assignment(actor, assignment)
        assignment.state = AssignmentState.DECLINED
        assignment.comment = context.reason
        assignment.closed_at = timezone.now()
        assignment.save(update_fields=["state", "comment", "closed_at"])
        system = get_system_user()
        with audit(actor=system, reason=f"Replacement for {assignment.reviewer.display_name}, who declined"):
            replacements = fill_open_seats(
                article=article, round=assignment.round, actor=system, seats=open_seats(assignment.round)
            )
    return replacements


@transaction.atomic
def extend_due_dates(
    *,
    actor: AbstractBaseUser,
    assignments: Iterable[ReviewAssignment],
    due_at: datetime.datetime,
    reason: str,
) -> list[ReviewAssignment]:
    """Give open reviews more time: each gets ``due_at``, which must be in the future and later
    than its current due date. All or none; the reason is kept on each history row. The reviewers
    are reminded against the new date (an "overdue" reminder is not sent while it is not past)."""
    require_editor(actor, "extend review due dates")
    now = timezone.now()
    _check_due_at(due_at, now)
    extended = []
    with audit(actor=actor, reason=reason):
        # The fixed lock order: each article, then its assignment; articles in id order.
        for assignment in sorted(assignments, key=lambda a: (a.round.article_id, a.pk)):
            _, locked = lock_assignment(assignment)
            if not locked.is_open:
                raise AssignmentClosed(
                    f"The review by {locked.reviewer.display_name} was "
                    f"{locked.get_state_display().lower()}; its due date no longer matters."
                )
            if due_at <= locked.due_at:
                raise ValidationError(
                    {
                        "due_at": f"The review by {locked.reviewer.display_name} is already due "
                        "at or after that date."
                    }
                )
            locked.due_at = due_at
            locked.save(update_fields=["due_at"])
            extended.append(locked)
    return extended
