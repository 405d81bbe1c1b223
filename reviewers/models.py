"""The Medical Advisory Board: specialties, board members and their declared conflicts of interest."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.audit import AuditedHistoricalRecords


class Specialty(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    review_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Days an approval stands for articles of this specialty. "
        "Empty: the site-wide default (REVIEW_INTERVAL_DAYS).",
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_interval_days__isnull=True) | Q(review_interval_days__gte=1),
                name="specialty_review_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BoardMember(models.Model):
    """A credentialed clinician on the Medical Advisory Board, who reviews articles."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_member"
    )
    display_name = models.CharField(max_length=150, help_text='As shown to readers, e.g. "Dr Jane Roe".')
    credentials = models.CharField(max_length=100, help_text='e.g. "MD, PhD, FRCP".')
    specialties = models.ManyToManyField(Specialty, related_name="board_members")
    is_active = models.BooleanField(
        default=True, help_text="Inactive members keep their history but get no new reviews."
    )
    max_open_reviews = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text="Reviews this member can have open at once.",
    )
    credentials_verified_until = models.DateField(
        null=True,
        blank=True,
        help_text="Date the last credential check runs out. A member whose check has lapsed "
        "gets no new reviews.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistoricalRecords(m2m_fields=[specialties])

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_open_reviews__gte=1), name="board_member_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name}, {self.credentials}"

    def credentials_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.credentials_verified_until is not None and self.credentials_verified_until >= on


class ConflictOfInterestQuerySet(models.QuerySet["ConflictOfInterest"]):
    def in_force(self, on: datetime.date | None = None) -> ConflictOfInterestQuerySet:
        on = on or timezone.localdate()
        return self.filter(declared_on__lte=on).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))


class ConflictOfInterest(models.Model):
    """A declared interest that keeps a member off an article, or off any article naming a keyword
    (a manufacturer, a product)."""

    member = models.ForeignKey(BoardMember, on_delete=models.CASCADE, related_name="conflicts_of_interest")
    # A string reference: articles build on reviewers, so this app never imports them.
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conflicts_of_interest",
    )
    keyword = models.CharField(
        max_length=100,
        blank=True,
        help_text="Applies to every article whose title or text names this, e.g. a manufacturer.",
    )
    reason = models.TextField(help_text="What the interest is, as declared.")
    declared_on = models.DateField(default=timezone.localdate)
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: no end date.")

    history = AuditedHistoricalRecords()

    objects = ConflictOfInterestQuerySet.as_manager()

    class Meta:
        ordering = ["member_id", "-declared_on"]
        verbose_name_plural = "conflicts of interest"
        constraints = [
            models.CheckConstraint(
                condition=Q(article__isnull=False) | ~Q(keyword=""),
                name="conflict_names_article_or_keyword",
                violation_error_message="Name the article or a keyword the conflict applies to.",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("declared_on")),
                name="conflict_expires_after_declared",
                violation_error_message="The end date cannot be before the declaration date.",
            ),
        ]

    def __str__(self) -> str:
        target = self.keyword or str(self.article)
        return f"{self.member.display_name}: {target}"
