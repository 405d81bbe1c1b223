"""Page views fed by the site's analytics: one row per article and day, the day's total.

The counts are measurements, not editorial decisions: a row is replaced by the analytics' latest
total for its day (an upsert), and carries who sent it and when instead of a history of its own,
which would double every write of a high-volume feed for nothing a reader of the audit trail needs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from articles.models import Article


class PageViews(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="page_views")
    date = models.DateField(help_text="The day the views were counted (the analytics' own day).")
    views = models.PositiveBigIntegerField(
        help_text="The page's views that day, as the analytics counted them."
    )
    received_at = models.DateTimeField(help_text="When this count was last sent.")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "page views"
        verbose_name_plural = "page views"
        constraints = [
            # What makes a resent batch an update, not a second count (the upsert's conflict target),
            # and the index the queue's recent-views sum reads.
            models.UniqueConstraint(fields=["article", "date"], name="page_views_article_date_unique"),
            models.CheckConstraint(condition=Q(views__gte=0), name="page_views_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.date}: {self.views}"
