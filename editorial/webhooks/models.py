"""Webhook endpoints, the events recorded for them, one delivery per event and endpoint, and the
log of every attempt.

An event is written once, in the transaction of the change that causes it, with a stable
``webhook_id`` (the ``webhook-id`` header of every attempt, so that a receiver can drop a
repeat). Each endpoint subscribed to its type when it was recorded gets one delivery row, which
the delivery service claims, sends and reschedules until it succeeds or its retries run out.
"""

from __future__ import annotations

import base64
import datetime
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    ARTICLE_APPROVED = "article.approved", "Article approved"
    ARTICLE_EXPIRED = "article.expired", "Article expired"
    ARTICLE_RE_REVIEW_OPENED = "article.re_review_opened", "Re-review opened"
    ARTICLE_RETIRED = "article.retired", "Article retired"
    ARTICLE_RESTORED = "article.restored", "Article restored"
    VERSION_PUBLISHED = "version.published", "Version published"
    REVIEW_DECIDED = "review.decided", "Review decided"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """A URL of the site that receives the events it subscribed to, signed with its secret."""

    url = models.URLField(max_length=2000, help_text="Where the events are POSTed (http or https).")
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, help_text="The event types this endpoint receives (at least one)."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive endpoints receive nothing.")
    # The signing secrets are needed in clear to compute the HMAC; they are shown in full once,
    # when created or rotated, and masked everywhere after.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now: datetime.datetime) -> list[str]:
        """The secrets that sign a message sent at ``now``: the current one, and the previous one
        while its overlap lasts."""
        secrets_now = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets_now.append(self.previous_secret)
        return secrets_now

    @property
    def masked_secret(self) -> str:
        return f"{SECRET_PREFIX}…{self.secret[-4:]}"


class WebhookEvent(models.Model):
    """Something the site should know about, recorded once with the change that caused it."""

    webhook_id = models.CharField(max_length=40, unique=True, default=new_webhook_id, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(help_text="The event's data, as sent.")
    article = models.ForeignKey("articles.Article", on_delete=models.PROTECT, related_name="webhook_events")
    version = models.ForeignKey(
        "articles.ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_events",
    )

    class Meta:
        # The order recorded: deliveries to an endpoint are attempted in this order.
        ordering = ["pk"]
        indexes = [models.Index(fields=["article", "version"], name="webhook_event_article_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.webhook_id}"


class WebhookDelivery(models.Model):
    """One event owed to one endpoint, until delivered or given up on."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(
        default=0, help_text="Attempts made, manual redeliveries included."
    )
    # Failures since the last success or manual redelivery: the position in the retry schedule.
    failures = models.PositiveIntegerField(default=0, editable=False)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="Due from then (a claim moves it ahead while the attempt runs)."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "status"], name="webhook_delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP attempt at a delivery: the endpoint's delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField(help_text="The delivery's attempt number, from 1.")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempt_endpoint_idx")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class WebhookFailureAlert(models.Model):
    """The chiefs were emailed about this endpoint's failed deliveries on this day (once a day)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "day"], name="webhook_failure_alert_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} on {self.day}"
