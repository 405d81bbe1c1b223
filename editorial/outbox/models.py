from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A side effect owed by a committed change, until it has been handed to the broker."""

    topic = models.CharField(max_length=100, help_text="What to do, e.g. notifications.deliver.")
    payload = models.JSONField(help_text="The task's keyword arguments.")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, help_text="Handed to the broker.")
    attempts = models.PositiveIntegerField(default=0, help_text="Publications tried and failed.")
    last_error = models.TextField(blank=True)
    log_context = models.JSONField(
        default=dict,
        blank=True,
        help_text="The request id (and user id) of the change, for the task's log lines.",
    )

    class Meta:
        app_label = "editorial"
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(published_at__isnull=True), name="outbox_pending_idx"
            ),
            models.Index(fields=["published_at"], name="outbox_published_idx"),
        ]

    def __str__(self) -> str:
        state = "published" if self.published_at else "pending"
        return f"{self.topic} #{self.pk} ({state})"
