from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from articles.models import Article, ArticleStatus, RiskLevel


class UTCIsoDateTimeField(IsoDateTimeField):
    # Python accepts offsets up to ±24 h, PostgreSQL only up to ±15:59: compare in UTC.
    def to_python(self, value: Any) -> datetime.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError("This date and time is out of range.", code="overflow") from None


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class ArticleFilter(django_filters.FilterSet):
    # distinct=False: no join, so no duplicates to remove; a DISTINCT would sort every matching
    # row (at 10^6 articles, most of a second) instead of reading the page from the index.
    status = django_filters.MultipleChoiceFilter(
        choices=ArticleStatus.choices, help_text="Repeat for several.", distinct=False
    )
    specialty = django_filters.CharFilter(field_name="specialty__slug", help_text="A specialty's slug.")
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices)
    review_due_before = UTCIsoDateTimeFilter(
        field_name="review_due_at",
        lookup_expr="lt",
        help_text="Articles whose review is due before this time.",
    )

    class Meta:
        model = Article
        fields = ["status", "specialty", "risk_level", "review_due_before"]
