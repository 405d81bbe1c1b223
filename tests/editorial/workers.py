"""Real Celery workers for the tests: subprocesses on the configured broker and the test database.

Each worker loads ``tests.editorial.worker_app`` with ``tests.editorial.worker_settings`` (emails
spooled to files), consumes the default queue with one pool process, and is stopped with a warm
shutdown. The tests read what the workers did from the database, the email spool and the
workers' log lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from config.celery import app
from tests.editorial.mail import read_spool

DEFAULT_QUEUE = "celery"


def database_url() -> str:
    """The URL of the test database this process uses, for a worker to use too."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{quote(db['USER'])}{password}@{host}:{port}/{db['NAME']}"


def purge_default_queue() -> None:
    """Drop whatever earlier tests left queued (notifications of their steps)."""
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(DEFAULT_QUEUE)


class Worker:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if " ready." in line:
                self._ready.set()

    def wait_until_ready(self, timeout: float = 60) -> None:
        if not self._ready.wait(timeout):
            raise AssertionError("The worker did not report ready:\n" + self.log)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: a running task finishes first
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=10)


class Workers:
    """Starts workers for one test and collects what they sent and logged."""

    def __init__(self, tmp_path: Path) -> None:
        self.spool = tmp_path / "spool"
        self.spool.mkdir()
        self.crash_marker = tmp_path / "crashed"
        self.var_dir = tmp_path / "var"
        self.started: list[Worker] = []

    @contextmanager
    def running(self, count: int = 1, *, pool: str = "prefork", **env: str) -> Iterator[list[Worker]]:
        """``count`` workers, each with one pool process (``prefork``, as in production, or ``solo``:
        the task runs in the worker's own process)."""
        workers = [self._start(pool, env) for _ in range(count)]
        try:
            for worker in workers:
                worker.wait_until_ready()
            yield workers
        finally:
            for worker in workers:
                worker.stop()

    def _start(self, pool: str, env: dict[str, str]) -> Worker:
        environment = os.environ | {
            "DJANGO_SETTINGS_MODULE": "tests.editorial.worker_settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_SPOOL_DIR": str(self.spool),
            "CRASH_MARKER": str(self.crash_marker),
            "VAR_DIR": str(self.var_dir),
            **env,
        }
        # fmt: off
        command = [
            sys.executable, "-m", "celery", "-A", "tests.editorial.worker_app", "worker",
            "--pool", pool, "--concurrency", "1", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
            "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h", "--queues", DEFAULT_QUEUE,
        ]
        # fmt: on
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        worker = Worker(process)
        self.started.append(worker)
        return worker

    @property
    def emails(self) -> list[dict]:
        return read_spool(self.spool)

    @property
    def log(self) -> str:
        return "\n".join(worker.log for worker in self.started)

    def wait_for(self, check: Callable[[], object], *, what: str, timeout: float = 60) -> None:
        """Wait until ``check()`` is true, or fail after ``timeout`` seconds showing the workers' log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"Timed out waiting for {what}. The workers' log:\n{self.log}")

    def task_lines(self, task: str) -> list[dict[str, str]]:
        """The structured line each finished run of ``task`` logged, as a dict of its fields."""
        lines = re.findall(rf"task={task} (seconds=\S+(?: \w+=\S+)*)", self.log)
        return [dict(field.split("=", 1) for field in line.split()) for line in lines]
