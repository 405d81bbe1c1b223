from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app
from tests.markers import requires_redis

BASE_DIR = Path(settings.BASE_DIR)


def test_the_app_takes_its_configuration_from_django_settings():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_a_message_goes_through_the_configured_broker_and_back():
    queue_name = f"test-roundtrip-{uuid.uuid4().hex}"
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            queue.put({"hello": "board"}, serializer="json")
            message = queue.get(timeout=10)
            message.ack()
            assert message.payload == {"hello": "board"}
        finally:
            queue.queue.delete()
            queue.close()


@requires_redis
def test_the_broker_is_the_real_redis_server():
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        assert connection.transport_cls == "redis"
        assert connection.default_channel.client.ping() is True


def _start_worker(broker_url: str, var_dir: Path) -> subprocess.Popen[str]:
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "CELERY_BROKER_URL": broker_url,
        "VAR_DIR": str(var_dir),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--queues",
            f"test-worker-{uuid.uuid4().hex}",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until_ready(process: subprocess.Popen[str], timeout: float = 60) -> str:
    output = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if " ready." in line:
            return "".join(output)
    raise AssertionError("The worker did not report ready:\n" + "".join(output))


@pytest.mark.parametrize(
    "broker",
    [
        "filesystem://",
        pytest.param(
            settings.CELERY_BROKER_URL,
            marks=requires_redis,
            id="redis",
        ),
    ],
)
def test_a_worker_starts_on_the_broker(broker, tmp_path):
    worker = _start_worker("" if broker == "filesystem://" else broker, tmp_path)
    try:
        log = _wait_until_ready(worker)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    expected = "filesystem://" if broker == "filesystem://" else "redis://"
    assert expected in log
    assert "No hostname was supplied" not in log
