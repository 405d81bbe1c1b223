"""Who may review a version: the eligibility rules of DESIGN section 4, in one place.

``reasons_against`` judges one member against one round and is used both for a hand-picked
assignment and for every candidate of an automatic one, so the two can never disagree. The data
it needs is loaded up front (``RoundFacts``, ``members_with_load``) so judging a whole board costs
a fixed number of queries.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from articles.models import ArticleVersion
from editorial.exceptions import IneligibilityReason
from editorial.models import OPEN_ASSIGNMENT_STATES, ReviewRound
from reviewers.models import BoardMember, ConflictOfInterest


@dataclass(frozen=True)
class RoundFacts:
    """What the rules need to know about the round, loaded once."""

    round: ReviewRound
    specialty_id: int
    author_user_ids: frozenset[int]
    assigned_member_ids: frozenset[int]
    searchable_text: str
    today: datetime.date

    @classmethod
    def load(cls, round: ReviewRound, *, today: datetime.date | None = None) -> RoundFacts:
        version = round.version
        authors = ArticleVersion.objects.filter(article_id=round.article_id, number__lte=version.number)
        text_parts = [version.title, version.body]
        text_parts += [f"{ref.citation} {ref.source}" for ref in version.references.all()]
        return cls(
            round=round,
            specialty_id=round.article.specialty_id,
            author_user_ids=frozenset(authors.values_list("author_id", flat=True)),
            assigned_member_ids=frozenset(round.assignments.values_list("reviewer_id", flat=True)),
            searchable_text="\n".join(text_parts).casefold(),
            today=today or timezone.localdate(),
        )

    def names(self, keyword: str) -> bool:
        return re.search(rf"\b{re.escape(keyword.casefold())}\b", self.searchable_text) is not None


def members_with_load(
    queryset: QuerySet[BoardMember] | None = None, *, today: datetime.date
) -> QuerySet[BoardMember]:
    """Members annotated with ``open_reviews`` and ``last_assigned_at``, with their specialties,
    user and conflicts in force prefetched: everything ``reasons_against`` reads."""
    queryset = queryset if queryset is not None else BoardMember.objects.all()
    return (
        queryset.select_related("user")
        .annotate(
            open_reviews=Count("assignments", filter=Q(assignments__state__in=OPEN_ASSIGNMENT_STATES)),
            last_assigned_at=Max("assignments__assigned_at"),
        )
        .prefetch_related(
            "specialties",
            Prefetch(
                "conflicts_of_interest",
                queryset=ConflictOfInterest.objects.in_force(on=today),
                to_attr="conflicts_in_force",
            ),
        )
    )


def reasons_against(member: BoardMember, facts: RoundFacts) -> list[IneligibilityReason]:
    """Every rule ``member`` fails for this round; empty when they may review it.

    ``member`` must come from ``members_with_load``.
    """
    reasons = []
    if not member.is_active or not member.user.is_active:
        reasons.append(
            IneligibilityReason("inactive", f"{member.display_name} is not an active board member.")
        )
    if not member.credentials_current(on=facts.today):
        reasons.append(
            IneligibilityReason(
                "credentials_lapsed",
                f"{member.display_name}'s credential check has lapsed or was never recorded.",
            )
        )
    if member.user_id in facts.author_user_ids:
        reasons.append(
            IneligibilityReason(
                "author",
                f"{member.display_name} wrote a version of this article; nobody reviews their own text.",
            )
        )
    conflicts = [
        conflict
        for conflict in member.conflicts_in_force
        if conflict.article_id == facts.round.article_id
        or (conflict.keyword and facts.names(conflict.keyword))
    ]
    if conflicts:
        what = "; ".join(conflict.keyword or "this article" for conflict in conflicts)
        reasons.append(
            IneligibilityReason(
                "conflict_of_interest", f"{member.display_name} has declared a conflict of interest: {what}."
            )
        )
    if member.pk in facts.assigned_member_ids:
        reasons.append(
            IneligibilityReason(
                "already_assigned", f"{member.display_name} is already assigned to this review round."
            )
        )
    if member.open_reviews >= member.max_open_reviews:
        reasons.append(
            IneligibilityReason(
                "at_capacity",
                f"{member.display_name} already has {member.open_reviews} open reviews "
                f"(their limit is {member.max_open_reviews}).",
            )
        )
    if facts.specialty_id not in {specialty.pk for specialty in member.specialties.all()}:
        reasons.append(
            IneligibilityReason(
                "specialty_mismatch",
                f"{member.display_name} does not have the article's specialty.",
                overridable=True,
            )
        )
    return reasons


def eligible_candidates(facts: RoundFacts, *, exclude: Iterable[int] = ()) -> list[BoardMember]:
    """Members of the article's specialty who pass every rule, least loaded first (then whoever
    was assigned least recently, then the longest-serving)."""
    excluded = set(exclude) | set(facts.assigned_member_ids)
    candidates = members_with_load(
        BoardMember.objects.filter(
            specialties=facts.specialty_id, is_active=True, user__is_active=True
        ).exclude(pk__in=excluded),
        today=facts.today,
    )
    eligible = [member for member in candidates if not reasons_against(member, facts)]
    return sorted(
        eligible,
        key=lambda m: (
            m.open_reviews,
            m.last_assigned_at is not None,
            m.last_assigned_at or timezone.now(),
            m.pk,
        ),
    )
