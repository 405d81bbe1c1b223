"""Celery's visibility timeout on Redis: how long a task taken by a worker that died waits before
another worker gets it. Derived from the task time limit unless set; a value that a task still
running could outlive is refused at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.ops.support import BASE_DIR, NOT_INHERITED

PRINT_VISIBILITY = (
    "from config.celery import app; import django; django.setup(); "
    "print(app.conf.broker_transport_options.get('visibility_timeout'))"
)


def start(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    clean |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "s",
        "VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",  # nothing is contacted
    } | env
    return subprocess.run(
        [sys.executable, "-c", PRINT_VISIBILITY],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def visibility(tmp_path, **env: str) -> int:
    result = start(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


def test_by_default_a_dead_workers_task_is_handed_on_a_minute_after_the_time_limit(tmp_path):
    # The hard time limit is 300 s by default: six minutes, not an hour.
    assert visibility(tmp_path) == 360
    assert visibility(tmp_path, CELERY_TASK_TIME_LIMIT="900", CELERY_TASK_SOFT_TIME_LIMIT="840") == 960


def test_a_longer_visibility_timeout_can_be_set(tmp_path):
    assert visibility(tmp_path, CELERY_VISIBILITY_TIMEOUT="1800") == 1800


def test_a_visibility_timeout_a_running_task_could_outlive_is_refused(tmp_path):
    for value in ("300", "120"):
        result = start(tmp_path, CELERY_VISIBILITY_TIMEOUT=value)
        assert result.returncode != 0
        last_line = result.stderr.strip().splitlines()[-1]
        assert "ImproperlyConfigured" in last_line
        assert "CELERY_VISIBILITY_TIMEOUT" in last_line
        assert "CELERY_TASK_TIME_LIMIT (300 s)" in last_line
