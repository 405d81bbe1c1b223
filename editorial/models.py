"""Review rounds, the assignments of board members to them, and the log of reminders sent.

A round reviews one version of one article; at most one round per article is open at a time (a
partial unique constraint, so the database itself refuses a second). Only ``editorial.services``
creates or changes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from articles.models import Article, ArticleVersion, RiskLevel
from config.audit import AuditedHistoricalRecords
from reviewers.models import BoardMember, Specialty


class RoundTrigger(models.TextChoices):
    SUBMISSION = "submission", "Submitted by an editor"
    RE_REVIEW = "re_review", "Re-review after the approval expired"


class RoundOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded by a newer version"


DECIDED_OUTCOMES = (RoundOutcome.APPROVED, RoundOutcome.CHANGES_REQUESTED, RoundOutcome.REJECTED)


class ReviewRoundQuerySet(models.QuerySet["ReviewRound"]):
    def open(self) -> ReviewRoundQuerySet:
        return self.filter(closed_at__isnull=True)


class ReviewRound(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="review_rounds")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="review_rounds")
    # Recorded when the round opens and never changed: what the reviewers compare the version with,
    # so that the round's diff stays what was in front of them after later versions are published.
    base_version = models.ForeignKey(
        ArticleVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version reviewers compare against: the published version when the round "
        "opened (the version itself for a re-review of the approved text), or none.",
    )
    trigger = models.CharField(max_length=20, choices=RoundTrigger.choices, default=RoundTrigger.SUBMISSION)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    required_approvals = models.PositiveSmallIntegerField()
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=RoundOutcome.choices, blank=True)

    history = AuditedHistoricalRecords()

    objects = ReviewRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        get_latest_by = "opened_at"
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(closed_at__isnull=True),
                name="one_open_round_per_article",
                violation_error_message="This article already has a review round open.",
            ),
            models.CheckConstraint(
                condition=(Q(closed_at__isnull=True) & Q(outcome=""))
                | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="round_closed_with_outcome",
            ),
            models.CheckConstraint(condition=Q(required_approvals__gte=1), name="round_needs_approvals"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.version}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AssignmentState(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ASSIGNMENT_STATES = (AssignmentState.PENDING, AssignmentState.ACCEPTED)


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


def overdue_q() -> Q:
    """An assignment still open after its due date."""
    return Q(state__in=OPEN_ASSIGNMENT_STATES, due_at__lt=timezone.now())


def standing_approval_q() -> Q:
    """An approval that has not been voided: it counts towards its round unless a rule of
    ``editorial.eligibility.approval_reasons`` now says otherwise."""
    return Q(state=AssignmentState.COMPLETED, decision=Decision.APPROVE, voided_at__isnull=True)


class ReviewAssignmentQuerySet(models.QuerySet["ReviewAssignment"]):
    def open(self) -> ReviewAssignmentQuerySet:
        return self.filter(state__in=OPEN_ASSIGNMENT_STATES)

    def standing_approvals(self) -> ReviewAssignmentQuerySet:
        return self.filter(standing_approval_q())

    def overdue(self) -> ReviewAssignmentQuerySet:
        return self.filter(overdue_q())

    def with_overdue(self) -> ReviewAssignmentQuerySet:
        """Each assignment with ``overdue``: whether it is still open after its due date."""
        return self.annotate(
            overdue=models.ExpressionWrapper(overdue_q(), output_field=models.BooleanField())
        )


class ReviewAssignment(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="assignments")
    reviewer = models.ForeignKey(BoardMember, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    override_reason = models.TextField(
        blank=True, help_text="Why an editor-in-chief assigned a member outside the article's specialty."
    )
    state = models.CharField(max_length=20, choices=AssignmentState.choices, default=AssignmentState.PENDING)
    accepted_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    comment = models.TextField(blank=True)
    decided_content_hash = models.CharField(
        max_length=64, blank=True, help_text="The content hash of the exact text the decision was made on."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # What the decision was made under, recorded with it: the rules an approval must meet depend on
    # the article's classification, which editors can change later.
    decided_risk_level = models.CharField(
        max_length=20,
        choices=RiskLevel.choices,
        blank=True,
        help_text="The article's risk level when the decision was made.",
    )
    decided_specialty = models.ForeignKey(
        Specialty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The article's specialty when the decision was made.",
    )
    decided_as_specialist = models.BooleanField(
        null=True, blank=True, help_text="Whether the reviewer held that specialty when deciding."
    )
    # Everything else the decision was made under, for the review dossier (editorial/dossier/):
    # written by the decision, or filled afterwards from history with what could not be known
    # marked as not recorded. Empty until decided.
    decision_snapshot = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="What the decision was made under: the reviewer's credentials, specialties and "
        "declared conflicts of interest, the article's classification, the quorum rule and the "
        "content hash (editorial.dossier.snapshots).",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was declined, completed or cancelled."
    )
    cancel_reason = models.TextField(
        blank=True,
        help_text="Why the review was taken from the member while the round went on (they could no "
        "longer review it), when it was not the round closing.",
    )
    voided_at = models.DateTimeField(
        null=True, blank=True, help_text="When this approval stopped counting (see void_reason)."
    )
    void_reason = models.TextField(
        blank=True, help_text="Why the approval no longer counts, e.g. a conflict of interest declared later."
    )

    history = AuditedHistoricalRecords()

    objects = ReviewAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "reviewer"], name="one_assignment_per_reviewer_per_round"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=AssignmentState.COMPLETED)
                    & ~Q(decision="")
                    & Q(decided_at__isnull=False)
                    & ~Q(decided_content_hash="")
                )
                | (~Q(state=AssignmentState.COMPLETED) & Q(decision="") & Q(decided_at__isnull=True)),
                name="assignment_decision_iff_completed",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=AssignmentState.COMPLETED)
                    & ~Q(decided_risk_level="")
                    & Q(decided_specialty__isnull=False)
                    & Q(decided_as_specialist__isnull=False)
                )
                | (
                    ~Q(state=AssignmentState.COMPLETED)
                    & Q(decided_risk_level="")
                    & Q(decided_specialty__isnull=True)
                    & Q(decided_as_specialist__isnull=True)
                ),
                name="assignment_decision_records_classification",
            ),
            models.CheckConstraint(
                condition=(Q(voided_at__isnull=True) & Q(void_reason=""))
                | (
                    Q(voided_at__isnull=False)
                    & ~Q(void_reason="")
                    & Q(state=AssignmentState.COMPLETED, decision=Decision.APPROVE)
                ),
                name="only_approvals_voided_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="assignment_state_due_idx"),
            models.Index(fields=["reviewer", "state"], name="assignment_reviewer_state_idx"),
            models.Index(fields=["reviewer", "-assigned_at"], name="assignment_reviewer_recent_idx"),
            # The API's list, paged by cursor in the order it offers (docs/architecture.md, "The
            # API"): a board member's own by due date, and everyone's by each ordering.
            models.Index(fields=["reviewer", "due_at", "id"], name="assignment_list_member_due_idx"),
            models.Index(fields=["due_at", "id"], name="assignment_list_due_idx"),
            models.Index(fields=["assigned_at", "id"], name="assignment_list_assigned_idx"),
            models.Index(fields=["decided_at", "id"], name="assignment_list_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer.display_name} on {self.round.version}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ASSIGNMENT_STATES

    @property
    def is_standing_approval(self) -> bool:
        return (
            self.state == AssignmentState.COMPLETED
            and self.decision == Decision.APPROVE
            and self.voided_at is None
        )


class ReminderKind(models.TextChoices):
    # Reminders, sent by the periodic sweep.
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    ESCALATION = "escalation", "Escalated to the editors-in-chief"
    # Notifications of workflow steps, queued when the step commits and caught up by the sweep.
    ASSIGNED = "assigned", "Review assigned"
    CANCELLED = "cancelled", "Review cancelled"
    DECIDED = "decided", "Decision made"
    VOIDED = "voided", "Approval voided"


ONCE = "once"


class ReminderLog(models.Model):
    """One row per email the system sends about an assignment (a reminder or a notification);
    the unique key makes each go out once, however often or however concurrently the sending
    task runs."""

    assignment = models.ForeignKey(ReviewAssignment, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    period_key = models.CharField(
        max_length=32, help_text='"once" for one-off emails, the UTC date for daily ones.'
    )
    sent_at = models.DateTimeField(
        default=timezone.now, help_text="When the email was claimed and handed to the outbox."
    )
    delivered_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the mail server accepted it; empty while it is on its way (or failed and "
        "waits to be handed over again).",
    )

    # The delivery receipt is bookkeeping of the sending, not a change anyone makes.
    history = AuditedHistoricalRecords(excluded_fields=["delivered_at"])

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind", "period_key"], name="one_reminder_per_key"),
        ]
        indexes = [
            # The emails claimed and not delivered, which the sweep hands over again.
            models.Index(
                fields=["sent_at"], condition=Q(delivered_at__isnull=True), name="reminderlog_undelivered_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder for {self.assignment_id} ({self.period_key})"


# The outbox's and the staffing context's models live with their services in their own
# subpackages; importing them here registers them with the app.
from editorial.outbox.models import OutboxMessage  # noqa: E402, F401
from editorial.staffing.models import OverrideRequest, StaffingAlert  # noqa: E402, F401
