from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_readiness_benchmark_prints_a_line_per_scenario(settings):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.3
    settings.HEALTH_WORKER_PING_TIMEOUT_SECONDS = 0.3
    out = io.StringIO()

    call_command("bench_readiness", probes=2, stdout=out)

    # scenario, status, first ms, p50 ms, p99 ms, max ms
    rows = {line[:24].strip(): line[24:].split() for line in out.getvalue().splitlines()[2:]}
    assert set(rows) == {
        "/health/live",
        "broker, cache answering",
        "broker refusing",
        "broker hung",
        "cache refusing",
        "cache hung",
    }
    assert rows["/health/live"][0] == rows["broker refusing"][0] == rows["broker hung"][0] == "200"
    assert rows["cache refusing"][0] == rows["cache hung"][0] == "503"
    assert float(rows["broker hung"][-1]) < 1500  # within the timeouts, never hung
