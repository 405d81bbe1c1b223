"""Reads of the triage queue: which articles are pending, their rank, the board's free capacity,
its throughput and the forecast.

**Pending** is what ``Article.submit`` would accept from an editor now and nobody has yet sent to
the board: an article in one of the transition's source statuses (draft, changes requested,
approved, expired; never submitted, under review or retired), with a current version no decision
has been made on (``last_decided_version`` empty or older). That covers a new draft, a
machine-drafted page shown with the caution line while it waits (``PUBLIC_SHOW_UNREVIEWED``), a new
version written after changes were requested or after an approval, and an expired approval whose
editors have written a newer version. An expired article whose current version is the approved one
is not pending: the staleness sweep re-submits it itself (``editorial.staleness``); a version the
board decided on is not either, since only a newer one can be submitted.

**Rank** is a score of points computed in SQL (``ranked``), so that the database sorts the pending
articles by it and stops at the limit: risk, provenance of the current version, days it has waited
(since the current version was written, capped) and the page's views over the last days
(logarithmic). ``TRIAGE_WEIGHTS`` sets the points; every component is annotated, so the API can
say how each score was made.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Ln
from django.utils import timezone

from articles.models import Article, RiskLevel
from articles.provenance import Provenance
from editorial.models import DECIDED_OUTCOMES, ReviewRound
from editorial.staffing.selectors import BoardCapacity, board_capacity
from editorial.triage.models import PageViews

# --- Pending ----------------------------------------------------------------------------------


@cache
def submittable_statuses() -> tuple[str, ...]:
    """The statuses ``Article.submit`` starts from, read from the transition itself."""
    return tuple(sorted({str(t.source) for t in Article.submit._django_fsm.transitions.values()}))


def undecided() -> Q:
    """The current version is one no review decision was made on."""
    return Q(current_version__isnull=False) & (
        Q(last_decided_version__isnull=True) | ~Q(current_version=F("last_decided_version"))
    )


def pending_articles() -> QuerySet[Article]:
    """Articles waiting to be submitted to the board (the module's docstring says which)."""
    return Article.objects.filter(undecided(), status__in=submittable_statuses())


# --- Rank -------------------------------------------------------------------------------------


class DaysSince(Func):
    """Days (fractional) from ``expression`` (a date and time) to ``now``."""

    output_field = FloatField()

    def __init__(self, expression: Any, now: datetime.datetime) -> None:
        super().__init__(Value(now, output_field=DateTimeField()), expression)

    def _parts(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        now_sql, now_params = compiler.compile(self.source_expressions[0])
        then_sql, then_params = compiler.compile(self.source_expressions[1])
        return now_sql, then_sql, [*now_params, *then_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        now_sql, then_sql, params = self._parts(compiler, connection)
        # EXTRACT gives numeric (PostgreSQL 14 on); the score is float arithmetic throughout.
        return f"(CAST(EXTRACT(EPOCH FROM ({now_sql} - {then_sql})) AS double precision) / 86400.0)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        now_sql, then_sql, params = self._parts(compiler, connection)
        return f"(julianday({now_sql}) - julianday({then_sql}))", params


def _points(value: float) -> Value:
    return Value(float(value), output_field=FloatField())


def recent_views(today: datetime.date) -> Coalesce:
    """The article's page views over the last TRIAGE_PAGE_VIEWS_DAYS days up to ``today``, as an
    annotation (read through the (article, date) unique index)."""
    since = today - datetime.timedelta(days=settings.TRIAGE_PAGE_VIEWS_DAYS - 1)
    total = (
        PageViews.objects.filter(article_id=OuterRef("pk"), date__gte=since, date__lte=today)
        .order_by()
        .values("article_id")
        .annotate(total=Sum("views"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


def ranked(queryset: QuerySet[Article], *, now: datetime.datetime) -> QuerySet[Article]:
    """``queryset`` with the score and its parts, best first: ``risk_points``,
    ``provenance_points``, ``days_waiting`` and ``waiting_points``, ``recent_views`` and
    ``views_points``, ``score``; ``waiting_since`` (when the current version was written) and
    ``provenance``. Ties go to the longest waiting, then the oldest article."""
    weights = settings.TRIAGE_WEIGHTS
    today = timezone.localdate(now)
    provenance_points = {
        Provenance.AI_GENERATED: weights["ai_generated"],
        Provenance.AI_ASSISTED: weights["ai_assisted"],
        Provenance.NOT_RECORDED: weights["not_recorded"],
    }
    return (
        queryset.annotate(
            waiting_since=F("current_version__created_at"),
            provenance=F("current_version__provenance"),
            risk_points=Case(
                When(risk_level=RiskLevel.HIGH, then=_points(weights["high_risk"])),
                default=_points(0),
                output_field=FloatField(),
            ),
            provenance_points=Case(
                *(
                    When(current_version__provenance=kind, then=_points(points))
                    for kind, points in provenance_points.items()
                ),
                default=_points(0),
                output_field=FloatField(),
            ),
            days_waiting=Greatest(DaysSince(F("current_version__created_at"), now), _points(0)),
            waiting_points=Least(F("days_waiting"), _points(weights["max_days_waiting"]))
            * _points(weights["per_day_waiting"]),
            recent_views=recent_views(today),
            # log10 as ln / ln 10 on a float: PostgreSQL's two-argument LOG works in numeric,
            # which is many times slower over a whole queue.
            views_points=Ln(Cast(F("recent_views") + 1, FloatField()))
            * _points(weights["per_tenfold_views"] / math.log(10)),
            score=F("risk_points") + F("provenance_points") + F("waiting_points") + F("views_points"),
        )
        # Article ids grow with time: the oldest article first among equals.
        .order_by("-score", "waiting_since", "pk")
    )


@contextmanager
def _planned_without_jit() -> Iterator[None]:
    """PostgreSQL compiles a query this costly with its JIT, which takes longer than evaluating the
    score's few float operations per row (measured in docs/benchmarks.md): off for this transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def queue(*, now: datetime.datetime | None = None, limit: int = 50) -> list[Article]:
    """The top ``limit`` of the queue, each with its score's parts (``ranked``) and ``rank`` (1 for
    the first), its specialty and current version: one query whatever the limit (two statements
    on PostgreSQL, with the JIT setting)."""
    now = now or timezone.now()
    with _planned_without_jit():
        entries = list(
            ranked(pending_articles(), now=now)
            .select_related("specialty", "current_version")
            .defer("current_version__body")[:limit]
        )
    for rank, entry in enumerate(entries, start=1):
        entry.rank = rank
    return entries


def queue_head(*, now: datetime.datetime, limit: int) -> list[dict[str, Any]]:
    """The top ``limit`` of the queue as the auto-submission reads it: id, specialty, risk level and
    score, in rank order (one query)."""
    with _planned_without_jit():
        return list(
            ranked(pending_articles(), now=now).values("pk", "specialty_id", "risk_level", "score")[:limit]
        )


# --- Capacity, throughput, forecast -----------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    weeks: int
    rounds_completed: int

    @property
    def per_week(self) -> float:
        return self.rounds_completed / self.weeks


def throughput(*, now: datetime.datetime | None = None, weeks: int | None = None) -> Throughput:
    """Review rounds the board completed (closed with a decision: approved, changes requested or
    rejected; not withdrawn or superseded) in the last ``weeks`` weeks (TRIAGE_THROUGHPUT_WEEKS)."""
    now = now or timezone.now()
    weeks = weeks or settings.TRIAGE_THROUGHPUT_WEEKS
    completed = ReviewRound.objects.filter(
        outcome__in=DECIDED_OUTCOMES,
        closed_at__gt=now - datetime.timedelta(weeks=weeks),
        closed_at__lte=now,
    ).count()
    return Throughput(weeks=weeks, rounds_completed=completed)


@dataclass(frozen=True)
class Forecast:
    pending: int
    in_review: int
    per_week: float
    weeks: int | None
    text: str

    @property
    def backlog(self) -> int:
        return self.pending + self.in_review


def _plural(count: int | float, word: str) -> str:
    return f"{count:g} {word}{'' if count == 1 else 's'}"


def forecast(*, pending: int, in_review: int, throughput: Throughput) -> Forecast:
    """When the backlog (the pending articles and the rounds open now) clears at the throughput of
    the last weeks, in whole weeks rounded up; ``weeks`` is None when it cannot be said."""
    backlog = pending + in_review
    rate = throughput.per_week
    what = f"{_plural(pending, 'article')} waiting and {_plural(in_review, 'round')} in review"
    if backlog == 0:
        return Forecast(
            pending, in_review, rate, 0, "Nothing is waiting for the board: the backlog is clear."
        )
    if throughput.rounds_completed == 0:
        return Forecast(
            pending,
            in_review,
            rate,
            None,
            f"The board completed no review round in the last {_plural(throughput.weeks, 'week')}, so "
            f"there is no throughput to forecast from: the backlog ({what}) does not clear at this rate.",
        )
    weeks = max(math.ceil(backlog / rate), 1)
    return Forecast(
        pending,
        in_review,
        rate,
        weeks,
        f"At current throughput ({rate:.1f} rounds completed a week over the last "
        f"{_plural(throughput.weeks, 'week')}) the backlog ({what}) clears in {_plural(weeks, 'week')}.",
    )


@dataclass(frozen=True)
class Summary:
    pending: int
    capacity: BoardCapacity
    throughput: Throughput
    forecast: Forecast


def summary(*, now: datetime.datetime | None = None) -> Summary:
    """The queue's length, the board's free capacity, its throughput and the forecast: five
    queries."""
    now = now or timezone.now()
    pending = pending_articles().count()
    in_review = ReviewRound.objects.open().count()
    rate = throughput(now=now)
    return Summary(
        pending=pending,
        capacity=board_capacity(today=timezone.localdate(now)),
        throughput=rate,
        forecast=forecast(pending=pending, in_review=in_review, throughput=rate),
    )
