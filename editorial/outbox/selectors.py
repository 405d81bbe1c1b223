"""What is waiting in the outbox, for health checks and metrics."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min
from django.utils import timezone

from editorial.outbox.models import OutboxMessage


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_age_seconds: float | None


def backlog() -> Backlog:
    """Messages not yet handed to the broker, and how long the oldest has waited (one query)."""
    pending = OutboxMessage.objects.filter(published_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    oldest = pending["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else None
    return Backlog(pending=pending["count"], oldest_age_seconds=age)
