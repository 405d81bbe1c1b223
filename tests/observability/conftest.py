from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from django.conf import settings

from editorial.observability import checks


@pytest.fixture(autouse=True)
def _fresh_checks():
    """No worker answer remembered, and no check still running, from another test."""
    checks.forget()
    yield
    checks.forget()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A real TCP server on 127.0.0.1 that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


class LogLines:
    """What the configured JSON formatter writes, one parsed object per line."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]

    def where(self, **fields: object) -> list[dict]:
        return [line for line in self.all if all(line.get(k) == v for k, v in fields.items())]


@pytest.fixture
def json_logs() -> Iterator[LogLines]:
    """Every log record at INFO and above, formatted by settings.LOGGING's JSON formatter (the
    production format), collected for the test."""
    options = {key: value for key, value in settings.LOGGING["formatters"]["json"].items() if key != "()"}
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(**options))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield LogLines(handler.stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.contextvars.clear_contextvars()


def start_worker(tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    """A real Celery worker (a subprocess) on the configured broker, with remote control on."""
    log = open(tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115
    # fmt: off
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
        "--without-mingle", "--without-gossip", "--hostname", f"health-{uuid.uuid4().hex[:8]}@%h",
        "--queues", f"health-{uuid.uuid4().hex}",
    ]
    # fmt: on
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings_test"} | env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(0)
        if " ready." in log.read():
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    log.seek(0)
    stop_worker(process)
    raise AssertionError("The worker did not report ready:\n" + log.read())


def stop_worker(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    process.log.close()  # type: ignore[attr-defined]
