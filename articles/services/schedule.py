"""Review dates that follow a specialty's review interval."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from articles.models import Article
from config.audit import current_audit
from reviewers.models import Specialty


@transaction.atomic
def reschedule_reviews(*, specialty: Specialty) -> int:
    """Move the review dates of the standing approvals of ``specialty``'s articles (those without
    an interval of their own) to the specialty's interval as it is now, earlier or later, each
    with a history row; returns how many moved. Called when a specialty is saved."""
    now = timezone.now()
    articles = list(
        Article.objects.showing_approval(now)
        .filter(specialty=specialty, review_interval_days__isnull=True)
        .select_for_update()
        .order_by("pk")
    )
    moved = []
    for article in articles:
        article.specialty = specialty
        due = article.last_reviewed_at + article.review_interval()
        if due != article.review_due_at:
            article.review_due_at, article.updated_at = due, now
            moved.append(article)
    if moved:
        context = current_audit()
        days = specialty.review_interval_days or settings.REVIEW_INTERVAL_DAYS
        bulk_update_with_history(
            moved,
            Article,
            ["review_due_at", "updated_at"],
            default_user=context.actor if context else None,
            default_change_reason=(
                context.reason if context else f"Review interval of {specialty.name} is now {days} days"
            ),
            default_date=now,
        )
    return len(moved)
