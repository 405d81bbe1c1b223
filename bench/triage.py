"""The triage queue at volume: N pending drafts (a third drafted by a model, a fifth high-risk,
written over the last 90 days) with D days of page views each, and the time of the queue's reads
against a bare read of the same rows in the order of their age."""

from __future__ import annotations

import datetime
import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from articles.models import Article, ArticleVersion, RiskLevel
from articles.provenance import Provenance
from editorial.triage import selectors
from editorial.triage.models import PageViews
from reviewers.models import Specialty

CHUNK = 2000


def build(*, articles: int, view_days: int) -> None:
    """Load the drafts, their first versions and their page views with bulk inserts."""
    editor = get_user_model().objects.create_user(username="bench-editor", password=None)
    specialty = Specialty.objects.create(name="Medical oncology", slug="medical-oncology")
    now = timezone.now()
    for number, start in enumerate(range(0, articles, CHUNK)):
        created = Article.objects.bulk_create(
            Article(
                slug=f"bench-{index}",
                title=f"Benchmark question {index}?",
                specialty=specialty,
                risk_level=RiskLevel.HIGH if index % 5 == 0 else RiskLevel.STANDARD,
                created_by=editor,
            )
            for index in range(start, min(start + CHUNK, articles))
        )
        # Each chunk written on another of the last 90 days (the field sets its own time on insert).
        written = now - datetime.timedelta(days=number % 90, minutes=number)
        with mock.patch("django.db.models.fields.timezone.now", return_value=written):
            ArticleVersion.objects.bulk_create(_version(article, editor) for article in created)
        today = timezone.localdate(now)
        PageViews.objects.bulk_create(
            PageViews(
                article=article,
                date=today - datetime.timedelta(days=day),
                views=(article.pk * 7919 + day) % 5000,
                received_at=now,
            )
            for article in created
            for day in range(view_days)
        )
    version = ArticleVersion.objects.filter(article_id=OuterRef("pk")).values("pk")[:1]
    Article.objects.update(current_version=Subquery(version))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _version(article: Article, editor: object) -> ArticleVersion:
    machine = article.pk % 3 == 0
    return ArticleVersion(
        article=article,
        number=1,
        title=article.title,
        body=f"The answer to question {article.slug}.",
        author=editor,
        content_hash=hashlib.sha256(article.slug.encode()).hexdigest(),
        provenance=Provenance.AI_GENERATED if machine else Provenance.HUMAN,
        generator="bench-pipeline" if machine else "",
        model_version="bench-model-1" if machine else "",
    )


@dataclass(frozen=True)
class Timing:
    name: str
    rows: int
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _queue_with_jit(limit: int) -> int:
    """The queue's query as ``selectors.queue`` makes it, with PostgreSQL's JIT left on (its
    default), for comparison."""
    query = (
        selectors.ranked(selectors.pending_articles(), now=timezone.now())
        .select_related("specialty", "current_version")
        .defer("current_version__body")
    )
    return len(list(query[:limit]))


def methods(limit: int) -> dict[str, Callable[[], int]]:
    """What is timed, each returning the rows it read."""
    jit = (
        {"queue with the JIT on": lambda: _queue_with_jit(limit)} if connection.vendor == "postgresql" else {}
    )
    return {
        "queue (top, ranked)": lambda: len(selectors.queue(limit=limit)),
        **jit,
        "summary (count, capacity, throughput)": lambda: selectors.summary().pending,
        "bare: pending by age (floor)": lambda: len(
            list(selectors.pending_articles().order_by("created_at", "pk").values("pk", "slug")[:limit])
        ),
    }


def run(*, limit: int, repeat: int) -> list[Timing]:
    """Each method ``repeat`` times, alternating (one of each in turn), after one warm-up run each."""
    timed = methods(limit)
    for method in timed.values():
        method()
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    rows: dict[str, int] = {}
    for _ in range(repeat):
        for name, method in timed.items():
            started = time.perf_counter()
            rows[name] = method()
            seconds[name].append(time.perf_counter() - started)
    return [Timing(name, rows[name], seconds[name]) for name in timed]
