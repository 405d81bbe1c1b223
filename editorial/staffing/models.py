from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.audit import AuditedHistoricalRecords


class AlertKind(models.TextChoices):
    ROUND_SHORT = "round_short", "Round short of reviewers"
    ROUND_NEEDS_SPECIALIST = "round_needs_specialist", "Round needs a specialist"
    STUCK_DIGEST = "stuck_digest", "Daily digest of stuck rounds"
    EXPIRED_WITH_DRAFT = "expired_with_draft", "Expired approval with a newer draft"


class StaffingAlert(models.Model):
    """One email sent about a round that is stuck (or an expired article its editors must act on);
    the unique key makes each go out once, however often or concurrently the sweep runs.

    ``subject`` names what it is about (``round:12``, ``article:5``, ``user:3`` for a digest) and
    ``period_key`` when it applies (``once``, or the UTC date of a daily digest)."""

    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    subject = models.CharField(max_length=50)
    period_key = models.CharField(max_length=40)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    history = AuditedHistoricalRecords()

    class Meta:
        app_label = "editorial"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "period_key"], name="one_staffing_alert_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} ({self.period_key})"


class OverrideRequestState(models.TextChoices):
    OPEN = "open", "Open"
    GRANTED = "granted", "Granted"
    DECLINED = "declined", "Declined"


class OverrideRequest(models.Model):
    """An editor's request that an editor-in-chief assign a member from outside the article's
    specialty to a round nobody eligible can staff."""

    round = models.ForeignKey(
        "editorial.ReviewRound", on_delete=models.PROTECT, related_name="override_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    member = models.ForeignKey(
        "reviewers.BoardMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member the editor suggests, if any.",
    )
    reason = models.TextField(help_text="Why an override is needed, for the editor-in-chief.")
    state = models.CharField(
        max_length=20, choices=OverrideRequestState.choices, default=OverrideRequestState.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        app_label = "editorial"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"],
                condition=models.Q(state="open"),
                name="one_open_override_request_per_round",
                violation_error_message="An override request for this round is already waiting.",
            )
        ]

    def __str__(self) -> str:
        return f"Override request for {self.round} ({self.get_state_display().lower()})"
