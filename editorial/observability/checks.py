"""The readiness checks: each answers within its timeout, healthy or not.

A check returns a message when healthy and raises ``Unhealthy`` when not. Checks that talk to a
server that may accept a connection and then never answer (the broker, the cache, a worker ping)
run in a helper thread and are given up on after their timeout; at most one such call per check
is in flight, so a hung server does not pile up threads however often the endpoint is polled.

Which failing checks make ``/health/ready`` answer 503 is HEALTH_CRITICAL_CHECKS
(docs/operations.md, "Health checks").
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from kombu import Connection

from config.celery import app
from editorial.observability.models import LastRun
from editorial.observability.runs import BEAT_HEARTBEAT
from editorial.outbox import selectors as outbox_selectors

OK, DEGRADED, FAILING = "ok", "degraded", "failing"


class Unhealthy(Exception):
    """A check's finding that something is wrong; its message is shown to the operator."""


@dataclass(frozen=True)
class Result:
    name: str
    healthy: bool
    latency_ms: float
    message: str


# --- Running a check with a deadline -----------------------------------------------------------

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health-check")
_in_flight: dict[str, Future[Result]] = {}
_in_flight_lock = threading.Lock()


def _measured(name: str, call: Callable[[], str]) -> Result:
    started = time.monotonic()
    try:
        message, healthy = call(), True
    except Unhealthy as finding:
        message, healthy = str(finding), False
    except Exception as error:  # a check must report, never raise: the operator reads the error
        message, healthy = f"{type(error).__name__}: {error}", False
    return Result(name, healthy, round((time.monotonic() - started) * 1000, 1), message)


def _start(name: str, call: Callable[[], str]) -> Future[Result]:
    """Run ``call`` in a helper thread, unless the same check is still running from an earlier
    request (a hung server): then that run is waited for instead of starting another."""
    with _in_flight_lock:
        future = _in_flight.get(name)
        if future is None or future.done():
            future = _in_flight[name] = _executor.submit(_measured, name, call)
        return future


def _within(name: str, future: Future[Result], started: float, timeout: float) -> Result:
    """The check's result, or a failure once ``timeout`` seconds have passed since ``started``."""
    try:
        return future.result(timeout=max(0.0, started + timeout - time.monotonic()))
    except FutureTimeout:
        return Result(name, False, round(timeout * 1000, 1), f"no answer within {timeout:g} s")


# --- The checks ----------------------------------------------------------------------------------


def database(connection: BaseDatabaseWrapper | None = None) -> str:
    connection = connection or connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return f"{connection.vendor} answered"


def cache() -> str:
    backend = caches["default"]
    key, value = f"health-check:{uuid.uuid4().hex}", uuid.uuid4().hex
    backend.set(key, value, timeout=30)
    try:
        if backend.get(key) != value:
            raise Unhealthy("a value written to the cache did not read back")
    finally:
        backend.delete(key)
    return f"{type(backend).__name__} wrote and read a value"


def _broker_connection(timeout: float) -> Connection:
    """A connection of our own that gives up after ``timeout`` seconds at every step, instead
    of the application's, whose timeouts suit publishing rather than probing."""
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        options |= {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options)


def broker(timeout: float) -> str:
    with _broker_connection(timeout) as connection:
        connection.ensure_connection(max_retries=0)
        channel = connection.default_channel
        client = getattr(channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()  # a server that accepts connections but does not answer fails here
        return f"{connection.transport_cls} broker answered"


def worker(timeout: float) -> str:
    with _broker_connection(timeout) as connection:
        replies = app.control.ping(timeout=timeout, limit=1, connection=connection)
    if not replies:
        raise Unhealthy(f"no Celery worker answered a ping within {timeout:g} s")
    (name,) = replies[0]
    return f"{name} answered a ping"


def beat(max_age: float) -> str:
    last = LastRun.objects.filter(name=BEAT_HEARTBEAT).values_list("finished_at", flat=True).first()
    if last is None:
        raise Unhealthy("no heartbeat recorded yet: is beat running, and a worker?")
    age = (timezone.now() - last).total_seconds()
    if age > max_age:
        raise Unhealthy(
            f"last heartbeat {age:.0f} s ago (more than {max_age:g} s): beat or every worker is down"
        )
    return f"last heartbeat {age:.0f} s ago"


def outbox(max_pending: int, max_age: float) -> str:
    backlog = outbox_selectors.backlog()
    age = backlog.oldest_age_seconds
    waiting = f"{backlog.pending} message(s) waiting"
    if age is not None:
        waiting += f", the oldest for {age:.0f} s"
    if backlog.pending > max_pending or (age is not None and age > max_age):
        raise Unhealthy(f"{waiting} (limits: {max_pending} messages, {max_age:g} s): is the relay running?")
    return waiting


# --- The worker ping's answer, kept for a while ---------------------------------------------------

_worker_answer: tuple[float, Result] | None = None
_worker_lock = threading.Lock()


def _remembered_worker_result() -> Result | None:
    with _worker_lock:
        if _worker_answer is None:
            return None
        asked_at, result = _worker_answer
        age = time.monotonic() - asked_at
        if age >= settings.HEALTH_WORKER_PING_CACHE_SECONDS:
            return None
        return Result(result.name, result.healthy, result.latency_ms, f"{result.message} ({age:.0f} s ago)")


def _remember_worker_result(result: Result) -> Result:
    global _worker_answer
    with _worker_lock:
        _worker_answer = (time.monotonic(), result)
    return result


def forget(wait: float = 10) -> None:
    """Drop the remembered worker answer, after waiting up to ``wait`` seconds for checks still
    running from earlier requests (for tests, which change what the checks talk to)."""
    global _worker_answer
    with _in_flight_lock:
        running = list(_in_flight.values())
        _in_flight.clear()
    futures_wait(running, timeout=wait)
    with _worker_lock:
        _worker_answer = None


# --- All of them -----------------------------------------------------------------------------------


def run_all() -> list[Result]:
    """Every check. Those that wait on the network run at the same time, each against its own
    deadline. The worker ping's answer is kept HEALTH_WORKER_PING_CACHE_SECONDS in each process, so
    a load balancer polling every second does not flood the workers' control queue."""
    started = time.monotonic()
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    ping_timeout = settings.HEALTH_WORKER_PING_TIMEOUT_SECONDS
    cache_run = _start("cache", cache)
    broker_run = _start("broker", lambda: broker(timeout))
    worker_result = _remembered_worker_result()
    worker_run = None if worker_result else _start("worker", lambda: worker(ping_timeout))
    results = [
        _measured("database", database),
        _within("cache", cache_run, started, timeout),
        _within("broker", broker_run, started, timeout),
    ]
    if worker_run is not None:
        # The ping may first spend up to the check timeout connecting to the broker.
        worker_result = _remember_worker_result(
            _within("worker", worker_run, started, timeout + ping_timeout)
        )
    results.append(worker_result)
    results.append(_measured("beat", lambda: beat(settings.HEALTH_BEAT_MAX_AGE_SECONDS)))
    limits = settings.HEALTH_OUTBOX_MAX_PENDING, settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    results.append(_measured("outbox", lambda: outbox(*limits)))
    return results


def status_of(result: Result) -> str:
    if result.healthy:
        return OK
    return FAILING if result.name in settings.HEALTH_CRITICAL_CHECKS else DEGRADED


def overall(results: list[Result]) -> str:
    statuses = {status_of(result) for result in results}
    return FAILING if FAILING in statuses else DEGRADED if DEGRADED in statuses else OK
