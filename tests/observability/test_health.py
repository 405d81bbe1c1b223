"""/health/live and /health/ready: what a load balancer and an operator get, healthy and not."""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
import threading
import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import OperationalError, connections
from django.test import Client
from django.utils import timezone

from editorial.observability import checks
from editorial.observability.models import LastRun
from editorial.observability.runs import BEAT_HEARTBEAT, record_run
from editorial.observability.tasks import beat_heartbeat
from editorial.outbox.models import OutboxMessage
from tests.editorial.workers import Workers, purge_default_queue
from tests.markers import requires_postgres, requires_redis
from tests.observability.conftest import start_worker, stop_worker

pytestmark = pytest.mark.django_db

PROBE_HOST = "10.0.3.17:8000"  # a load balancer probes the target's address, not the site's name


def ready(client: Client | None = None):
    response = (client or Client()).get("/health/ready", HTTP_HOST=PROBE_HOST)
    return response, response.json()


@pytest.fixture
def heartbeat():
    record_run(BEAT_HEARTBEAT, 0.0)


@pytest.fixture
def worker_answers(monkeypatch):
    """A worker that answers pings (the real ping has its own tests below); counts the pings."""
    pings = []

    def ping(timeout):
        pings.append(timeout)
        return "celery@worker-1 answered a ping"

    monkeypatch.setattr(checks, "worker", ping)
    return pings


def unreachable_database():
    """A connection like the default database's, to a server that is not there."""
    default = connections["default"]
    unreachable = {"NAME": "/nonexistent-folder/db.sqlite3"} if default.vendor == "sqlite" else {"PORT": 1}
    return type(default)({**default.settings_dict, **unreachable}, "unreachable")


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
        }
    }


def redis_broker(settings, port: int) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}


# --- Liveness ------------------------------------------------------------------------------------


def test_live_answers_without_touching_the_database_or_the_broker(django_assert_num_queries, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing there: must not matter
    with django_assert_num_queries(0):
        response = Client().get("/health/live", HTTP_HOST=PROBE_HOST)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_probes_by_ip_over_plain_http_are_answered_where_the_api_redirects_or_refuses(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/api/v1/public/articles/", HTTP_HOST=PROBE_HOST).status_code == 400  # host check
    assert client.get("/api/v1/public/articles/").status_code == 301  # to https
    assert client.get("/health/live", HTTP_HOST=PROBE_HOST).status_code == 200
    assert client.get("/health/ready", HTTP_HOST=PROBE_HOST).status_code in (200, 503)


def test_probes_are_not_throttled_and_need_no_credentials(settings, heartbeat, worker_answers):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"}}
    client = Client()
    statuses = {client.get("/health/ready", HTTP_HOST=PROBE_HOST).status_code for _ in range(5)}
    assert statuses == {200}


def test_only_reads_are_allowed():
    response = Client().post("/health/live", HTTP_HOST=PROBE_HOST)
    assert response.status_code == 405


# --- Readiness: all well -------------------------------------------------------------------------


def test_ready_when_every_check_passes(heartbeat, worker_answers):
    response, body = ready()

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "beat", "outbox"}
    for name, check in body["checks"].items():
        assert check["status"] == "ok", (name, check)
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0
        assert check["message"]
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


# --- Database ------------------------------------------------------------------------------------


def test_a_database_that_cannot_be_reached_takes_the_process_out_of_rotation(
    monkeypatch, heartbeat, worker_answers, caplog
):
    monkeypatch.setattr(checks, "connections", {"default": unreachable_database()})

    with caplog.at_level(logging.INFO, logger="django.request"):
        response, body = ready()

    assert response.status_code == 503
    assert body["status"] == "failing"
    assert body["checks"]["database"]["status"] == "failing"
    assert "OperationalError" in body["checks"]["database"]["message"]
    assert body["checks"]["cache"]["status"] == "ok"
    assert caplog.records == []  # not one error line per probe while the database is down


# --- Cache ---------------------------------------------------------------------------------------


def test_a_cache_that_refuses_connections_fails_readiness(settings, closed_port, heartbeat, worker_answers):
    settings.CACHES = redis_cache(closed_port)

    response, body = ready()

    assert response.status_code == 503
    assert body["checks"]["cache"]["status"] == "failing"
    assert "Connection refused" in body["checks"]["cache"]["message"]


def test_a_cache_that_never_answers_fails_within_the_timeout(
    settings, silent_server, heartbeat, worker_answers
):
    settings.CACHES = redis_cache(silent_server)
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5

    started = time.monotonic()
    response, body = ready()

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert body["checks"]["cache"] == {
        "status": "failing",
        "latency_ms": 500.0,
        "message": "no answer within 0.5 s",
    }


# --- Broker --------------------------------------------------------------------------------------


def test_a_broker_that_refuses_connections_degrades_but_keeps_serving(
    settings, closed_port, heartbeat, worker_answers
):
    redis_broker(settings, closed_port)

    response, body = ready()

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "degraded"
    assert "Connection refused" in body["checks"]["broker"]["message"]
    assert body["checks"]["database"]["status"] == "ok"


def test_a_broker_that_accepts_and_never_answers_fails_within_the_timeout(settings, silent_server, heartbeat):
    redis_broker(settings, silent_server)
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 1
    settings.HEALTH_WORKER_PING_TIMEOUT_SECONDS = 1

    started = time.monotonic()
    response, body = ready()
    elapsed = time.monotonic() - started

    # The worker ping goes through the same broker: it gives up too, after its own deadline.
    assert elapsed < 2.5
    assert response.status_code == 200
    assert body["checks"]["broker"]["status"] == "degraded"
    assert body["checks"]["broker"]["latency_ms"] <= 1100
    assert body["checks"]["worker"]["status"] == "degraded"


def test_polling_a_hung_cache_does_not_pile_up_threads(settings, silent_server, heartbeat, worker_answers):
    # Django's Redis cache has no socket timeout: each call hangs until the server goes away.
    settings.CACHES = redis_cache(silent_server)
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.2
    before = threading.active_count()

    bodies = [ready()[1] for _ in range(10)]

    assert {body["checks"]["cache"]["message"] for body in bodies} == {"no answer within 0.2 s"}
    assert threading.active_count() <= before + 2  # the one hung cache call, and the broker's


def test_the_broker_can_be_made_critical(settings, closed_port, heartbeat, worker_answers):
    redis_broker(settings, closed_port)
    settings.HEALTH_CRITICAL_CHECKS = ["database", "cache", "broker"]

    response, body = ready()

    assert response.status_code == 503
    assert body["status"] == "failing"
    assert body["checks"]["broker"]["status"] == "failing"


def test_an_unknown_critical_check_stops_start_up(tmp_path):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "HEALTH_CRITICAL_CHECKS": "database,brocker",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "HEALTH_CRITICAL_CHECKS names unknown checks ['brocker']" in result.stderr


# --- Worker --------------------------------------------------------------------------------------


def test_a_running_worker_answers_the_ping_and_none_fails_it(tmp_path, settings, heartbeat):
    settings.HEALTH_WORKER_PING_TIMEOUT_SECONDS = 3
    settings.HEALTH_WORKER_PING_CACHE_SECONDS = 0

    _, body = ready()
    assert body["checks"]["worker"]["status"] == "degraded"
    assert body["checks"]["worker"]["message"] == "no Celery worker answered a ping within 3 s"

    worker = start_worker(tmp_path)
    try:
        response, body = ready()
    finally:
        stop_worker(worker)

    assert response.status_code == 200
    assert body["checks"]["worker"]["status"] == "ok"
    assert body["checks"]["worker"]["message"].startswith("health-")
    assert body["checks"]["worker"]["message"].endswith("answered a ping")


def test_the_ping_is_asked_once_per_cache_period(settings, heartbeat, worker_answers):
    settings.HEALTH_WORKER_PING_CACHE_SECONDS = 30
    client = Client()

    messages = [ready(client)[1]["checks"]["worker"]["message"] for _ in range(5)]

    assert len(worker_answers) == 1
    assert messages[0] == "celery@worker-1 answered a ping"
    assert messages[-1] == "celery@worker-1 answered a ping (0 s ago)"

    settings.HEALTH_WORKER_PING_CACHE_SECONDS = 0.5
    time.sleep(0.6)
    ready(client)
    assert len(worker_answers) == 2


# --- Beat ----------------------------------------------------------------------------------------


def test_beat_is_well_while_its_heartbeat_is_recent(settings, worker_answers):
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 180

    _, body = ready()
    assert body["checks"]["beat"]["status"] == "degraded"
    assert body["checks"]["beat"]["message"] == "no heartbeat recorded yet: is beat running, and a worker?"

    beat_heartbeat()
    _, body = ready()
    assert body["checks"]["beat"] == {
        **body["checks"]["beat"],
        "status": "ok",
        "message": "last heartbeat 0 s ago",
    }

    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=200)):
        response, body = ready()
    assert response.status_code == 200
    assert body["checks"]["beat"]["status"] == "degraded"
    assert body["checks"]["beat"]["message"].startswith("last heartbeat 200 s ago (more than 180 s)")


@requires_postgres
@requires_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_and_beat_turns_ok(tmp_path, worker_answers):
    purge_default_queue()
    workers = Workers(tmp_path)
    with workers.running(pool="prefork"):
        beat_heartbeat.delay()
        workers.wait_for(lambda: LastRun.objects.filter(name=BEAT_HEARTBEAT).exists(), what="the heartbeat")

    assert ready()[1]["checks"]["beat"]["status"] == "ok"


def test_every_process_knows_the_heartbeat_task(tmp_path):
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print('editorial.observability.tasks.beat_heartbeat' in app.tasks)"
    )
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "True", result.stderr


def test_beat_queues_the_heartbeat_and_the_task_records_it():
    entry = django_settings.CELERY_BEAT_SCHEDULE["beat-heartbeat"]
    assert entry["task"] == beat_heartbeat.name == "editorial.observability.tasks.beat_heartbeat"
    assert entry["schedule"] == datetime.timedelta(seconds=django_settings.HEALTH_BEAT_HEARTBEAT_SECONDS)
    assert django_settings.HEALTH_BEAT_MAX_AGE_SECONDS == 3 * django_settings.HEALTH_BEAT_HEARTBEAT_SECONDS

    beat_heartbeat()
    beat_heartbeat()

    (row,) = LastRun.objects.all()
    assert row.name == BEAT_HEARTBEAT


# --- Outbox --------------------------------------------------------------------------------------


def waiting(count: int, *, age: datetime.timedelta = datetime.timedelta(0)) -> None:
    created = timezone.now() - age
    OutboxMessage.objects.bulk_create(
        OutboxMessage(topic="notifications.deliver", payload={"assignment_ids": [n]}, created_at=created)
        for n in range(count)
    )


def test_the_outbox_is_well_while_its_backlog_is_small_and_young(settings, heartbeat, worker_answers):
    settings.HEALTH_OUTBOX_MAX_PENDING = 3
    settings.HEALTH_OUTBOX_MAX_AGE_SECONDS = 300
    OutboxMessage.objects.create(topic="notifications.deliver", payload={}, published_at=timezone.now())

    assert ready()[1]["checks"]["outbox"]["message"] == "0 message(s) waiting"
    waiting(3, age=datetime.timedelta(seconds=100))
    check = ready()[1]["checks"]["outbox"]
    assert (check["status"], check["message"]) == ("ok", "3 message(s) waiting, the oldest for 100 s")


def test_too_many_messages_waiting_degrade_the_outbox(settings, heartbeat, worker_answers):
    settings.HEALTH_OUTBOX_MAX_PENDING = 3
    waiting(4)

    response, body = ready()

    assert response.status_code == 200
    assert body["checks"]["outbox"]["status"] == "degraded"
    assert body["checks"]["outbox"]["message"] == (
        "4 message(s) waiting, the oldest for 0 s (limits: 3 messages, 300 s): is the relay running?"
    )


def test_a_message_waiting_too_long_degrades_the_outbox(settings, heartbeat, worker_answers):
    settings.HEALTH_OUTBOX_MAX_AGE_SECONDS = 300
    waiting(1, age=datetime.timedelta(seconds=400))

    check = ready()[1]["checks"]["outbox"]

    assert check["status"] == "degraded"
    assert check["message"].startswith("1 message(s) waiting, the oldest for 400 s")


def test_a_run_that_cannot_be_recorded_does_not_fail_the_task(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(LastRun.objects, "bulk_create", broken)

    with caplog.at_level(logging.WARNING, logger="editorial.observability.runs"):
        beat_heartbeat()

    assert "event=task_run_not_recorded task=beat_heartbeat" in caplog.text
