"""The Celery application: configured from Django settings (the ``CELERY_`` names), tasks found
in each app's ``tasks.py``.

Start a worker with ``celery -A config worker`` and the scheduler with ``celery -A config beat``.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

import structlog
from celery import Celery, Task
from celery.signals import setup_logging, task_postrun
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("editorial_review")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each task runs with the request id (and user id) of the request that queued it, which
# django-structlog sends along in the message's headers, and a task_id of its own.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _log_as_the_web_processes_do(**kwargs: Any) -> None:
    """Worker and beat log through settings.LOGGING (JSON lines, or LOG_FORMAT=console) instead
    of Celery's own format, which would drop the request id."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_postrun.connect
def _forget_the_tasks_log_context(task: Task | None = None, **kwargs: Any) -> None:
    """django-structlog binds a task's context when it starts and never unbinds it: without this,
    the worker's next lines (the next message received, in a solo pool) would name the finished
    task's request. A task run eagerly, inside a request, leaves the request's context alone."""
    if task is not None and not task.request.is_eager:
        structlog.contextvars.clear_contextvars()
