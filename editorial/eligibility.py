"""Who may review a version, and which approvals count: the board's rules, in one place.

``reasons_against`` judges one member against one round and serves both a hand-picked assignment
and every candidate of an automatic one, so the two can never disagree. The rules come in three
groups:

- the *integrity* rules (an active board member, credentials current, not an author, no conflict
  of interest), which also hold when the member decides and which nothing overrides;
- the *assignment* rules (not already assigned, under capacity, of the article's specialty);
- the *approval* rules (``approval_reasons`` and ``quorum_reasons``): whether an approval still
  counts for the article as it is now, and whether the approvals that count are enough. They are
  applied whenever a round could close as approved, whenever a reviewer's standing changes, when
  an article's classification changes, and by the ``verify_approvals`` audit.

What the rules read about the round is loaded on first use and shared (``RoundFacts``), and
``members_with_load`` fetches a whole board with everything the rules read in two queries.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import Article, ArticleVersion, RiskLevel
from editorial.exceptions import IneligibilityReason
from editorial.models import OPEN_ASSIGNMENT_STATES, ReviewAssignment, ReviewRound
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.roles import Role


def required_approvals(article: Article) -> int:
    """How many approvals the article's risk level needs (REVIEW_QUORUM)."""
    return settings.REVIEW_QUORUM[article.risk_level]


class RoundFacts:
    """What the rules need to know about a round; each part is loaded once, when first needed."""

    def __init__(
        self,
        round: ReviewRound,
        *,
        today: datetime.date | None = None,
        author_user_ids: frozenset[int] | None = None,
    ):
        self.round = round
        self.article = round.article
        self.specialty_id = round.article.specialty_id
        self.today = today or timezone.localdate()
        if author_user_ids is not None:  # loaded by the caller for many rounds at once
            self.__dict__["author_user_ids"] = author_user_ids

    @cached_property
    def author_user_ids(self) -> frozenset[int]:
        versions = ArticleVersion.objects.filter(
            article_id=self.round.article_id, number__lte=self.round.version.number
        )
        return frozenset(versions.order_by().values_list("author_id", flat=True).distinct())

    @cached_property
    def searchable_text(self) -> str:
        version = self.round.version
        # Through the relation, so that references prefetched with the version are not read again.
        references = version.references.all()
        parts = [version.title, version.body, *(f"{ref.citation} {ref.source}" for ref in references)]
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


def holds_board_role(user_field: str = "user_id") -> Exists:
    """Whether the member's user holds the board-member role, as an annotation."""
    return Exists(
        get_user_model().groups.through.objects.filter(
            user_id=OuterRef(user_field), group__name=Role.BOARD_MEMBER
        )
    )


def members_with_load(queryset: QuerySet[BoardMember], facts: RoundFacts) -> QuerySet[BoardMember]:
    """Members with everything the rules read about them for this round, in two queries:
    ``open_reviews``, ``last_assigned_at``, ``has_specialty``, ``in_round``, ``holds_role``,
    their user, and their conflicts in force (``conflicts_in_force``)."""
    return (
        queryset.select_related("user")
        .annotate(
            holds_role=holds_board_role(),
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
    holds_role: bool,
    include_standing: bool = True,
    include_authorship: bool = True,
) -> list[IneligibilityReason]:
    """The rules that protect the review itself: they apply when assigning, again when deciding
    and whenever the round could close, and no override lifts them. ``include_standing`` covers
    the member's standing on the board (active, holding the role, credentials current), which
    matters up to the round's close: a review given in good standing stays given."""
    name = member.display_name
    reasons = []
    if include_standing:
        if not member.is_active or not member.user.is_active:
            reasons.append(IneligibilityReason("inactive", f"{name} is not an active board member."))
        elif not holds_role:
            reasons.append(
                IneligibilityReason("not_a_board_member", f"{name} no longer holds the board-member role.")
            )
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
    conflicts = conflicts_covering(conflicts_in_force, facts)
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
    reasons = integrity_reasons(
        member, facts, conflicts_in_force=member.conflicts_in_force, holds_role=member.holds_role
    )
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


def conflicts_covering(
    conflicts: Iterable[ConflictOfInterest], facts: RoundFacts
) -> list[ConflictOfInterest]:
    """The conflicts that cover the round's article: declared about it, or naming a keyword its
    text (title, body, references) contains."""
    return [
        conflict
        for conflict in conflicts
        if conflict.article_id == facts.round.article_id
        or (conflict.keyword and facts.names(conflict.keyword))
    ]


def specialists(facts: RoundFacts) -> QuerySet[BoardMember]:
    """Active members of the article's specialty who hold the board-member role: the pool
    auto-assign draws from."""
    return BoardMember.objects.filter(
        holds_board_role(), specialties=facts.specialty_id, is_active=True, user__is_active=True
    )


def rank_eligible(members: Iterable[BoardMember], facts: RoundFacts) -> list[BoardMember]:
    """The members (from ``members_with_load``) who pass every rule, least loaded first, then
    whoever was assigned least recently, then by id."""
    eligible = [member for member in members if not reasons_against(member, facts)]
    never = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(eligible, key=lambda m: (m.open_reviews, m.last_assigned_at or never, m.pk))


# --- Which approvals count ----------------------------------------------------------------------

# The reasons that void an approval for good: they are about the reviewer, not the article's
# classification, so an approval that fails one of them never counts again.
VOIDING_REASONS = frozenset(
    {"inactive", "not_a_board_member", "credentials_lapsed", "author", "conflict_of_interest"}
)


def approvals_with_standing(
    queryset: QuerySet[ReviewAssignment], *, today: datetime.date
) -> list[ReviewAssignment]:
    """The approvals, with everything ``approval_reasons`` reads about their reviewer: the member
    and user, ``holds_role``, and their conflicts in force on ``today`` (``conflicts_in_force`` on
    the reviewer). One query, and one more only when a reviewer has a conflict in force."""
    in_force = ConflictOfInterest.objects.in_force(on=today)
    approvals = list(
        queryset.select_related("reviewer__user", "decided_specialty").annotate(
            holds_role=holds_board_role("reviewer__user_id"),
            reviewer_has_conflicts=Exists(in_force.filter(member_id=OuterRef("reviewer_id"))),
        )
    )
    conflicted = {approval.reviewer_id for approval in approvals if approval.reviewer_has_conflicts}
    conflicts: dict[int, list[ConflictOfInterest]] = defaultdict(list)
    for conflict in in_force.filter(member_id__in=conflicted) if conflicted else ():
        conflicts[conflict.member_id].append(conflict)
    for approval in approvals:
        approval.reviewer.conflicts_in_force = conflicts[approval.reviewer_id]
    return approvals


def approval_reasons(
    approval: ReviewAssignment, facts: RoundFacts, *, include_standing: bool, include_authorship: bool
) -> list[IneligibilityReason]:
    """Why ``approval`` (from ``approvals_with_standing``) does not count for the round's article
    as it is now; empty when it counts. ``include_authorship`` re-checks who wrote the versions,
    which the workflow fixes for good (versions are immutable and a new one ends the round) and
    checks when assigning: only the audit needs it again.

    An approval counts when its reviewer has no conflict of interest covering the article and
    wrote none of its versions; while the round is open (``include_standing``) they must also
    still be an active board member with current credentials. It must name the text under review,
    and it must have been given under the article's present specialty, by a member of that
    specialty or by one an editor-in-chief assigned with an override.
    """
    member = approval.reviewer
    name = member.display_name
    reasons = integrity_reasons(
        member,
        facts,
        conflicts_in_force=member.conflicts_in_force,
        holds_role=approval.holds_role,
        include_standing=include_standing,
        include_authorship=include_authorship,
    )
    if approval.decided_content_hash != facts.round.version.content_hash:
        reasons.append(
            IneligibilityReason(
                "text_changed", f"{name} approved other text than the version's content hash."
            )
        )
    if approval.decided_specialty_id != facts.specialty_id:
        # A decision always records its specialty (the assignment_decision_records_classification
        # constraint), as every article has one.
        reasons.append(
            IneligibilityReason(
                "specialty_changed",
                f"{name} approved it as an article of {approval.decided_specialty.name}; "
                f"it is now an article of {facts.article.specialty.name}.",
            )
        )
    elif not approval.decided_as_specialist and not approval.override_reason:
        reasons.append(
            IneligibilityReason(
                "not_a_specialist",
                f"{name} is not a member of {facts.article.specialty.name} "
                "and was not assigned with an override.",
            )
        )
    return reasons


def quorum_reasons(
    counting: Sequence[ReviewAssignment],
    facts: RoundFacts,
    *,
    given: Sequence[ReviewAssignment],
) -> list[IneligibilityReason]:
    """Why the approvals that count (``counting``) are not enough for the article's risk level as
    it is now; empty when they are. ``given``: every approval the caller checked, counting or not.

    The quorum is the round's own, fixed when it opened (a later change of the site-wide quorum
    does not undo approvals given under the old one). When the article's risk level has changed
    since the approvals were given, the new level's quorum applies too, whichever is higher. An
    approval that no longer counts still tells at which level it was given: when a reclassification
    voids them all, the reason names the new level's quorum, not the old one.
    """
    required = facts.round.required_approvals
    if any(approval.decided_risk_level != facts.article.risk_level for approval in given):
        required = max(required, required_approvals(facts.article))
    reasons = []
    if len(counting) < required:
        reasons.append(
            IneligibilityReason(
                "quorum", f"{len(counting)} of the {required} approvals its risk level needs count."
            )
        )
    if facts.article.risk_level == RiskLevel.HIGH and not any(a.decided_as_specialist for a in counting):
        reasons.append(
            IneligibilityReason(
                "needs_specialist",
                f"A high-risk article needs the approval of a member of {facts.article.specialty.name}.",
            )
        )
    return reasons
