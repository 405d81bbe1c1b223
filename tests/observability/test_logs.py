"""JSON log lines with the request id, from the web request into the Celery task it queued."""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest
import structlog
from celery import signals
from celery.worker.request import Request
from django.conf import settings
from django_structlog.celery.receivers import CeleryReceiver
from knox.models import AuthToken
from rest_framework.test import APIClient

import editorial.tasks  # noqa: F401 - registers the tasks a worker runs
from config.celery import app
from tests.editorial.conftest import submit
from tests.editorial.workers import Workers, purge_default_queue
from tests.markers import requires_postgres, requires_redis

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


# The signals a worker's task runs send (publishing is already connected in every process).
WORKER_SIGNALS = (
    "task_prerun",
    "task_retry",
    "task_success",
    "task_failure",
    "task_revoked",
    "task_unknown",
    "task_rejected",
)


@pytest.fixture
def worker_signals():
    """What DjangoStructLogInitStep does in a worker: bind each task's context from its message."""
    receiver = CeleryReceiver()
    for name in WORKER_SIGNALS:
        getattr(signals, name).connect(getattr(receiver, f"receiver_{name}"))
    yield
    for name in WORKER_SIGNALS:
        getattr(signals, name).disconnect(getattr(receiver, f"receiver_{name}"))


def run_queued_task(name: str) -> None:
    """Take the first message for task ``name`` off the default queue and run it as a worker
    does (celery.worker.request.Request: the message's headers become the task's request)."""
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        try:
            while True:
                message = queue.get(timeout=10)
                if message.headers["task"] == name:
                    break
                message.ack()
            Request(message, app=app).execute()
        finally:
            queue.close()


# --- The request ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_logs_json_lines_carrying_its_request_id_and_echoes_it(json_logs):
    response = APIClient().get("/api/v1/public/articles/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"
    (finished,) = json_logs.where(event="request_finished")
    assert finished["request_id"] == "lb-7f3a9c2e-0001"
    assert finished["code"] == 200
    assert finished["request"] == "GET /api/v1/public/articles/"
    assert finished["level"] == "info"
    assert finished["logger"] == "django_structlog.middlewares.request"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", finished["timestamp"])
    assert "user_id" in finished and finished["user_id"] is None  # anonymous


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    [None, "", "x" * 129, "two words", "new\nline", '{"json": 1}', "ümlaut"],
    ids=["none", "empty", "too-long", "space", "newline", "json", "non-ascii"],
)
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(json_logs, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    response = APIClient().get("/api/v1/public/articles/", **headers)

    request_id = response["X-Request-ID"]
    assert UUID.fullmatch(request_id)
    assert {
        line["request_id"] for line in json_logs.where(logger="django_structlog.middlewares.request")
    } == {request_id}


@pytest.mark.django_db
def test_the_signed_in_users_id_is_on_the_requests_last_line(json_logs, editor):
    _, token = AuthToken.objects.create(editor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.get("/api/v1/articles/")

    assert response.status_code == 200
    (finished,) = json_logs.where(event="request_finished")
    assert finished["user_id"] == editor.pk
    assert finished["request_id"] == response["X-Request-ID"]


def test_a_task_line_keeps_its_text_and_its_extra_fields(json_logs):
    logging.getLogger("editorial.tasks").info(
        "task=%s seconds=%.3f %s",
        "send_review_reminders",
        0.412,
        "assigned=2 failed=0",
        extra={"task": "send_review_reminders", "counts": {"assigned": 2, "failed": 0}, "seconds": 0.412},
    )

    (line,) = json_logs.all
    assert line["event"] == "task=send_review_reminders seconds=0.412 assigned=2 failed=0"
    assert line["counts"] == {"assigned": 2, "failed": 0}
    assert (line["task"], line["seconds"], line["logger"], line["level"]) == (
        "send_review_reminders",
        0.412,
        "editorial.tasks",
        "info",
    )
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]


def test_the_json_formatter_writes_one_object_per_line_even_for_a_traceback(json_logs):
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logging.getLogger("editorial.reminders").exception("event=email_failed kind=%s", "assigned")

    text = json_logs.stream.getvalue()
    assert text.count("\n") == 1
    line = json.loads(text)
    assert line["event"] == "event=email_failed kind=assigned"
    assert "ValueError: bad\\nvalue" in text and "Traceback" in line["exception"]


def test_production_logs_json_and_make_run_readable_lines():
    assert settings.LOGGING["handlers"]["console"]["formatter"] == settings.LOG_FORMAT
    assert set(settings.LOGGING["formatters"]) == {"json", "console"}


# --- Into the task -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_with_the_requests_id(world, json_logs, worker_signals):
    submit(world.article)
    purge_default_queue()
    client = APIClient()
    client.force_login(world.editor)  # a session: the user is known from the request's start

    response = client.post(
        "/api/v1/articles/phesgo/assignments/",
        {"reviewer": world.members[0].pk},
        format="json",
        HTTP_X_REQUEST_ID="req-assign-42",
    )
    assert response.status_code == 201
    assert structlog.contextvars.get_contextvars() == {}  # the request's context is gone

    run_queued_task("editorial.tasks.deliver_notifications")

    (enqueued,) = json_logs.where(
        event="task_enqueued", child_task_name="editorial.tasks.deliver_notifications"
    )
    assert (enqueued["request_id"], enqueued["user_id"]) == ("req-assign-42", world.editor.pk)
    # The task hands the rendered email to the outbox's consumer, still under the request's id.
    (emails,) = json_logs.where(event="task_enqueued", child_task_name="editorial.tasks.send_emails")
    assert (emails["request_id"], emails["task_id"]) == ("req-assign-42", enqueued["child_task_id"])
    (task_line,) = [line for line in json_logs.all if line["event"].startswith("task=deliver_notifications ")]
    assert task_line["request_id"] == "req-assign-42"
    assert task_line["user_id"] == world.editor.pk
    assert task_line["task_id"] == enqueued["child_task_id"]
    assert task_line["counts"]["assigned"] == 1
    (started,) = json_logs.where(event="task_started")
    assert started["request_id"] == "req-assign-42"
    assert structlog.contextvars.get_contextvars() == {}  # the worker's next lines are not the task's


@requires_postgres
@requires_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_the_task_with_the_requests_id(world, tmp_path):
    submit(world.article)
    purge_default_queue()
    workers = Workers(tmp_path)
    request_id = f"req-{uuid.uuid4().hex[:12]}"

    with workers.running(pool="prefork", LOG_FORMAT="json"):
        response = APIClient()
        response.force_authenticate(world.editor)
        answer = response.post(
            "/api/v1/articles/phesgo/assignments/",
            {"reviewer": world.members[0].pk},
            format="json",
            HTTP_X_REQUEST_ID=request_id,
        )
        assert answer.status_code == 201

        def task_line():
            for raw in workers.log.splitlines():
                if raw.startswith("{") and '"task=deliver_notifications ' in raw:
                    return json.loads(raw)
            return None

        workers.wait_for(task_line, what="the worker's line for deliver_notifications")

    line = task_line()
    assert line["request_id"] == request_id
    assert line["logger"] == "editorial.tasks"
    assert line["counts"]["assigned"] == 1
    assert UUID.fullmatch(line["task_id"])
    purge_default_queue()
