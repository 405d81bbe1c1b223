"""The triage API's bodies: the page views sent by the analytics, and the queue with its scores,
the board's capacity and the forecast."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from rest_framework import serializers

from articles.models import ArticleStatus, RiskLevel
from articles.provenance import Provenance
from config.api.fields import Integer, Pattern, Slug
from config.api.serializers import StrictSerializer

MAX_PAGE_VIEW_ITEMS = 1000
MAX_VIEWS = 10**12

_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class Date(serializers.DateField):
    """A calendar day as RFC 3339 writes it (``2030-01-31``), and only that (Python's parser also
    takes ``20300131`` and week dates)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(Pattern(_DATE, "A date is written YYYY-MM-DD, e.g. 2030-01-31."))

    def to_internal_value(self, value: Any) -> datetime.date:
        if not isinstance(value, str) or not re.fullmatch(_DATE[1:-1], value):
            self.fail("invalid", format="YYYY-MM-DD")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail("invalid", format="a real date, YYYY-MM-DD")


class PageViewItemSerializer(StrictSerializer):
    slug = Slug(max_length=200, help_text="The article's slug, as in its page's address.")
    date = Date(help_text="The day the views were counted.")
    views = Integer(
        min_value=0, max_value=MAX_VIEWS, help_text="The page's views that day (its total, not an increment)."
    )


class PageViewsSerializer(StrictSerializer):
    items = serializers.ListField(
        child=PageViewItemSerializer(),
        min_length=1,
        max_length=MAX_PAGE_VIEW_ITEMS,
        help_text=f"Up to {MAX_PAGE_VIEW_ITEMS} counts, each the total of one page on one day. Sending a "
        "count again for the same page and day replaces it; within one batch the later one is kept.",
    )


class UnknownSlugSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in ``items`` (0 for the first).")
    slug = serializers.CharField()


class PageViewsReportSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Items in the batch.")
    stored = serializers.IntegerField(help_text="Article-days stored (or replaced).")
    unknown = UnknownSlugSerializer(
        many=True, help_text="Items whose slug names no article: left out, the rest stored."
    )


class Points(serializers.FloatField):
    """A score's part, to two decimals."""

    def to_representation(self, value: Any) -> float:
        return round(float(value), 2)


class ComponentsSerializer(serializers.Serializer):
    risk = Points(source="risk_points", help_text="Points for a high-risk article.")
    provenance = Points(
        source="provenance_points", help_text="Points for a current version drafted with or by a model."
    )
    waiting = Points(source="waiting_points", help_text="Points for the days waited (capped).")
    page_views = Points(source="views_points", help_text="Points for the recent page views (logarithmic).")


class QueueEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    specialty = serializers.CharField(source="specialty.slug")
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    status = serializers.ChoiceField(choices=ArticleStatus.choices)
    version = serializers.IntegerField(source="current_version.number")
    provenance = serializers.ChoiceField(choices=Provenance.choices)
    waiting_since = serializers.DateTimeField(help_text="When the current version was written.")
    days_waiting = Points()
    recent_page_views = serializers.IntegerField(
        source="recent_views", help_text="Page views over the last TRIAGE_PAGE_VIEWS_DAYS days."
    )
    score = Points(help_text="The sum of the components; the queue is ordered by it, highest first.")
    components = ComponentsSerializer(source="*")


class CapacitySerializer(serializers.Serializer):
    free_seats = serializers.IntegerField(
        help_text="Reviews the board can still take: each member who can be assigned (active, in the "
        "role, credentials current) has their limit of open reviews minus those open."
    )
    members_with_room = serializers.IntegerField()


class ThroughputSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    rounds_completed = serializers.IntegerField(
        help_text="Rounds closed with a decision (approved, changes requested, rejected) in those weeks."
    )
    per_week = serializers.FloatField()


class ForecastSerializer(serializers.Serializer):
    pending = serializers.IntegerField(help_text="Articles waiting to be submitted (the whole queue).")
    in_review = serializers.IntegerField(help_text="Review rounds open now.")
    backlog = serializers.IntegerField()
    weeks = serializers.IntegerField(
        allow_null=True, help_text="Whole weeks until the backlog clears; null with no throughput."
    )
    text = serializers.CharField()


class QueueSerializer(serializers.Serializer):
    weights = serializers.DictField(child=serializers.IntegerField(), help_text="TRIAGE_WEIGHTS.")
    page_views_days = serializers.IntegerField()
    capacity = CapacitySerializer()
    throughput = ThroughputSerializer()
    forecast = ForecastSerializer()
    auto_submit = serializers.BooleanField(
        help_text="Whether beat submits the top of the queue (TRIAGE_AUTO_SUBMIT)."
    )
    results = QueueEntrySerializer(many=True)

    @staticmethod
    def settings_part() -> dict[str, Any]:
        return {
            "weights": settings.TRIAGE_WEIGHTS,
            "page_views_days": settings.TRIAGE_PAGE_VIEWS_DAYS,
            "auto_submit": settings.TRIAGE_AUTO_SUBMIT,
        }
