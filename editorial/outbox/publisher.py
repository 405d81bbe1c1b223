"""Handing outbox messages to the broker, from a request (within a time budget) or from the relay.

A message names a topic; each topic is one Celery task, sent by name (so that nothing here imports
the task modules) with the message's payload as keyword arguments.

From a request, the send runs on one background thread per process and the request waits for it
at most ``OUTBOX_PUBLISH_BUDGET_MS``. A broker that is down fails fast; one that accepts the
connection and never answers would hold the send until the broker's socket timeout, so after a
send that overran its budget or failed, requests stop trying for ``OUTBOX_BREAKER_SECONDS`` and
leave their messages to the relay: a hung broker costs at most one budget per process per period,
never a hung request.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import structlog
from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

DELIVER_NOTIFICATIONS = "notifications.deliver"
SEND_EMAILS = "emails.send"
ALERT_STUCK_ROUNDS = "staffing.alert"
DELIVER_WEBHOOKS = "webhooks.deliver"
ALERT_FAILED_WEBHOOKS = "webhooks.alert_failed"

TASKS = {
    DELIVER_NOTIFICATIONS: "editorial.tasks.deliver_notifications",
    SEND_EMAILS: "editorial.tasks.send_emails",
    ALERT_STUCK_ROUNDS: "editorial.tasks.alert_stuck_rounds",
    DELIVER_WEBHOOKS: "editorial.webhooks.tasks.deliver_webhooks",
    ALERT_FAILED_WEBHOOKS: "editorial.webhooks.tasks.alert_failed_webhooks",
}


def send(topic: str, payload: dict[str, Any], log_context: dict[str, Any] | None = None) -> None:
    """Publish one message to the broker; raises when the broker refuses or cannot be reached.
    ``log_context`` (the request id of the change that owed it) goes into the task's headers, so
    that the task logs under the request's id even when the relay publishes it later."""
    with structlog.contextvars.bound_contextvars(**(log_context or {})):
        current_app.send_task(TASKS[topic], kwargs=payload, retry=False)


class _InlinePublisher:
    def __init__(self) -> None:
        self._start()
        # A process forked after a send (gunicorn --preload, Celery's prefork pool, mutmut's
        # workers) inherits an executor whose thread did not survive the fork: every send would
        # wait out its budget. The child starts its own.
        os.register_at_fork(after_in_child=self._start)

    def _start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-publisher")
        self._lock = threading.Lock()
        self._paused_until = 0.0

    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait for the send in progress (if any) to end; whether it did within ``timeout``."""
        try:
            self._executor.submit(lambda: None).result(timeout=timeout)
        except FutureTimeout:
            return False
        return True

    def resume(self) -> None:
        """Try again from the next request (tests; an operator's shell after fixing the broker)."""
        with self._lock:
            self._paused_until = 0.0

    def _pause(self) -> None:
        with self._lock:
            self._paused_until = time.monotonic() + settings.OUTBOX_BREAKER_SECONDS

    def publish(self, messages: Sequence[tuple[int, str, dict[str, Any]]]) -> list[int]:
        """Send ``(id, topic, payload)`` messages within the budget; returns the ids sent. Never
        raises: what is not sent stays pending for the relay."""
        if not messages or self.paused():
            return []
        budget = settings.OUTBOX_PUBLISH_BUDGET_MS / 1000
        # The logging context (the request id) goes with the send, into the task's headers.
        context = contextvars.copy_context()
        future = self._executor.submit(context.run, _send_all, messages)
        try:
            return future.result(timeout=budget)
        except FutureTimeout:
            self._pause()
            logger.warning(
                "event=outbox_publish_over_budget budget_ms=%d messages=%s; the relay publishes them",
                settings.OUTBOX_PUBLISH_BUDGET_MS,
                ",".join(str(pk) for pk, _, _ in messages),
            )
        except Exception as error:  # noqa: BLE001 - whatever the broker raised, the request carries on
            self._pause()
            logger.warning(
                "event=outbox_publish_failed messages=%s error=%r; the relay publishes them",
                ",".join(str(pk) for pk, _, _ in messages),
                error,
            )
        return []


def _send_all(messages: Iterable[tuple[int, str, dict[str, Any]]]) -> list[int]:
    sent = []
    for pk, topic, payload in messages:
        send(topic, payload)
        sent.append(pk)
    return sent


inline = _InlinePublisher()
