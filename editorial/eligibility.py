"""Who may review a version: the eligibility rules of DESIGN section 4, in one place.

``reasons_against`` judges one member against one round and serves both a hand-picked assignment
and every candidate of an automatic one, so the two can never disagree. The rules come in two
groups: the *integrity* rules (active, credentials current, not an author, no conflict of
interest), which also hold when the member decides and which nothing overrides, and the
*assignment* rules (not already assigned, under capacity, of the article's specialty).

What the rules read about the round is loaded on first use and shared (``RoundFacts``), and
``members_with_load`` fetches a whole board with everything the rules read in two queries.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import ArticleVersion, Reference
from editorial.exceptions import IneligibilityReason
from editorial.models import OPEN_ASSIGNMENT_STATES, ReviewAssignment, ReviewRound
from reviewers.models import BoardMember, ConflictOfInterest


class RoundFacts:
    """What the rules need to know about a round; each part is loaded once, when first needed."""

    def __init__(self, round: ReviewRound, *, today: datetime.date | None = None):
        self.round = round
        self.specialty_id = round.article.specialty_id
        self.today = today or timezone.localdate()

    @cached_property
    def author_user_ids(self) -> frozenset[int]:
        versions = ArticleVersion.objects.filter(
            article_id=self.round.article_id, number__lte=self.round.version.number
        )
        return frozenset(versions.order_by().values_list("author_id", flat=True).distinct())

    @cached_property
    def searchable_text(self) -> str:
        version = self.round.version
        references = Reference.objects.filter(version=version).values_list("citation", "source")
        parts = [version.title, version.body, *(f"{citation} {source}" for citation, source in references)]
        return "\n".join(parts).casefold()

    def names(self, keyword: str) -> bool:
        """Whether the version's text (title, body, references) names ``keyword`` as a word."""
        return re.search(rf"\b{re.escape(keyword.casefold())}\b", self.searchable_text) is not None


def open_review_count() -> Coalesce:
    """A member's open (pending or accepted) reviews, as an annotation on BoardMember."""
    return Coalesce(
        Subquery(
            ReviewAssignment.objects.filter(reviewer_id=OuterRef("pk"), state__in=OPEN_ASSIGNMENT_STATES)
            .order_by()
            .values("reviewer_id")
            .annotate(count=Count("pk"))
            .values("count")
        ),
        0,
    )


def members_with_load(queryset: QuerySet[BoardMember], facts: RoundFacts) -> QuerySet[BoardMember]:
    """Members with everything the rules read about them for this round, in two queries:
    ``open_reviews``, ``last_assigned_at``, ``has_specialty``, ``in_round``, their user, and
    their conflicts in force (``conflicts_in_force``)."""
    return (
        queryset.select_related("user")
        .annotate(
            # Subqueries rather than a join and GROUP BY over every assignment a member ever had:
            # with the (reviewer, state) and (reviewer, assigned_at) indexes their cost does not
            # grow with a member's years of service.
            open_reviews=open_review_count(),
            last_assigned_at=Subquery(
                ReviewAssignment.objects.filter(reviewer_id=OuterRef("pk"))
                .order_by("-assigned_at")
                .values("assigned_at")[:1]
            ),
            has_specialty=Exists(
                BoardMember.specialties.through.objects.filter(
                    boardmember_id=OuterRef("pk"), specialty_id=facts.specialty_id
                )
            ),
            in_round=Exists(
                ReviewAssignment.objects.filter(round_id=facts.round.pk, reviewer_id=OuterRef("pk"))
            ),
        )
        .prefetch_related(
            Prefetch(
                "conflicts_of_interest",
                queryset=ConflictOfInterest.objects.in_force(on=facts.today),
                to_attr="conflicts_in_force",
            ),
        )
    )


def integrity_reasons(
    member: BoardMember,
    facts: RoundFacts,
    *,
    conflicts_in_force: Sequence[ConflictOfInterest],
    include_authorship: bool = True,
) -> list[IneligibilityReason]:
    """The rules that protect the review itself: they apply when assigning and again when
    deciding, and no override lifts them."""
    name = member.display_name
    reasons = []
    if not member.is_active or not member.user.is_active:
        reasons.append(IneligibilityReason("inactive", f"{name} is not an active board member."))
    if not member.credentials_current(on=facts.today):
        reasons.append(
            IneligibilityReason(
                "credentials_lapsed", f"{name}'s credential check has lapsed or was never recorded."
            )
        )
    if include_authorship and member.user_id in facts.author_user_ids:
        reasons.append(
            IneligibilityReason(
                "author", f"{name} wrote a version of this article; nobody reviews their own text."
            )
        )
    conflicts = [
        conflict
        for conflict in conflicts_in_force
        if conflict.article_id == facts.round.article_id
        or (conflict.keyword and facts.names(conflict.keyword))
    ]
    if conflicts:
        what = "; ".join(conflict.keyword or "this article" for conflict in conflicts)
        reasons.append(
            IneligibilityReason(
                "conflict_of_interest", f"{name} has declared a conflict of interest: {what}."
            )
        )
    return reasons


def reasons_against(member: BoardMember, facts: RoundFacts) -> list[IneligibilityReason]:
    """Every rule ``member`` (from ``members_with_load``) fails for this round; empty when they
    may be assigned. Only ``specialty_mismatch`` can be overridden (by an editor-in-chief)."""
    name = member.display_name
    reasons = integrity_reasons(member, facts, conflicts_in_force=member.conflicts_in_force)
    if member.in_round:
        reasons.append(
            IneligibilityReason("already_assigned", f"{name} is already assigned to this review round.")
        )
    if member.open_reviews >= member.max_open_reviews:
        reasons.append(
            IneligibilityReason(
                "at_capacity",
                f"{name} already has {member.open_reviews} open reviews "
                f"(their limit is {member.max_open_reviews}).",
            )
        )
    if not member.has_specialty:
        reasons.append(
            IneligibilityReason(
                "specialty_mismatch", f"{name} does not have the article's specialty.", overridable=True
            )
        )
    return reasons


def specialists(facts: RoundFacts) -> QuerySet[BoardMember]:
    """Active members of the article's specialty: the pool auto-assign draws from."""
    return BoardMember.objects.filter(specialties=facts.specialty_id, is_active=True, user__is_active=True)


def rank_eligible(members: Iterable[BoardMember], facts: RoundFacts) -> list[BoardMember]:
    """The members (from ``members_with_load``) who pass every rule, least loaded first, then
    whoever was assigned least recently, then by id."""
    eligible = [member for member in members if not reasons_against(member, facts)]
    never = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(eligible, key=lambda m: (m.open_reviews, m.last_assigned_at or never, m.pk))
