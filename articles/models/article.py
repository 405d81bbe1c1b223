"""The article: the page, its classification and its review status (the state machine)."""

from __future__ import annotations

import datetime
import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from articles import permissions
from config.audit import AuditedHistoricalRecords
from reviewers.models import Specialty

if TYPE_CHECKING:
    from articles.models.versions import ArticleVersion


class RiskLevel(models.TextChoices):
    STANDARD = "standard", "Standard"
    HIGH = "high", "High (dosing, procedures)"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    EXPIRED = "expired", "Review expired"
    RETIRED = "retired", "Retired"


S = ArticleStatus
# A version is in review: its round is open.
IN_REVIEW = (S.SUBMITTED, S.UNDER_REVIEW)


def has_a_version(article: Article) -> bool:
    return article.current_version_id is not None


has_a_version.failure = ("no_version", "The article has no version to submit.")  # type: ignore[attr-defined]


def current_version_not_yet_decided(article: Article) -> bool:
    # A re-review after expiry looks at the same approved text again; otherwise a decision has
    # been made on this exact version and the editors must write a new one first.
    return article.status == S.EXPIRED or article.current_version_id != article.last_decided_version_id


current_version_not_yet_decided.failure = (  # type: ignore[attr-defined]
    "version_already_reviewed",
    "The current version has already been reviewed; create a new version before submitting again.",
)


# The approval of an article in these statuses has lapsed (or the article is off the site),
# whatever its review date says.
APPROVAL_LAPSED = (S.EXPIRED, S.RETIRED)


class ArticleQuerySet(models.QuerySet["Article"]):
    def due_for_review(self, now: datetime.datetime) -> ArticleQuerySet:
        """Approved articles whose review date has come (``Article.review_is_due``)."""
        return self.filter(status=S.APPROVED, review_due_at__lte=now)

    def showing_approval(self, now: datetime.datetime) -> ArticleQuerySet:
        """Articles whose public page carries the board's approval (``Article.shows_approval``)."""
        return self.filter(published_version__isnull=False, review_due_at__gt=now).exclude(
            status__in=APPROVAL_LAPSED
        )


# Slugs that name a route under /api/v1/articles/ rather than an article (POST
# /api/v1/articles/bulk/ is the bulk import), so no new article may take one.
RESERVED_SLUGS = frozenset({"bulk"})


def refuse_reserved_slug(slug: str) -> None:
    """A new article's rule beyond its fields (``Article.clean``; the bulk import checks it too)."""
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            {"slug": f"“{slug}” is reserved: /api/v1/articles/{slug}/ is not an article."}, code="reserved"
        )


class Article(ConcurrentTransitionMixin, models.Model):
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300, help_text="The working title editors see in lists.")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="articles")
    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices, default=RiskLevel.STANDARD)
    # Protected: only the transitions below change it, and only editorial.services calls them.
    status = FSMField(
        max_length=30,
        choices=ArticleStatus.choices,
        default=ArticleStatus.DRAFT,
        protected=True,
        editable=False,
    )
    current_version = models.ForeignKey(
        "ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The newest version.",
    )
    published_version = models.ForeignKey(
        "ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The newest approved version: what readers see.",
    )
    last_decided_version = models.ForeignKey(
        "ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The version the latest review decision was made on; a resubmission needs a newer one.",
    )
    last_reviewed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text='Shown to readers as "Last updated".'
    )
    review_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Days an approval of this article stands. Empty: the specialty's interval, "
        "or the site-wide default.",
    )
    review_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()
    # The history is read by article id and date only; an index on any other column of it would
    # be written on every save and by every row the staleness sweep expires, and read by nothing.
    history = AuditedHistoricalRecords(
        no_db_index=[
            "slug",
            "specialty",
            "created_by",
            "current_version",
            "published_version",
            "last_decided_version",
        ]
    )

    class Meta:
        ordering = ["slug"]
        indexes = [
            models.Index(fields=["status", "review_due_at"], name="article_status_due_idx"),
            # The API's lists, paged by cursor (docs/architecture.md, "The API"): each filter in
            # the default order (slug), and each ordering ended by the slug.
            models.Index(fields=["status", "slug"], name="article_list_status_idx"),
            models.Index(fields=["specialty", "slug"], name="article_list_specialty_idx"),
            models.Index(fields=["risk_level", "slug"], name="article_list_risk_idx"),
            models.Index(fields=["title", "slug"], name="article_list_title_idx"),
            models.Index(fields=["created_at", "slug"], name="article_list_created_idx"),
            models.Index(fields=["updated_at", "slug"], name="article_list_updated_idx"),
            models.Index(fields=["last_reviewed_at", "slug"], name="article_list_reviewed_idx"),
            models.Index(fields=["review_due_at", "slug"], name="article_list_due_idx"),
            # The public list (editorial.public.selectors.public_articles): few of a million
            # articles may be published, so it reads them by slug from their own index.
            models.Index(
                fields=["slug"],
                condition=Q(published_version__isnull=False) & ~Q(status=ArticleStatus.RETIRED),
                name="article_public_slug_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_interval_days__isnull=True) | Q(review_interval_days__gte=1),
                name="article_review_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self._state.adding:
            refuse_reserved_slug(self.slug)

    # --- Status transitions (docs/architecture.md, section 4) ----------------------------------
    # Each method only moves the status and sets the article's own fields; rounds, assignments,
    # locks and history reasons are handled by editorial.services, the only caller.

    @transition(
        field=status,
        source=[S.DRAFT, S.CHANGES_REQUESTED, S.EXPIRED, S.APPROVED],
        target=S.SUBMITTED,
        conditions=[has_a_version, current_version_not_yet_decided],
        permission=permissions.editor_or_scheduler,
        custom={"action": True},
    )
    def submit(self) -> None:
        pass

    @transition(
        field=status, source=S.SUBMITTED, target=S.UNDER_REVIEW, permission=permissions.editor_or_scheduler
    )
    def start_review(self) -> None:
        pass

    @transition(field=status, source=S.UNDER_REVIEW, target=S.APPROVED, permission=permissions.board_member)
    def approve(self, *, version: ArticleVersion, at: datetime.datetime) -> None:
        self.published_version = version
        self.last_decided_version = version
        self.last_reviewed_at = at
        self.schedule_next_review()

    @transition(
        field=status, source=S.UNDER_REVIEW, target=S.CHANGES_REQUESTED, permission=permissions.board_member
    )
    def request_changes(self, *, version: ArticleVersion) -> None:
        self._decided_against(version)

    @transition(field=status, source=S.UNDER_REVIEW, target=S.DRAFT, permission=permissions.board_member)
    def reject(self, *, version: ArticleVersion) -> None:
        self._decided_against(version)

    def _decided_against(self, version: ArticleVersion) -> None:
        self.last_decided_version = version
        if self.published_version_id == version.pk:
            # A re-review found fault with the text readers are shown: the board no longer approves
            # it, so it comes off the site.
            self.published_version = None
            self.review_due_at = None

    @transition(
        field=status,
        source=[S.SUBMITTED, S.UNDER_REVIEW],
        target=S.DRAFT,
        permission=permissions.editor,
        custom={"action": True},
    )
    def withdraw(self) -> None:
        pass

    @transition(
        field=status, source=[S.SUBMITTED, S.UNDER_REVIEW], target=S.DRAFT, permission=permissions.editor
    )
    def supersede(self) -> None:
        """A new version was written while the previous one was in review."""

    @transition(field=status, source=S.APPROVED, target=S.EXPIRED, permission=permissions.scheduler)
    def expire(self) -> None:
        pass

    @transition(
        field=status,
        source="+",
        target=S.RETIRED,
        permission=permissions.editor_in_chief,
        custom={"action": True},
    )
    def retire(self) -> None:
        pass

    @transition(
        field=status,
        source=S.RETIRED,
        target=RETURN_VALUE(S.DRAFT, S.EXPIRED),
        permission=permissions.editor_in_chief,
        custom={"action": True},
    )
    def restore(self, *, at: datetime.datetime) -> str:
        """Back without the badge: an approval lapses while its article is off the site, so an
        article with an approved text returns expired (and is reviewed again), one without as a
        draft."""
        if self.published_version_id is None:
            return S.DRAFT
        self.lapse_approval(at=at)
        return S.EXPIRED

    def etag(self) -> str:
        """A strong HTTP validator for the article as editors see it: every save changes it."""
        digest = hashlib.sha256(f"{self.pk}:{self.updated_at.isoformat()}".encode()).hexdigest()[:32]
        return f'"{digest}"'

    def shows_approval(self, now: datetime.datetime) -> bool:
        """Whether the public page carries the board's approval: an approved version whose review
        date has not come, on an article whose approval has not lapsed. The approval rules keep
        this true only of approvals that still count (see ``editorial.eligibility``)."""
        return (
            self.published_version_id is not None
            and self.status not in APPROVAL_LAPSED
            and not self.review_is_due(now)
        )

    def lapse_approval(self, *, at: datetime.datetime) -> None:
        """The approval stops standing at ``at``: its review date comes forward to then."""
        if self.review_due_at is None or self.review_due_at > at:
            self.review_due_at = at

    def review_is_due(self, now: datetime.datetime) -> bool:
        """The approval's review date has come: it is shown with the caution line and expired by
        the staleness sweep (``ArticleQuerySet.due_for_review``)."""
        return self.review_due_at is not None and self.review_due_at <= now

    def schedule_next_review(self) -> None:
        """An approval stands for the review interval from the last review."""
        self.review_due_at = self.last_reviewed_at + self.review_interval()

    def review_interval(self) -> datetime.timedelta:
        """How long an approval stands: the article's own interval, else its specialty's, else
        the site-wide ``REVIEW_INTERVAL_DAYS``."""
        days = (
            self.review_interval_days or self.specialty.review_interval_days or settings.REVIEW_INTERVAL_DAYS
        )
        return datetime.timedelta(days=days)
