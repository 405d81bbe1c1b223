"""The triage benchmark runs and reads what it says: the ranked top of the queue, the summary and
the bare floor over the same pending articles."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.triage import build, run
from editorial.triage.models import PageViews


@pytest.mark.django_db
def test_the_benchmark_times_the_queue_the_summary_and_the_floor_on_the_same_rows():
    build(articles=30, view_days=2)

    results = run(limit=10, repeat=2)

    assert PageViews.objects.count() == 60
    with_jit = [("queue with the JIT on", 10, 2)] if connection.vendor == "postgresql" else []
    assert [(result.name, result.rows, len(result.seconds)) for result in results] == [
        ("queue (top, ranked)", 10, 2),
        *with_jit,
        ("summary (count, capacity, throughput)", 30, 2),
        ("bare: pending by age (floor)", 10, 2),
    ]
