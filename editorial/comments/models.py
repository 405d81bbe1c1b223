"""A board member's comment on a passage of a version, the replies to it, and where the passage
is in each version the comment has been carried to.

The passage is identified as the W3C Web Annotation model does it (https://www.w3.org/TR/annotation-model/,
section 4.2): a TextQuoteSelector (the exact text, with a little of the text before and after it)
and a TextPositionSelector (start and end, in characters), both over a version's plain text
(``editorial.comments.text.plain_text``). Only ``editorial.comments.services`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from articles.models import Article, ArticleVersion
from config.audit import AuditedHistoricalRecords
from editorial.models import ReviewAssignment

BODY_MAX_LENGTH = 10_000
QUOTE_MAX_LENGTH = 5_000
CONTEXT_MAX_LENGTH = 200


class CommentState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class AnchorMatch(models.TextChoices):
    ORIGINAL = "original", "Where the reviewer selected it"
    EXACT = "exact", "Found unchanged"
    FUZZY = "fuzzy", "Found with small edits"
    REMOVED = "removed", "Passage removed"


class ReviewComment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="review_comments")
    version = models.ForeignKey(
        ArticleVersion,
        on_delete=models.PROTECT,
        related_name="review_comments",
        help_text="The version the reviewer selected the passage in.",
    )
    assignment = models.ForeignKey(
        ReviewAssignment,
        on_delete=models.PROTECT,
        related_name="review_comments",
        help_text="The review the comment was written in.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=CommentState.choices, default=CommentState.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, help_text="Why the comment was resolved.")
    # The passage as the reviewer selected it in ``version`` (the annotation's target); where it
    # is in each version, that one included, is in ``anchors``.
    exact = models.TextField(max_length=QUOTE_MAX_LENGTH)
    prefix = models.TextField(blank=True, max_length=CONTEXT_MAX_LENGTH)
    suffix = models.TextField(blank=True, max_length=CONTEXT_MAX_LENGTH)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    cited_in = models.ManyToManyField(
        ReviewAssignment,
        through="DecisionCitation",
        related_name="cited_comments",
        blank=True,
        help_text="The decisions that cite this comment instead of repeating it.",
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(state=CommentState.OPEN, resolved_at__isnull=True, resolved_by__isnull=True)
                    | (
                        Q(state=CommentState.RESOLVED, resolved_at__isnull=False, resolved_by__isnull=False)
                        & ~Q(resolution="")
                    )
                ),
                name="comment_resolved_iff_who_when_why",
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="comment_passage_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.version}"

    @property
    def is_open(self) -> bool:
        return self.state == CommentState.OPEN


class CommentAnchor(models.Model):
    """Where the comment's passage is in one version: the selectors of the text found there, or
    ``removed`` (no selectors) when the passage is gone."""

    comment = models.ForeignKey(ReviewComment, on_delete=models.PROTECT, related_name="anchors")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="comment_anchors")
    match = models.CharField(max_length=10, choices=AnchorMatch.choices)
    exact = models.TextField(blank=True, max_length=QUOTE_MAX_LENGTH)
    prefix = models.TextField(blank=True, max_length=CONTEXT_MAX_LENGTH)
    suffix = models.TextField(blank=True, max_length=CONTEXT_MAX_LENGTH)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["version_id", "start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "version"], name="one_anchor_per_comment_and_version"),
            models.CheckConstraint(
                condition=(
                    Q(match=AnchorMatch.REMOVED, start__isnull=True, end__isnull=True, exact="")
                    | (
                        ~Q(match=AnchorMatch.REMOVED)
                        & Q(start__isnull=False, end__gt=models.F("start"))
                        & ~Q(exact="")
                    )
                ),
                name="anchor_found_has_a_passage",
            ),
        ]

    def __str__(self) -> str:
        return f"Anchor of comment {self.comment_id} in {self.version_id}: {self.match}"

    @property
    def found(self) -> bool:
        return self.match != AnchorMatch.REMOVED


class CommentReply(models.Model):
    comment = models.ForeignKey(ReviewComment, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField()

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "comment replies"

    def __str__(self) -> str:
        return f"Reply {self.pk} to comment {self.comment_id}"


class DecisionCitation(models.Model):
    """A decision (a completed review) citing one of the reviewer's comments on the version it
    decided on, in place of repeating it in the decision's own comment."""

    assignment = models.ForeignKey(ReviewAssignment, on_delete=models.PROTECT, related_name="citations")
    comment = models.ForeignKey(ReviewComment, on_delete=models.PROTECT, related_name="citations")

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["assignment_id", "comment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "comment"], name="one_citation_per_decision_and_comment"
            )
        ]

    def __str__(self) -> str:
        return f"Review {self.assignment_id} cites comment {self.comment_id}"
