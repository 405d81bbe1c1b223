"""Reads for the review workflow: rounds, assignments, the audit trail, the board's workload and
what the public site shows. Each is planned so that a page of results costs a fixed number of
queries whatever its size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import Coalesce, Lag
from django.utils import timezone

from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion
from editorial.eligibility import open_review_count
from editorial.models import (
    AssignmentState,
    Decision,
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
)
from reviewers.models import BoardMember
from reviewers.roles import board_member_of, is_editor, is_editor_in_chief

# --- Rounds and assignments -----------------------------------------------------------------------


def assignment_details() -> QuerySet[ReviewAssignment]:
    """Assignments with their reviewer, who assigned them, and whether they are overdue."""
    return ReviewAssignment.objects.select_related("reviewer", "assigned_by").with_overdue()


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
        )
        .order_by("-history_date", "-history_id")
    )


# --- The board ------------------------------------------------------------------------------------


def board_members() -> QuerySet[BoardMember]:
    return (
        BoardMember.objects.select_related("user")
        .prefetch_related("specialties")
        .annotate(open_reviews=open_review_count())
        .order_by("display_name", "pk")
    )


# --- The public site ------------------------------------------------------------------------------


def public_articles() -> QuerySet[Article]:
    """What the site lists: articles with an approved version (and, when PUBLIC_SHOW_UNREVIEWED
    is on, those still waiting for their first approval), never retired ones."""
    shown = Q(published_version__isnull=False)
    if settings.PUBLIC_SHOW_UNREVIEWED:
        shown |= Q(current_version__isnull=False)
    return (
        Article.objects.filter(shown)
        .exclude(status=ArticleStatus.RETIRED)
        .annotate(shown_title=Coalesce(F("published_version__title"), F("current_version__title")))
        .order_by("slug")
    )


@dataclass(frozen=True)
class Badge:
    name: str
    caution: bool
    caution_text: str


def public_badge(article: Article, *, now: datetime.datetime | None = None) -> Badge:
    """Approved while an approved version exists and its review is not overdue; otherwise the
    article's status, with the caution line."""
    now = now or timezone.now()
    if article.published_version_id is not None:
        if not article.review_is_due(now):
            return Badge("approved", False, "")
        being_reviewed = article.status in IN_REVIEW or article.status == ArticleStatus.EXPIRED
        return Badge(
            article.status if being_reviewed else ArticleStatus.EXPIRED, True, settings.PUBLIC_OVERDUE_TEXT
        )
    return Badge(article.status, True, settings.PUBLIC_CAUTION_TEXT)


@dataclass(frozen=True)
class PublicPage:
    article: Article
    version: ArticleVersion
    badge: Badge
    reviewers: list[BoardMember]


def public_page(slug: str) -> PublicPage | None:
    """Everything the site shows for one article, or None when it is not shown."""
    article = public_articles().filter(slug=slug).first()
    if article is None:
        return None
    version_id = article.published_version_id or article.current_version_id
    version = ArticleVersion.objects.prefetch_related("references").get(pk=version_id)
    reviewers: list[BoardMember] = []
    if article.published_version_id is not None:
        approving_round = (
            ReviewRound.objects.filter(
                article=article, version_id=article.published_version_id, outcome=RoundOutcome.APPROVED
            )
            .order_by("-closed_at")
            .first()
        )
        if approving_round is not None:
            approvals = ReviewAssignment.objects.filter(
                round=approving_round, state=AssignmentState.COMPLETED, decision=Decision.APPROVE
            )
            reviewers = list(
                BoardMember.objects.filter(Exists(approvals.filter(reviewer=OuterRef("pk"))))
                .prefetch_related("specialties")
                .order_by("display_name")
            )
    return PublicPage(article=article, version=version, badge=public_badge(article), reviewers=reviewers)
