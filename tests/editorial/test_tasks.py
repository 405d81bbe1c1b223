"""The tasks as Celery runs them: the beat schedule, retries on transient errors, counts returned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError

from config.celery import app
from editorial import tasks

BASE_DIR = Path(settings.BASE_DIR)

PRINT_SCHEDULE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: [entry['task'], entry['schedule'].total_seconds(), entry['options']['expires']] "
    "for name, entry in s.CELERY_BEAT_SCHEDULE.items()}))"
)


def schedule_with(tmp_path: Path, **env: str) -> dict[str, list]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REMINDERS_EVERY_MINUTES", "STALENESS_SWEEP_EVERY_HOURS", "DJANGO_SETTINGS_MODULE"}
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "s", "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SCHEDULE],
        cwd=BASE_DIR,
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_beat_sends_reminders_every_15_minutes_and_the_daily_work_daily_by_default(tmp_path):
    assert schedule_with(tmp_path) == {
        "send-review-reminders": ["editorial.tasks.send_review_reminders", 900.0, 900],
        "mark-stale-articles": ["editorial.tasks.mark_stale_articles", 86400.0, 86400],
        "revalidate-approvals": ["editorial.tasks.revalidate_approvals", 86400.0, 86400],
        "verify-approvals": ["editorial.tasks.verify_approvals", 86400.0, 86400],
        "send-staffing-alerts": ["editorial.tasks.send_staffing_alerts", 900.0, 900],
        "purge-idempotency-keys": ["config.idempotency.tasks.purge_idempotency_keys", 3600.0, 3600],
        "relay-outbox": ["editorial.tasks.relay_outbox", 30.0, 30],
        "deliver-due-webhooks": ["editorial.webhooks.tasks.deliver_due_webhooks", 30.0, 30],
        "beat-heartbeat": ["editorial.observability.tasks.beat_heartbeat", 60.0, 60],
        "auto-submit-triage": ["editorial.triage.tasks.auto_submit_triage", 3600.0, 3600],
    }


def test_the_intervals_come_from_the_environment(tmp_path):
    schedule = schedule_with(
        tmp_path,
        REMINDERS_EVERY_MINUTES="5",
        STALENESS_SWEEP_EVERY_HOURS="6",
        INTEGRITY_CHECK_EVERY_HOURS="12",
    )
    assert schedule["send-review-reminders"][1:] == [300.0, 300]
    assert schedule["mark-stale-articles"][1:] == [21600.0, 21600]
    assert schedule["verify-approvals"][1:] == schedule["revalidate-approvals"][1:] == [43200.0, 43200]


def test_every_scheduled_task_is_a_registered_task():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.parametrize(
    ("task", "service"),
    [
        (tasks.send_review_reminders, "editorial.reminders.send_review_reminders"),
        (tasks.mark_stale_articles, "editorial.staleness.mark_stale_articles"),
    ],
)
def test_a_transient_database_error_is_retried_with_backoff_until_the_task_succeeds(task, service):
    counts = {"re_reviews_remaining": 0, "re_reviews_opened": 0, "sent": 2}
    lost = OperationalError("server closed the connection unexpectedly")
    with (
        mock.patch(service, side_effect=[lost, lost, counts]) as run,
        mock.patch.object(task, "retry", wraps=task.retry) as retry,
    ):
        result = task.apply()

    assert (result.successful(), result.result, run.call_count) == (True, counts, 3)
    countdowns = [call.kwargs["countdown"] for call in retry.call_args_list]
    assert len(countdowns) == 2 and all(0 <= countdown <= 300 for countdown in countdowns)


def test_an_error_that_will_not_pass_is_not_retried():
    with mock.patch("editorial.reminders.send_review_reminders", side_effect=ValueError("a bug")) as run:
        result = tasks.send_review_reminders.apply()

    assert (result.failed(), run.call_count) == (True, 1)
