"""Reads for the editors-in-chief's desk (``desk``): every list costs one query (two for the
reviewers, with their specialties) whatever its length, so the page's query count is fixed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from articles.models import APPROVAL_LAPSED, Article
from editorial import eligibility
from editorial.exceptions import IneligibilityReason
from editorial.models import ReviewAssignment, ReviewRound
from editorial.staffing.models import OverrideRequest, OverrideRequestState
from editorial.staffing.selectors import Staffing, StaffingState, round_staffing, rounds_with_staffing
from reviewers.models import BoardMember

DUE_WITHIN_DAYS = 30
# An open review older than this counts as long-open in the reviewers' load.
LONG_OPEN_DAYS = 14


def overdue_reviews() -> QuerySet[ReviewAssignment]:
    """Open reviews past their due date, by reviewer, then the longest overdue first."""
    return (
        ReviewAssignment.objects.overdue()
        .select_related("reviewer", "round__article__specialty")
        .annotate(article_title=F("round__version__title"), version_number=F("round__version__number"))
        .order_by("reviewer__display_name", "reviewer_id", "due_at", "pk")
    )


def stuck_rounds() -> QuerySet[ReviewRound]:
    """Open rounds short of reviewers or needing a specialist (``rounds_with_staffing``), oldest
    first, with the id of the override request waiting for them, if any."""
    waiting = OverrideRequest.objects.filter(round_id=OuterRef("pk"), state=OverrideRequestState.OPEN)
    return (
        rounds_with_staffing(ReviewRound.objects.open())
        .exclude(staffing=StaffingState.STAFFED)
        .select_related("article__specialty", "version")
        .defer("version__body")
        .annotate(override_request_id=Subquery(waiting.values("pk")[:1]))
        .order_by("opened_at", "pk")
    )


def open_override_requests() -> QuerySet[OverrideRequest]:
    """The editors' requests waiting for an editor-in-chief, oldest first."""
    return (
        OverrideRequest.objects.filter(state=OverrideRequestState.OPEN)
        .select_related("round__article__specialty", "requested_by", "member")
        .order_by("requested_at", "pk")
    )


def articles_due_for_review(now: datetime.datetime, days: int = DUE_WITHIN_DAYS) -> QuerySet[Article]:
    """Articles whose shown approval comes up for review within ``days`` (or already has, and the
    sweep has not run yet), soonest first."""
    return (
        Article.objects.filter(
            published_version__isnull=False, review_due_at__lte=now + datetime.timedelta(days=days)
        )
        .exclude(status__in=APPROVAL_LAPSED)
        .select_related("specialty")
        .order_by("review_due_at", "pk")
    )


def reviewer_loads(now: datetime.datetime) -> QuerySet[BoardMember]:
    """Active members, and anyone else still holding open reviews, with ``open_reviews``,
    ``overdue_reviews``, ``long_open_reviews`` (open for more than LONG_OPEN_DAYS) and
    ``oldest_open_since``. Two queries: the members, and their specialties."""
    open_reviews = (
        ReviewAssignment.objects.open().filter(reviewer_id=OuterRef("pk")).order_by().values("reviewer_id")
    )

    def count(condition: Q | None = None) -> Coalesce:
        reviews = open_reviews.filter(condition) if condition is not None else open_reviews
        return Coalesce(Subquery(reviews.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField())

    return (
        BoardMember.objects.annotate(
            open_reviews=count(),
            overdue_reviews=count(Q(due_at__lt=now)),
            long_open_reviews=count(Q(assigned_at__lt=now - datetime.timedelta(days=LONG_OPEN_DAYS))),
            oldest_open_since=Subquery(open_reviews.annotate(first=Min("assigned_at")).values("first")),
        )
        .filter(Q(is_active=True) | Q(open_reviews__gt=0))
        .prefetch_related("specialties")
        .order_by("-open_reviews", "display_name", "pk")
    )


def open_review(pk: int) -> ReviewAssignment | None:
    """One review as its page on the desk shows it, open or not."""
    return (
        ReviewAssignment.objects.with_overdue()
        .select_related("reviewer", "round__article__specialty", "round__version")
        .defer("round__version__body")
        .filter(pk=pk)
        .first()
    )


def staffing_round(pk: int) -> ReviewRound | None:
    """One round with what its staffing page needs."""
    return ReviewRound.objects.select_related("article__specialty", "version").filter(pk=pk).first()


def override_request(pk: int) -> OverrideRequest | None:
    return (
        OverrideRequest.objects.select_related(
            "round__article__specialty", "round__version", "requested_by", "member", "resolved_by"
        )
        .filter(pk=pk)
        .first()
    )


# --- Who could take a round ----------------------------------------------------------------------


# The rules of ``eligibility.reasons_against`` and ``round_staffing``, named as the desk shows them.
RULE_NAMES = {
    "inactive": "Not active",
    "not_a_board_member": "Not in the board-member role",
    "credentials_lapsed": "Credential check lapsed",
    "author": "Author of the article",
    "conflict_of_interest": "Conflict of interest",
    "already_assigned": "Already on this round",
    "at_capacity": "Load: at their limit",
    "specialty_mismatch": "Another specialty",
    "declined": "Declined this review",
    "released": "Released from this review",
}


@dataclass(frozen=True)
class ShownReason:
    rule: str
    code: str
    message: str


@dataclass(frozen=True)
class MemberRow:
    """A member as a choice on the desk: the rules that exclude them (none: eligible) and whether
    the chief may choose them (eligible, or excluded only by the specialty rule, which the chief's
    override lifts)."""

    member: BoardMember
    reasons: list[IneligibilityReason]
    in_specialty: bool

    @property
    def selectable(self) -> bool:
        return all(reason.overridable for reason in self.reasons)

    @property
    def shown_reasons(self) -> list[ShownReason]:
        """The rules worth saying, by name: for a member of another specialty, that one goes
        without saying."""
        return [
            ShownReason(RULE_NAMES.get(reason.code, reason.code), reason.code, reason.message)
            for reason in self.reasons
            if reason.code != "specialty_mismatch"
        ]


@dataclass
class RoundChoices:
    """Everyone a chief could give a seat of ``staffing.round`` to, with the rules that exclude each."""

    staffing: Staffing
    specialists: list[MemberRow]
    others: list[MemberRow] = field(default_factory=list)
    reviewers: list[ReviewAssignment] = field(default_factory=list)


def round_choices(round: ReviewRound, *, with_others: bool = True) -> RoundChoices:
    """The members of the round's specialty (eligible ones first, best first, then everyone
    ``round_staffing`` excludes, with its rules, load included), the members of other specialties
    with the rules other than the specialty that exclude them, and the round's reviewers. A fixed
    number of queries whatever the board's size."""
    staffing = round_staffing(round)
    specialists = [MemberRow(member, [], True) for member in staffing.candidates] + [
        MemberRow(exclusion.member, exclusion.reasons, True) for exclusion in staffing.exclusions
    ]
    choices = RoundChoices(
        staffing=staffing,
        specialists=specialists,
        reviewers=list(
            ReviewAssignment.objects.filter(round=round)
            .select_related("reviewer")
            .with_overdue()
            .order_by("assigned_at", "pk")
        ),
    )
    if with_others:
        facts = eligibility.RoundFacts(round)
        others = eligibility.members_with_load(
            BoardMember.objects.exclude(specialties=facts.specialty_id)
            .filter(is_active=True)
            .order_by("display_name", "pk"),
            facts,
        ).prefetch_related("specialties")
        choices.others = [
            MemberRow(member, eligibility.reasons_against(member, facts), False) for member in others
        ]
    return choices
