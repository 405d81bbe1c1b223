"""How long /health/ready takes when everything answers, and when the broker or the cache refuses
connections or accepts them and never answers (a local TCP server that does just that).

    python manage.py bench_readiness --probes 20

Each probe is a GET through the whole middleware stack in this process, on the configured
database. The worker's answer is kept as the endpoint keeps it (HEALTH_WORKER_PING_CACHE_SECONDS),
so the first probe of a scenario pays the ping and the rest do not.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import Client, override_settings

from editorial.observability import checks


@contextmanager
def _port(silent: bool) -> Iterator[int]:
    """A local port that refuses connections, or (silent) accepts them and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    if not silent:
        server.close()
        yield port
        return
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


def _redis(port: int) -> dict[str, Any]:
    return {"CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0", "CELERY_BROKER_TRANSPORT_OPTIONS": {}}


def _cache(port: int) -> dict[str, Any]:
    location = f"redis://127.0.0.1:{port}/1"
    return {
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
        }
    }


class Command(BaseCommand):
    help = "Time /health/ready with the broker and the cache answering, refusing and hung."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--probes", type=int, default=20)

    def handle(self, *args: Any, probes: int, **options: Any) -> None:
        timeout, ping = settings.HEALTH_CHECK_TIMEOUT_SECONDS, settings.HEALTH_WORKER_PING_TIMEOUT_SECONDS
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        self.stdout.write(
            f"{probes} probes per scenario; HEALTH_CHECK_TIMEOUT_SECONDS={timeout}, "
            f"HEALTH_WORKER_PING_TIMEOUT_SECONDS={ping}, broker {broker}"
        )
        self.stdout.write(
            f"{'scenario':<24} {'status':>8} {'first ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        )
        scenarios = [
            ("/health/live", None, False),
            ("broker, cache answering", None, False),
            ("broker refusing", _redis, False),
            ("broker hung", _redis, True),
            ("cache refusing", _cache, False),
            ("cache hung", _cache, True),
        ]
        for name, configure, silent in scenarios:
            path = "/health/live" if name == "/health/live" else "/health/ready"
            if configure is None:
                self._run(name, path, probes, {})
                continue
            with _port(silent) as port:
                self._run(name, path, probes, configure(port))

    def _run(self, name: str, path: str, probes: int, overrides: dict[str, Any]) -> None:
        checks.forget()
        with override_settings(**overrides):
            client = Client()
            timings, statuses = [], set()
            for _ in range(probes):
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                statuses.add(str(response.status_code))
            checks.forget(wait=0)
        ordered = sorted(timings)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        status, median = "/".join(sorted(statuses)), statistics.median(timings)
        self.stdout.write(
            f"{name:<24} {status:>8} {timings[0]:>9.1f} {median:>8.1f} {p99:>8.1f} {max(timings):>8.1f}"
        )
