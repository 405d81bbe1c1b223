"""What the site shows: which articles, which text, the badge, the review line and the reviewers.

The rules, in the words of docs/workflow.md ("What readers see"):

- The "approved" badge is shown only while the article's published approval stands
  (``Article.shows_approval``): an approved version, its review date not come, the article not
  expired (its approval lapsed) nor retired. The workflow keeps that true only of approvals that
  still count under the approval rules; ``verify_approvals`` audits it.
- Otherwise the page carries the caution line: the last approved text is shown as a *past*
  review ("Last reviewed on ..., review overdue") while it is reviewed again, and text that was
  never approved is shown only when ``PUBLIC_SHOW_UNREVIEWED`` is on. While the shown text was
  written by a model (``ai_generated`` or ``ai_assisted``), that line is ``PUBLIC_AI_DRAFT_TEXT``
  ("AI-drafted, pending review by the Medical Advisory Board").
- The provenance shown is the shown version's: once the board approves a version, the page
  reports the provenance that version was approved with, whatever later drafts are.
- Text the board rejected or asked to change is never shown: a version a decision went against
  is never the one shown as pending review, and a re-review that goes against the published text
  unpublishes it (``Article.request_changes`` / ``reject``).
- The reviewers listed are those whose approval of the shown text still stands; a reviewer with a
  conflict of interest in force about the article is never listed, whatever the page's state.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion
from articles.provenance import MACHINE_WRITTEN
from articles.rendering import render_markdown
from editorial import eligibility
from editorial.models import ReviewAssignment, ReviewRound, RoundOutcome
from editorial.selectors import current_approval_round
from reviewers.models import BoardMember


def public_articles() -> QuerySet[Article]:
    """What the site lists: articles with an approved version and, when PUBLIC_SHOW_UNREVIEWED is
    on, those whose newest version awaits its first decision; never retired ones."""
    shown = Q(published_version__isnull=False)
    if settings.PUBLIC_SHOW_UNREVIEWED:
        undecided = Q(last_decided_version__isnull=True) | ~Q(current_version=F("last_decided_version"))
        shown |= Q(current_version__isnull=False) & undecided
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


def public_badge(
    article: Article, *, now: datetime.datetime | None = None, provenance: str | None = None
) -> Badge:
    """ "approved" while the published approval stands; otherwise the article's status (or
    "expired" for a lapsed approval not yet back in review), with the caution line: the
    AI-drafted one when ``provenance``, the shown version's, says a model wrote it."""
    now = now or timezone.now()
    machine_written = provenance in MACHINE_WRITTEN
    if article.published_version_id is not None:
        if article.shows_approval(now):
            return Badge("approved", False, "")
        being_reviewed = article.status in IN_REVIEW or article.status == ArticleStatus.EXPIRED
        return Badge(
            article.status if being_reviewed else ArticleStatus.EXPIRED,
            True,
            settings.PUBLIC_AI_DRAFT_TEXT if machine_written else settings.PUBLIC_OVERDUE_TEXT,
        )
    return Badge(
        article.status,
        True,
        settings.PUBLIC_AI_DRAFT_TEXT if machine_written else settings.PUBLIC_CAUTION_TEXT,
    )


class ReviewState:
    CURRENT = "current"  # the board's approval stands
    PAST = "past"  # the text was approved, but that approval no longer stands
    NONE = "none"  # never approved: pending human review


@dataclass(frozen=True)
class PublicReview:
    state: str
    reviewed_at: datetime.datetime | None
    summary: str


def public_review(article: Article, *, now: datetime.datetime | None = None) -> PublicReview:
    """The review line of the page: a current approval, a past one, or none."""
    now = now or timezone.now()
    if article.published_version_id is None or article.last_reviewed_at is None:
        return PublicReview(ReviewState.NONE, None, "Not yet reviewed by the Medical Advisory Board.")
    on = date_format(timezone.localtime(article.last_reviewed_at), "j F Y")
    if article.shows_approval(now):
        return PublicReview(
            ReviewState.CURRENT,
            article.last_reviewed_at,
            f"Reviewed and approved by the Medical Advisory Board on {on}.",
        )
    return PublicReview(ReviewState.PAST, article.last_reviewed_at, f"Last reviewed on {on}; review overdue.")


@dataclass(frozen=True)
class PublicPage:
    article: Article
    version: ArticleVersion
    badge: Badge
    review: PublicReview
    reviewers: list[BoardMember]

    @cached_property
    def body_html(self) -> str:
        """The shown text as sanitised HTML, rendered once for the page and its JSON-LD."""
        return render_markdown(self.version.body)


def public_page(slug: str) -> PublicPage | None:
    """Everything the site shows for one article, or None when it is not shown."""
    article = (
        public_articles()
        .select_related("specialty")
        .annotate(first_approved_at=first_approval_date())
        .filter(slug=slug)
        .first()
    )
    if article is None:
        return None
    version_id = article.published_version_id or article.current_version_id
    version = ArticleVersion.objects.prefetch_related("references").get(pk=version_id)
    now = timezone.now()
    return PublicPage(
        article=article,
        version=version,
        badge=public_badge(article, now=now, provenance=version.provenance),
        review=public_review(article, now=now),
        reviewers=_reviewers(article, version),
    )


def first_approval_date() -> Subquery:
    """When the article's text was first approved: the page's publication date as schema.org
    means it (``datePublished``)."""
    return Subquery(
        ReviewRound.objects.filter(article=OuterRef("pk"), outcome=RoundOutcome.APPROVED)
        .order_by("closed_at")
        .values("closed_at")[:1]
    )


def _reviewers(article: Article, version: ArticleVersion) -> list[BoardMember]:
    """The members whose approval of the shown text stands, less any with a conflict of interest
    in force that covers the article (the workflow voids such approvals as soon as the conflict
    is declared; this also holds on the day a conflict declared in advance comes into force)."""
    if article.published_version_id is None:
        return []
    round = current_approval_round(article)
    if round is None:
        return []
    round.version = version
    facts = eligibility.RoundFacts(round)
    approvals = eligibility.approvals_with_standing(
        ReviewAssignment.objects.filter(round=round)
        .standing_approvals()
        .prefetch_related("reviewer__specialties"),
        today=facts.today,
    )
    members = [
        approval.reviewer
        for approval in approvals
        if not eligibility.conflicts_covering(approval.reviewer.conflicts_in_force, facts)
    ]
    return sorted(members, key=lambda member: (member.display_name, member.pk))
