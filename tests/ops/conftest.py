"""A production-like web server for the tests that check what an operator's deployment serves:
the Procfile's ``web`` command (gunicorn) with DEBUG off, behind a proxy that declares HTTPS,
after ``collectstatic`` and ``migrate`` into a scratch folder (its own SQLite database)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.ops.support import ADMIN_PASSWORD, BASE_DIR, Server, free_port, manage, procfile, production_env


@pytest.fixture(scope="session")
def production_server(tmp_path_factory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("production")
    port = free_port()
    env = production_env(var_dir, WEB_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", WEB_THREADS="2")
    manage(env, "collectstatic", "--noinput")
    manage(env, "migrate", "--noinput")
    superuser = {"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}
    manage(env | superuser, "createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org")
    log = (var_dir / "web.log").open("w")
    # Run as a process manager would: the Procfile's line through a shell.
    web = subprocess.Popen(  # noqa: S602 - the Procfile's own command
        procfile()["web"],
        shell=True,
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server("127.0.0.1", port, var_dir / "static")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.get("/admin/login/")
                break
            except OSError:
                if web.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "gunicorn did not answer:\n" + (var_dir / "web.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=60)
        log.close()
