"""Each list and detail endpoint of the API under gunicorn, against a plain Django view over the
same rows (bench/bare_views.py), side by side.

``serve`` starts gunicorn with the project's configuration (config/gunicorn_conf.py) on the
benchmark's settings (bench/api_settings.py: the site's URLs plus the bare views) over the scratch
database. ``drive`` is the load generator: C threads, each with its own keep-alive connection,
sending GET requests one after another for a fixed time; it counts the answers (any that is not
200 is an error) and keeps every latency. ``run`` measures each endpoint and its bare view in turn,
at each concurrency, alternating which goes first from one run to the next, so that drift on a
shared machine hits both alike.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from bench.api_data import World


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    bare: str
    who: str | None  # "editor", "member" or None (anonymous)


ENDPOINTS = [
    Endpoint("articles list", "/api/v1/articles/", "/bench/bare/articles/", "editor"),
    Endpoint("article detail", "/api/v1/articles/{slug}/", "/bench/bare/articles/{slug}/", "editor"),
    Endpoint(
        "versions list",
        "/api/v1/articles/{slug}/versions/",
        "/bench/bare/articles/{slug}/versions/",
        "editor",
    ),
    Endpoint("assignments (member)", "/api/v1/assignments/", "/bench/bare/assignments/", "member"),
    Endpoint("public list", "/api/v1/public/articles/", "/bench/bare/public/articles/", None),
    Endpoint("public detail", "/api/v1/public/articles/{slug}/", "/bench/bare/public/articles/{slug}/", None),
]


@dataclass
class Load:
    """What one path answered in ``seconds`` at one concurrency."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float] = field(repr=False)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


@dataclass
class Comparison:
    endpoint: Endpoint
    concurrency: int
    real: list[Load] = field(default_factory=list)
    bare: list[Load] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [
            real.per_second / bare.per_second if bare.requests else float("nan")
            for real, bare in zip(self.real, self.bare, strict=True)
        ]


def drive(base_url: str, path: str, headers: dict[str, str], *, concurrency: int, seconds: float) -> Load:
    """GET ``path`` from ``concurrency`` threads for ``seconds``."""
    parts = urlsplit(base_url)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        mine = latencies[index]
        start.wait()
        while (began := time.perf_counter()) < deadline[0]:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            if ok:
                mine.append(time.perf_counter() - began)
            else:
                errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [latency for mine in latencies for latency in mine]
    return Load(requests=len(every), errors=sum(errors), seconds=elapsed, latencies=every)


def run(
    *,
    base_url: str,
    world: World,
    endpoints: list[Endpoint],
    concurrencies: list[int],
    seconds: float,
    runs: int,
    warmup: float = 1.0,
    progress=None,  # noqa: ANN001 - a callable taking a line, or None
) -> list[Comparison]:
    comparisons = {(e.name, c): Comparison(e, c) for e in endpoints for c in concurrencies}
    for endpoint in endpoints:
        for variant in (endpoint.bare, endpoint.path):
            drive(base_url, _path(variant, world), _headers(endpoint, world), concurrency=4, seconds=warmup)
    for number in range(runs):
        for endpoint in endpoints:
            headers = _headers(endpoint, world)
            for concurrency in concurrencies:
                comparison = comparisons[endpoint.name, concurrency]
                order = [("bare", endpoint.bare), ("real", endpoint.path)]
                for label, path in order if number % 2 == 0 else order[::-1]:
                    load = drive(
                        base_url, _path(path, world), headers, concurrency=concurrency, seconds=seconds
                    )
                    getattr(comparison, label).append(load)
                if progress:
                    real, bare = comparison.real[-1].per_second, comparison.bare[-1].per_second
                    progress(
                        f"run {number + 1}: {endpoint.name} x{concurrency}: {real:.0f} vs {bare:.0f} req/s"
                    )
    return list(comparisons.values())


def _path(template: str, world: World) -> str:
    return template.format(slug=world.detail_slug)


def _headers(endpoint: Endpoint, world: World) -> dict[str, str]:
    headers = {"Accept": "application/json", "Host": "127.0.0.1"}
    if endpoint.who:
        headers["Cookie"] = world.cookies[endpoint.who]
    return headers


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- The server -------------------------------------------------------------------------------------


def database_url() -> str:
    """The URL of the database the command is connected to now (the scratch one)."""
    configured = urlsplit(os.environ.get("DATABASE_URL", ""))
    if connection.vendor != "postgresql" or not configured.scheme:
        raise RuntimeError("bench_api needs PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunsplit(configured._replace(path="/" + connection.settings_dict["NAME"]))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(*, workers: int, threads: int, log: Path) -> Iterator[str]:
    """gunicorn with the project's configuration on the benchmark's settings; yields its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions were signed with it
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
        "WEB_MAX_REQUESTS": "0",  # no worker restarts in the middle of a measurement
        "LOG_LEVEL": "WARNING",  # no log line per request, for either path
        "METRICS_ENABLED": "0",
    }
    env.pop("CACHE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "python:config.gunicorn_conf"]
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=output)  # noqa: S603
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url, server, log)
            yield url
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    parts = urlsplit(url)
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log}.")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/health/live", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within 30 s; see {log}.")
