"""What every workflow step shares: the row locks in their fixed order, running a status transition
(or saying why not), closing a round and cancelling assignments."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django_fsm import can_proceed, has_transition_perm

from articles.models import Article, ArticleStatus
from articles.selectors import allowed_actions
from articles.services import lock_article
from editorial import notifications
from editorial.exceptions import (
    ActionNotPermitted,
    AlreadyDecided,
    AssignmentClosed,
    InvalidTransition,
    NoOpenRound,
    NotAssigned,
)
from editorial.models import (
    AssignmentState,
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
    standing_approval_q,
)
from editorial.webhooks.services import events as webhook_events
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.roles import Role, has_role, is_editor, is_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


# --- Locking -------------------------------------------------------------------------------------


def lock_open_round(article: Article, *, required: bool = True) -> ReviewRound | None:
    round = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("version")
        .filter(article=article, closed_at__isnull=True)
        .first()
    )
    if round is None:
        if required:
            raise NoOpenRound(f"“{article.title}” has no review round open; submit it first.")
        return None
    round.article = article
    return round


def lock_assignment(assignment: ReviewAssignment) -> tuple[Article, ReviewAssignment]:
    """Lock the assignment's article first (the fixed order), then the assignment itself."""
    pk = assignment.pk
    if ReviewAssignment.round.is_cached(assignment):
        article_id = assignment.round.article_id  # a round never changes article
    else:
        article_id = ReviewAssignment.objects.filter(pk=pk).values_list("round__article_id", flat=True).get()
    article = lock_article(article_id)
    locked = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("round__version", "reviewer__user")
        .annotate(
            approvals_in_round=Coalesce(
                Subquery(
                    ReviewAssignment.objects.filter(standing_approval_q(), round_id=OuterRef("round_id"))
                    .order_by()
                    .values("round_id")
                    .annotate(count=Count("pk"))
                    .values("count")
                ),
                0,
            ),
            # Read with the assignment, so that a decision by a member with no conflict declared
            # (the usual case) does not load their conflicts.
            reviewer_has_conflicts=Exists(
                ConflictOfInterest.objects.in_force().filter(member_id=OuterRef("reviewer_id"))
            ),
            # What the decision records it was made under.
            reviewer_is_specialist=Exists(
                BoardMember.specialties.through.objects.filter(
                    boardmember_id=OuterRef("reviewer_id"), specialty_id=article.specialty_id
                )
            ),
        )
        .get(pk=pk)
    )
    locked.round.article = article
    return article, locked


def lock_members(members: QuerySet[BoardMember]) -> list[int]:
    """Lock board members (last in the lock order, by id) so that their open-review count cannot
    change between counting it and assigning them; returns the ids locked."""
    # NO KEY UPDATE: it serialises assignments as FOR UPDATE would, without waiting on a
    # transaction that only references the member (declaring a conflict takes a key-share lock).
    return list(
        members.select_for_update(of=("self",), no_key=True).order_by("pk").values_list("pk", flat=True)
    )


# --- Transitions -----------------------------------------------------------------------------


def run_transition(article: Article, name: str, actor: AbstractBaseUser, **kwargs: Any) -> None:
    """Run the FSM transition ``name`` on the locked ``article`` or raise the error that says why not."""
    method = getattr(article, name)
    label = ArticleStatus(article.status).label.lower()
    if not can_proceed(method, check_conditions=False):
        raise InvalidTransition(
            f"An article that is {label} cannot be {PAST_TENSE[name]}.",
            status=article.status,
            allowed=allowed_actions(article, actor),
        )
    transition = method._django_fsm.get_transition(article.status)
    for condition in transition.conditions:
        if not condition(article):
            code, message = condition.failure
            raise InvalidTransition(
                message, code=code, status=article.status, allowed=allowed_actions(article, actor)
            )
    if not has_transition_perm(method, actor):
        raise ActionNotPermitted(f"Your role does not allow an article to be {PAST_TENSE[name]}.")
    method(**kwargs)
    # The site's webhooks for this change (approved, expired, retired...), in its transaction.
    webhook_events.record_transition(article=article, transition=name)


PAST_TENSE = {
    "submit": "submitted for review",
    "start_review": "put under review",
    "approve": "approved",
    "request_changes": "sent back for changes",
    "reject": "rejected",
    "withdraw": "withdrawn from review",
    "supersede": "superseded",
    "expire": "marked expired",
    "retire": "retired",
    "restore": "restored",
}


# What the status transitions change on an article; saving only these keeps each step's UPDATE
# small and leaves the editors' metadata alone.
STATUS_FIELDS = [
    "status",
    "published_version",
    "last_decided_version",
    "last_reviewed_at",
    "review_due_at",
    "updated_at",
]


def save_status(article: Article) -> None:
    article.save(update_fields=STATUS_FIELDS)


def close_round(round: ReviewRound, outcome: RoundOutcome, now: datetime.datetime) -> list[ReviewAssignment]:
    """Close the round and cancel its open assignments; returns the cancelled ones."""
    round.closed_at = now
    round.outcome = outcome
    round.save(update_fields=["closed_at", "outcome"])
    cancelled = list(round.assignments.open().select_for_update(of=("self",)).order_by("pk"))
    cancel_assignments(cancelled, now)
    return cancelled


def cancel_assignments(
    assignments: list[ReviewAssignment], now: datetime.datetime, *, fields: tuple[str, ...] | list[str] = ()
) -> None:
    """Cancel locked open assignments (saving ``fields`` the caller set too); their reviewers are
    told once this commits."""
    for assignment in assignments:
        assignment.state = AssignmentState.CANCELLED
        assignment.closed_at = now
        assignment.save(update_fields=["state", "closed_at", *fields])
    notifications.notify(*assignments)


def require_editor(actor: AbstractBaseUser, what: str) -> None:
    if not (is_editor(actor) or is_system_user(actor)):
        raise ActionNotPermitted(f"Only editors can {what}.")


def require_own_open_assignment(actor: AbstractBaseUser, assignment: ReviewAssignment) -> None:
    """The actor must be the assigned reviewer, still an active board member, and the review
    still open."""
    is_reviewer = actor.is_authenticated and actor.pk == assignment.reviewer.user_id
    if not (is_reviewer and has_role(actor, Role.BOARD_MEMBER)):
        raise NotAssigned("This review is assigned to another board member.")
    if assignment.state == AssignmentState.COMPLETED:
        raise AlreadyDecided(
            f"You already decided on this version ({assignment.get_decision_display().lower()}, "
            f"{assignment.decided_at:%Y-%m-%d %H:%M} UTC)."
        )
    if not assignment.is_open:
        raise AssignmentClosed(f"This review was {assignment.get_state_display().lower()} and is closed.")
