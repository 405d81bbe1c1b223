"""Prometheus metrics (docs/operations.md, "Metrics").

Request latency is a histogram observed by ``RequestMetricsMiddleware`` in each web process; with
several gunicorn workers, PROMETHEUS_MULTIPROC_DIR makes prometheus_client keep it in files there
that any worker's scrape adds up. Everything else is read from the database when Prometheus
scrapes, in a fixed number of queries whatever the amount of data: one for the reviews, one for
the rounds, one for the outbox, one for the tasks' last runs (recorded by the workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from editorial.models import (
    OPEN_ASSIGNMENT_STATES,
    ReviewAssignment,
    ReviewRound,
    overdue_q,
    standing_approval_q,
)
from editorial.observability.models import LastRun
from editorial.outbox import selectors as outbox_selectors

CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUEST_LATENCY = Histogram(
    "editorial_http_request_duration_seconds",
    "Time from the request reaching Django to the response, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def rounds_short_of_reviewers() -> int:
    """Open rounds whose open assignments and standing approvals are fewer than the approvals
    they need (``editorial.services.assignments.open_seats`` is above zero), counted in one query."""
    covering = (
        ReviewAssignment.objects.filter(round=OuterRef("pk"))
        .filter(Q(state__in=OPEN_ASSIGNMENT_STATES) | standing_approval_q())
        .values("round")
        .annotate(count=Count("pk"))
        .values("count")
    )
    covered = Coalesce(Subquery(covering, output_field=IntegerField()), Value(0))
    short = ReviewRound.objects.open().annotate(covered=covered).filter(covered__lt=F("required_approvals"))
    return short.count()


class DatabaseGauges(Collector):
    """The gauges computed from the database at scrape time."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("editorial_metrics_database_up", "1 if the gauges below could be read.")
        try:
            gauges = list(self._gauges())
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges

    def _gauges(self) -> Iterator[Metric]:
        reviews = ReviewAssignment.objects.aggregate(
            pending=Count("pk", filter=Q(state__in=OPEN_ASSIGNMENT_STATES)),
            overdue=Count("pk", filter=overdue_q()),
        )
        yield GaugeMetricFamily(
            "editorial_reviews_pending",
            "Reviews assigned and not yet decided (pending or accepted).",
            value=reviews["pending"],
        )
        yield GaugeMetricFamily(
            "editorial_reviews_overdue",
            "Reviews not yet decided after their due date.",
            value=reviews["overdue"],
        )
        yield GaugeMetricFamily(
            "editorial_rounds_short_of_reviewers",
            "Open review rounds whose open assignments and standing approvals are fewer than the "
            "approvals they need.",
            value=rounds_short_of_reviewers(),
        )
        backlog = outbox_selectors.backlog()
        yield GaugeMetricFamily(
            "editorial_outbox_pending_messages",
            "Outbox messages not yet handed to the broker.",
            value=backlog.pending,
        )
        yield GaugeMetricFamily(
            "editorial_outbox_oldest_message_age_seconds",
            "How long the oldest message not yet handed to the broker has waited (0 when none).",
            value=backlog.oldest_age_seconds or 0,
        )
        duration = GaugeMetricFamily(
            "editorial_task_last_duration_seconds",
            "How long the last successful run of each task took.",
            labels=["task"],
        )
        finished = GaugeMetricFamily(
            "editorial_task_last_success_timestamp_seconds",
            "When the last successful run of each task finished (Unix time).",
            labels=["task"],
        )
        for run in LastRun.objects.order_by("name"):
            duration.add_metric([run.name], run.seconds)
            finished.add_metric([run.name], run.finished_at.timestamp())
        yield duration
        yield finished


class _Default(Collector):
    """This process's own metrics (request latency, process and Python runtime figures)."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def exposition() -> bytes:
    """The metrics in Prometheus's text format."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every gunicorn worker's request latencies, from the files they share.
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    registry.register(DatabaseGauges())
    return generate_latest(registry)
