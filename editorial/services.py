"""The review workflow: the only code that changes an article's review status.

Every function here is keyword-only, runs in one transaction, takes the acting user and a reason
(recorded on every history row it writes), and locks rows in one fixed order:

    the article  ->  its open review round  ->  the round's assignments (by id)  ->  board members (by id)

Every step on an article therefore queues behind any other step on the same article: two final
approvals arriving at once give one approval, and an approval racing a withdrawal gives one or the
other, never a mixture. Status moves go through the django-fsm-2 transitions declared on
``Article``, which hold the allowed sources, conditions and role permissions.

Reviewers and editors are told of the assignments, cancellations and decisions a step makes by
email, queued only once it commits (``editorial.notifications``).

Refusals raise the errors of ``editorial.exceptions`` (or Django's ``ValidationError`` for bad
field values) before anything is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm
from simple_history.utils import bulk_create_with_history

from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion, RiskLevel
from articles.selectors import allowed_actions
from articles.services import ReferenceInput, append_version, lock_article
from config.audit import audit, current_audit
from editorial import eligibility, notifications
from editorial.exceptions import (
    ActionNotPermitted,
    AlreadyDecided,
    AssignmentClosed,
    InvalidTransition,
    NoEligibleReviewers,
    NoOpenRound,
    NotAssigned,
    NotEligible,
    OverrideNotPermitted,
)
from editorial.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    Decision,
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
    RoundTrigger,
)
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.roles import Role, has_role, is_editor, is_editor_in_chief, is_system_user
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


# --- Policy -------------------------------------------------------------------------------------


def required_approvals(article: Article) -> int:
    return settings.REVIEW_QUORUM[article.risk_level]


# --- Locking -------------------------------------------------------------------------------------


def _lock_open_round(article: Article, *, required: bool = True) -> ReviewRound | None:
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


def _lock_assignment(assignment: ReviewAssignment | int) -> tuple[Article, ReviewAssignment]:
    """Lock the assignment's article first (the fixed order), then the assignment itself."""
    if isinstance(assignment, ReviewAssignment) and ReviewAssignment.round.is_cached(assignment):
        pk, article_id = assignment.pk, assignment.round.article_id  # a round never changes article
    else:
        pk = assignment if isinstance(assignment, int) else assignment.pk
        article_id = ReviewAssignment.objects.filter(pk=pk).values_list("round__article_id", flat=True).get()
    article = lock_article(article_id)
    locked = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("round__version", "reviewer__user")
        .annotate(
            approvals_in_round=Coalesce(
                Subquery(
                    ReviewAssignment.objects.filter(
                        round_id=OuterRef("round_id"),
                        state=AssignmentState.COMPLETED,
                        decision=Decision.APPROVE,
                    )
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
        )
        .get(pk=pk)
    )
    locked.round.article = article
    return article, locked


def _lock_members(members: QuerySet[BoardMember]) -> list[int]:
    """Lock board members (last in the lock order, by id) so that their open-review count cannot
    change between counting it and assigning them; returns the ids locked."""
    return list(members.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))


# --- Transitions -----------------------------------------------------------------------------


def _transition(article: Article, name: str, actor: AbstractBaseUser, **kwargs: Any) -> None:
    """Run the FSM transition ``name`` on the locked ``article`` or raise the error that says why not."""
    method = getattr(article, name)
    label = ArticleStatus(article.status).label.lower()
    if not can_proceed(method, check_conditions=False):
        raise InvalidTransition(
            f"An article that is {label} cannot be {_PAST_TENSE.get(name, name)}.",
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
        raise ActionNotPermitted(f"Your role does not allow an article to be {_PAST_TENSE.get(name, name)}.")
    method(**kwargs)


_PAST_TENSE = {
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


def _save_status(article: Article) -> None:
    article.save(update_fields=STATUS_FIELDS)


def _close_round(round: ReviewRound, outcome: RoundOutcome, now: datetime.datetime) -> list[ReviewAssignment]:
    """Close the round and cancel its open assignments; returns the cancelled ones."""
    round.closed_at = now
    round.outcome = outcome
    round.save(update_fields=["closed_at", "outcome"])
    cancelled = list(round.assignments.open().select_for_update(of=("self",)).order_by("pk"))
    _cancel(cancelled, now)
    return cancelled


def _cancel(assignments: list[ReviewAssignment], now: datetime.datetime) -> None:
    """Cancel locked open assignments; their reviewers are told once this commits."""
    for assignment in assignments:
        assignment.state = AssignmentState.CANCELLED
        assignment.closed_at = now
        assignment.save(update_fields=["state", "closed_at"])
    notifications.notify(*assignments)


def _require_editor(actor: AbstractBaseUser, what: str) -> None:
    if not (is_editor(actor) or is_system_user(actor)):
        raise ActionNotPermitted(f"Only editors can {what}.")


# --- Editors' steps ---------------------------------------------------------------------------


@transaction.atomic
def submit(*, actor: AbstractBaseUser, article: Article, reason: str) -> ReviewRound:
    """Submit the article's current version for review: opens a round that needs the approvals
    its risk level requires. An expired article's approved text can be submitted again as it is
    (a re-review); otherwise the version must be newer than the last one decided on."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        re_review = (
            article.status == ArticleStatus.EXPIRED
            and article.current_version_id == article.published_version_id
        )
        _transition(article, "submit", actor)
        round = ReviewRound.objects.create(
            article=article,
            version_id=article.current_version_id,
            trigger=RoundTrigger.RE_REVIEW if re_review else RoundTrigger.SUBMISSION,
            opened_by=actor,
            opened_at=timezone.now(),
            required_approvals=required_approvals(article),
        )
        _save_status(article)
    return round


@transaction.atomic
def withdraw(*, actor: AbstractBaseUser, article: Article, reason: str) -> ReviewRound:
    """Take the article out of review: the round closes as withdrawn, open assignments are
    cancelled and the article returns to draft."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _transition(article, "withdraw", actor)
        round = _lock_open_round(article)
        _close_round(round, RoundOutcome.WITHDRAWN, timezone.now())
        _save_status(article)
    return round


@transaction.atomic
def add_version(
    *,
    actor: AbstractBaseUser,
    article: Article,
    title: str,
    body: str,
    reason: str,
    change_summary: str = "",
    references: Iterable[ReferenceInput] = (),
) -> ArticleVersion:
    """Write the article's next version. If a version is in review, that round closes as
    superseded, its open assignments are cancelled and the article returns to draft."""
    _require_editor(actor, "write new versions")
    with audit(actor=actor, reason=reason) as context:
        locked = lock_article(article.pk)
        if locked.status in IN_REVIEW:
            round = _lock_open_round(locked)
            _transition(locked, "supersede", actor)
            _close_round(round, RoundOutcome.SUPERSEDED, timezone.now())
            _save_status(locked)
        version = append_version(
            actor=actor,
            locked_article=locked,
            title=title,
            body=body,
            change_summary=change_summary,
            references=references,
            reason=context.reason,
        )
    return version


def _default_due_at(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.REVIEW_ASSIGNMENT_DAYS)


def _create_assignment(
    *,
    round: ReviewRound,
    reviewer: BoardMember,
    assigned_by: AbstractBaseUser,
    due_at: datetime.datetime,
    override_reason: str = "",
) -> ReviewAssignment:
    assignment = ReviewAssignment.objects.create(
        round=round,
        reviewer=reviewer,
        assigned_by=assigned_by,
        assigned_at=timezone.now(),
        due_at=due_at,
        override_reason=override_reason,
    )
    notifications.notify(assignment)
    return assignment


def _start_review_if_submitted(article: Article, actor: AbstractBaseUser) -> None:
    if article.status == ArticleStatus.SUBMITTED:
        _transition(article, "start_review", actor)
        _save_status(article)


def _require_in_review(article: Article, actor: AbstractBaseUser) -> None:
    if article.status not in IN_REVIEW:
        raise InvalidTransition(
            "Reviewers can be assigned only while the article is submitted or under review.",
            status=article.status,
            allowed=allowed_actions(article, actor),
        )


def _check_due_at(due_at: datetime.datetime | None, now: datetime.datetime) -> None:
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": "The due date must be in the future."}, code="due_in_past")


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
    _lock_members(BoardMember.objects.filter(pk=reviewer.pk))
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
    _require_editor(actor, "assign reviewers")
    now = timezone.now()
    _check_due_at(due_at, now)
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _require_in_review(article, actor)
        round = _lock_open_round(article)
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
    _require_editor(actor, "reassign reviews")
    now = timezone.now()
    _check_due_at(due_at, now)
    with audit(actor=actor, reason=reason):
        article, current = _lock_assignment(assignment)
        if not current.is_open:
            raise AssignmentClosed(
                f"This review was {current.get_state_display().lower()}; there is nothing to reassign."
            )
        round = _lock_open_round(article)
        _cancel([current], now)
        return _assign_eligible(
            actor=actor,
            article=article,
            round=round,
            reviewer=reviewer,
            due_at=due_at or _default_due_at(now),
            override_reason=override_reason,
        )


def _open_seats(round: ReviewRound) -> int:
    """Approvals the round still needs that no open assignment is expected to provide."""
    covered = round.assignments.filter(
        Q(state__in=OPEN_ASSIGNMENT_STATES) | Q(state=AssignmentState.COMPLETED, decision=Decision.APPROVE)
    ).count()
    return max(round.required_approvals - covered, 0)


def _fill_open_seats(
    *, article: Article, round: ReviewRound, actor: AbstractBaseUser, seats: int
) -> list[ReviewAssignment]:
    """Assign up to ``seats`` of the best eligible specialists to ``round``."""
    if seats == 0:
        return []
    facts = eligibility.RoundFacts(round)
    # Lock the pool first, then count everyone's open reviews: a concurrent assignment on
    # another article cannot fill someone's last seat between the count and the insert.
    pool = _lock_members(eligibility.specialists(facts))
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
        default_user=context.actor,
        default_change_reason=context.reason,
        default_date=now,
    )
    if assignments:
        _start_review_if_submitted(article, actor)
        notifications.notify(*assignments)
    return assignments


@transaction.atomic
def auto_assign(*, actor: AbstractBaseUser, article: Article, reason: str) -> list[ReviewAssignment]:
    """Assign the least-loaded eligible members of the article's specialty until the open round
    has as many reviewers as approvals it needs. Returns the new assignments (none when the
    round is already covered); refuses when a reviewer is needed and none is eligible."""
    _require_editor(actor, "assign reviewers")
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _require_in_review(article, actor)
        round = _lock_open_round(article)
        needed = _open_seats(round)
        assignments = _fill_open_seats(article=article, round=round, actor=actor, seats=needed)
        if needed and not assignments:
            raise NoEligibleReviewers(
                f"No eligible member of {article.specialty.name} is free to review “{article.title}”. "
                "An editor-in-chief can assign a member from another specialty with an override."
            )
    return assignments


# --- Board members' steps ------------------------------------------------------------------------


def _require_own_open_assignment(actor: AbstractBaseUser, assignment: ReviewAssignment) -> None:
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


@transaction.atomic
def accept(
    *, actor: AbstractBaseUser, assignment: ReviewAssignment, reason: str = "Accepted the review"
) -> ReviewAssignment:
    """The assigned member confirms they will review."""
    with audit(actor=actor, reason=reason):
        _, assignment = _lock_assignment(assignment)
        _require_own_open_assignment(actor, assignment)
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
        article, assignment = _lock_assignment(assignment)
        _require_own_open_assignment(actor, assignment)
        assignment.state = AssignmentState.DECLINED
        assignment.comment = context.reason
        assignment.closed_at = timezone.now()
        assignment.save(update_fields=["state", "comment", "closed_at"])
        system = get_system_user()
        with audit(actor=system, reason=f"Replacement for {assignment.reviewer.display_name}, who declined"):
            replacements = _fill_open_seats(
                article=article, round=assignment.round, actor=system, seats=_open_seats(assignment.round)
            )
    return replacements


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
        article, assignment = _lock_assignment(assignment)
        _require_own_open_assignment(actor, assignment)
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
            _close_round(round, outcome, now)
            _transition(
                article,
                "request_changes" if decision == Decision.REQUEST_CHANGES else "reject",
                actor,
                version=round.version,
            )
            _save_status(article)
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
    _close_round(round, RoundOutcome.APPROVED, now)
    names = ", ".join(approval.reviewer.display_name for approval in on_this_text)
    with audit(
        actor=actor,
        reason=f"Approved by {names} ({len(on_this_text)} of {round.required_approvals} approvals)",
    ):
        _transition(article, "approve", actor, version=round.version, at=now)
        _save_status(article)
    return True


# --- Editors-in-chief and the scheduler -------------------------------------------------------


@transaction.atomic
def retire(*, actor: AbstractBaseUser, article: Article, reason: str) -> Article:
    """Take the article off the site. A review in progress is withdrawn."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _transition(article, "retire", actor)
        round = _lock_open_round(article, required=False)
        if round is not None:
            _close_round(round, RoundOutcome.WITHDRAWN, timezone.now())
        _save_status(article)
    return article


@transaction.atomic
def restore(*, actor: AbstractBaseUser, article: Article, reason: str) -> Article:
    """Bring a retired article back as a draft; it needs a review before it shows as approved."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        _transition(article, "restore", actor)
        _save_status(article)
    return article


@transaction.atomic
def expire(*, actor: AbstractBaseUser, article: Article, reason: str) -> Article:
    """Mark an approved article whose review date has passed as expired (the scheduler's step)."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        if article.status == ArticleStatus.APPROVED and not article.review_is_due(timezone.now()):
            raise InvalidTransition(
                "The article's review is not due yet.",
                code="review_not_due",
                status=article.status,
                allowed=[],
            )
        _transition(article, "expire", actor)
        _save_status(article)
    return article
