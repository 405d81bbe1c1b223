"""Reads for the review workflow: rounds, assignments, the audit trail and the board's workload
(what the public site shows is in editorial.public). Each is planned so that a page of results
costs a fixed number of queries whatever its size."""

from __future__ import annotations

from django.db.models import (
    F,
    Prefetch,
    QuerySet,
    Window,
)
from django.db.models.functions import Lag

from articles.models import Article
from editorial.eligibility import open_review_count
from editorial.models import (
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
)
from reviewers.models import BoardMember
from reviewers.roles import board_member_of, is_editor, is_editor_in_chief

# --- Rounds and assignments -----------------------------------------------------------------------


def assignment_details() -> QuerySet[ReviewAssignment]:
    """Assignments with their reviewer, who assigned them, and whether they are overdue."""
    return ReviewAssignment.objects.select_related(
        "reviewer", "assigned_by", "decided_specialty"
    ).with_overdue()


def round_list(article: Article) -> QuerySet[ReviewRound]:
    """An article's review rounds, newest first, with their assignments and decisions."""
    return (
        ReviewRound.objects.filter(article=article)
        .select_related("opened_by")
        .annotate(version_number=F("version__number"))
        .prefetch_related(Prefetch("assignments", queryset=assignment_details().order_by("pk")))
        .order_by("-opened_at", "-pk")
    )


def _all_or_own(
    queryset: QuerySet[ReviewAssignment], user: object, *, sees_all: bool
) -> QuerySet[ReviewAssignment]:
    if sees_all:
        return queryset
    member = board_member_of(user)
    return queryset.filter(reviewer=member) if member is not None else queryset.none()


def assignments_visible_to(user: object) -> QuerySet[ReviewAssignment]:
    """For the API: every assignment for editors; a board member's own for a board member; none
    otherwise."""
    queryset = (
        assignment_details()
        .select_related("round__article")
        .annotate(version_number=F("round__version__number"))
    )
    return _all_or_own(queryset, user, sees_all=is_editor(user))


def review_desk_assignments(user: object) -> QuerySet[ReviewAssignment]:
    """For the review desk in the admin, where editors do not work: every assignment for an
    editor-in-chief; a board member's own for a board member; none otherwise."""
    return _all_or_own(assignment_details(), user, sees_all=is_editor_in_chief(user))


def current_approval_round(article: Article) -> ReviewRound | None:
    """The round that approved the version the site shows (the latest, for a version reviewed
    more than once), or None."""
    if article.published_version_id is None:
        return None
    round = (
        ReviewRound.objects.select_related("version")
        .filter(article=article, version_id=article.published_version_id, outcome=RoundOutcome.APPROVED)
        .order_by("-closed_at", "-pk")
        .first()
    )
    if round is not None:
        round.article = article
    return round


# --- The audit trail ----------------------------------------------------------------------------


def article_history(article: Article) -> QuerySet:
    """Every change to the article, newest first: who, when, why, the status before and after,
    and the current version at the time."""
    chronological = ["history_date", "history_id"]
    return (
        Article.history.filter(id=article.pk)
        .select_related("history_user")
        .annotate(
            previous_status=Window(Lag("status"), order_by=chronological),
            previous_version_id=Window(Lag("current_version_id"), order_by=chronological),
            version_number=F("current_version__number"),
            specialty_slug=F("specialty__slug"),
            **{
                f"previous_{field}": Window(Lag(expression), order_by=chronological)
                for field, expression in HISTORY_METADATA.items()
            },
        )
        .order_by("-history_date", "-history_id")
    )


# The article's metadata as the history shows its changes: the field, and what to compare.
HISTORY_METADATA = {
    "title": "title",
    "specialty": "specialty__slug",
    "risk_level": "risk_level",
    "review_interval_days": "review_interval_days",
}


# --- The board ------------------------------------------------------------------------------------


def board_members() -> QuerySet[BoardMember]:
    return (
        BoardMember.objects.select_related("user")
        .prefetch_related("specialties")
        .annotate(open_reviews=open_review_count())
        .order_by("display_name", "pk")
    )
