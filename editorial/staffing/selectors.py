"""The staffing state of a review round, in one place.

A round is **covered** by its open assignments and its standing approvals. It is:

- ``short`` when they are fewer than the approvals it needs (``missing`` says how many);
- ``needs_specialist`` when it is a high-risk article's round and none of them is by a member of
  the article's specialty (an approval given as a specialist, or an open review by one), however
  many there are: the round can never close as approved without one;
- ``staffed`` otherwise.

``rounds_with_staffing`` computes the state in SQL for lists (and filters); ``round_staffing``
adds, for one round, who could fill the gap and who is excluded by which rule.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from articles.models import Article, RiskLevel
from editorial import eligibility
from editorial.exceptions import IneligibilityReason
from editorial.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    ReviewAssignment,
    ReviewRound,
    standing_approval_q,
)
from reviewers.models import BoardMember


class StaffingState(models.TextChoices):
    STAFFED = "staffed", "Staffed"
    SHORT = "short", "Short of reviewers"
    NEEDS_SPECIALIST = "needs_specialist", "Needs a specialist"


def _covering(round_ref: str = "pk") -> QuerySet[ReviewAssignment]:
    return ReviewAssignment.objects.filter(
        Q(state__in=OPEN_ASSIGNMENT_STATES) | standing_approval_q(), round_id=OuterRef(round_ref)
    )


def rounds_with_staffing(rounds: QuerySet[ReviewRound]) -> QuerySet[ReviewRound]:
    """``rounds`` annotated with ``covered``, ``missing``, ``needs_specialist`` and ``staffing``
    (a ``StaffingState`` value), in the same query."""
    holds_specialty = BoardMember.specialties.through.objects.filter(
        boardmember_id=OuterRef("reviewer_id"), specialty_id=OuterRef(OuterRef("article__specialty_id"))
    )
    specialist_cover = ReviewAssignment.objects.filter(round_id=OuterRef("pk")).filter(
        (Q(state__in=OPEN_ASSIGNMENT_STATES) & Exists(holds_specialty))
        | (standing_approval_q() & Q(decided_as_specialist=True))
    )
    covered = Coalesce(
        Subquery(_covering().order_by().values("round_id").annotate(count=Count("pk")).values("count")),
        0,
        output_field=IntegerField(),
    )
    return rounds.annotate(
        covered=covered,
        missing=Greatest(F("required_approvals") - F("covered"), Value(0), output_field=IntegerField()),
        needs_specialist=ExpressionWrapper(
            Q(article__risk_level=RiskLevel.HIGH) & ~Exists(specialist_cover), output_field=BooleanField()
        ),
        staffing=Case(
            When(missing__gt=0, then=Value(StaffingState.SHORT)),
            When(needs_specialist=True, then=Value(StaffingState.NEEDS_SPECIALIST)),
            default=Value(StaffingState.STAFFED),
            output_field=CharField(),
        ),
    )


def seats_to_fill(round: ReviewRound) -> int:
    """How many reviewers the open ``round`` should still be given: the missing approvals, and at
    least one specialist seat when it needs a specialist."""
    staffed = (
        rounds_with_staffing(ReviewRound.objects.filter(pk=round.pk))
        .values("missing", "needs_specialist")
        .get()
    )
    return max(staffed["missing"], 1 if staffed["needs_specialist"] else 0)


# What a member's own assignment in this round says about why they are not a candidate.
_IN_ROUND = {
    AssignmentState.DECLINED: ("declined", "{name} declined this review."),
    AssignmentState.CANCELLED: ("released", "{name}'s review of this version was cancelled."),
}


@dataclass(frozen=True)
class Exclusion:
    member: BoardMember
    reasons: list[IneligibilityReason]


@dataclass
class Staffing:
    """A round's staffing state, with what could change it."""

    round: ReviewRound
    state: str
    required: int
    covered: int
    missing: int
    needs_specialist: bool
    candidates: list[BoardMember] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)

    @property
    def counts_by_rule(self) -> dict[str, int]:
        return dict(Counter(reason.code for exclusion in self.exclusions for reason in exclusion.reasons))

    def describe(self) -> str:
        """In words, for an email or a page: what is missing and why nobody fills it."""
        specialty = self.round.article.specialty.name
        needs = []
        if self.missing:
            reviewers = "reviewer" if self.missing == 1 else "reviewers"
            needs.append(f"needs {_count(self.missing)} more {reviewers} from {specialty}")
        if self.needs_specialist and not self.missing:  # the missing reviewers come from the specialty
            needs.append(f"needs the approval of a member of {specialty} (it is a high-risk article)")
        if not needs:
            return "has the reviewers it needs"
        why = [reason.message for exclusion in self.exclusions for reason in exclusion.reasons[:1]]
        available = (
            f"{len(self.candidates)} eligible member{'s' if len(self.candidates) != 1 else ''} could take it"
            if self.candidates
            else "nobody eligible is free"
        )
        return (
            "; ".join(needs)
            + f"; {available}"
            + (": " + " ".join(why) if why and not self.candidates else ".")
        )


def _count(number: int) -> str:
    return {1: "one", 2: "two", 3: "three"}.get(number, str(number))


def round_staffing(round: ReviewRound) -> Staffing:
    """The open ``round``'s staffing state, with the members of its article's specialty who could
    be assigned now (``candidates``, best first) and those who cannot, each with every rule that
    excludes them (``exclusions``). A fixed number of queries whatever the board's size."""
    staffed = (
        rounds_with_staffing(ReviewRound.objects.filter(pk=round.pk))
        .values("covered", "missing", "needs_specialist", "staffing")
        .get()
    )
    facts = eligibility.RoundFacts(round)
    pool = list(
        eligibility.members_with_load(
            BoardMember.objects.filter(specialties=facts.specialty_id).order_by("display_name", "pk"), facts
        )
    )
    in_round = dict(
        ReviewAssignment.objects.filter(round=round, reviewer__in=pool).values_list("reviewer_id", "state")
    )
    candidates, exclusions = [], []
    for member in pool:
        reasons = eligibility.reasons_against(member, facts)
        state = in_round.get(member.pk)
        if state in _IN_ROUND:
            code, message = _IN_ROUND[state]
            reasons = [IneligibilityReason(code, message.format(name=member.display_name))] + [
                reason for reason in reasons if reason.code != "already_assigned"
            ]
        elif state is not None:
            continue  # covering the round already
        if reasons:
            exclusions.append(Exclusion(member, reasons))
        else:
            candidates.append(member)
    return Staffing(
        round=round,
        state=staffed["staffing"],
        required=round.required_approvals,
        covered=staffed["covered"],
        missing=staffed["missing"],
        needs_specialist=staffed["needs_specialist"],
        candidates=eligibility.rank_eligible(candidates, facts),
        exclusions=exclusions,
    )


# --- The board's free capacity ---------------------------------------------------------------


@dataclass
class BoardCapacity:
    """The board's free review seats, per member, as the eligibility rules count them: a member who
    can be given a review now (active, holding the board-member role, credentials current) has
    ``max_open_reviews`` minus their open reviews free (never below zero)."""

    free_by_member: dict[int, int]
    members_by_specialty: dict[int, set[int]] = field(default_factory=dict)

    @property
    def free_seats(self) -> int:
        return sum(self.free_by_member.values())

    @property
    def members_with_room(self) -> int:
        return sum(1 for free in self.free_by_member.values() if free > 0)

    def free_in(self, specialty_id: int) -> int:
        """Free seats of the members of a specialty (auto-assignment draws only from them)."""
        return sum(self.free_by_member.get(pk, 0) for pk in self.members_by_specialty.get(specialty_id, ()))

    def take(self, member_ids: list[int]) -> None:
        """One seat of each of these members is taken."""
        for pk in member_ids:
            if pk in self.free_by_member:
                self.free_by_member[pk] = max(self.free_by_member[pk] - 1, 0)


def seats_per_round(risk_level: str) -> int:
    """The seats a new round of an article of this risk level takes: the approvals it needs."""
    return eligibility.required_approvals(Article(risk_level=risk_level))


def board_capacity(*, today: datetime.date | None = None) -> BoardCapacity:
    """The board's free capacity now (what the triage queue fills and waiting re-reviews wait
    for), in two queries (members with their open reviews, and their specialties)."""
    today = today or timezone.localdate()
    members = list(
        BoardMember.objects.filter(eligibility.holds_board_role(), is_active=True, user__is_active=True)
        .annotate(open_reviews=eligibility.open_review_count())
        .only("pk", "max_open_reviews", "credentials_verified_until")
    )
    free = {
        member.pk: max(member.max_open_reviews - member.open_reviews, 0)
        for member in members
        if member.credentials_current(on=today)
    }
    by_specialty: dict[int, set[int]] = {}
    pairs = BoardMember.specialties.through.objects.filter(boardmember_id__in=list(free)).values_list(
        "specialty_id", "boardmember_id"
    )
    for specialty_id, member_id in pairs:  # none, and no query, when nobody has a free seat
        by_specialty.setdefault(specialty_id, set()).add(member_id)
    return BoardCapacity(free_by_member=free, members_by_specialty=by_specialty)
