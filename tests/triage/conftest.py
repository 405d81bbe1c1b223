from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from articles.models import RiskLevel
from articles.provenance import Provenance, VersionProvenance
from editorial.triage import services
from tests.factories import ArticleFactory, BoardMemberFactory

MACHINE = {
    Provenance.AI_GENERATED: VersionProvenance(
        kind=Provenance.AI_GENERATED, generator="drafting-pipeline", model_version="model-2026-01"
    ),
    Provenance.AI_ASSISTED: VersionProvenance(
        kind=Provenance.AI_ASSISTED, generator="editor-assist", model_version="model-2026-01"
    ),
    Provenance.HUMAN: VersionProvenance(),
}


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def pending(
    specialty,
    editor,
    *,
    slug: str,
    risk: str = RiskLevel.STANDARD,
    provenance: str = Provenance.HUMAN,
    age_days: float = 0,
):
    """A draft whose first (current) version was written ``age_days`` ago."""
    with time_machine.travel(days_ago(age_days), tick=False):
        return ArticleFactory(
            slug=slug, specialty=specialty, actor=editor, risk_level=risk, provenance=MACHINE[provenance]
        )


def views(actor, *items):
    """Record page views: each item is (article, date, views)."""
    return services.page_views_record(
        actor=actor,
        items=[
            services.PageViewItem(slug=article.slug, date=day, views=count) for article, day, count in items
        ],
    )


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def specialists(oncology):
    """Three oncologists with free capacity and current credentials."""
    return [BoardMemberFactory(specialties=[oncology]) for _ in range(3)]
