"""The transactional outbox: side effects written with the change, published within a budget after
commit, relayed when the broker is down or hung; nothing lost, nothing published for a rollback."""

from __future__ import annotations

import os
import threading
import time

import pytest
import structlog
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from bench.brokers import DOWN_BROKER, hung_broker, publishing_to
from editorial import services
from editorial.outbox import publisher
from editorial.outbox.models import OutboxMessage
from editorial.outbox.selectors import backlog
from editorial.outbox.services import held_back, relay
from tests.editorial.conftest import submit
from tests.helpers import client_for, run_at_once
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db


class Published(list):
    """The (topic, payload) pairs published, and the log context each went with."""

    def __init__(self) -> None:
        super().__init__()
        self.contexts: list[dict | None] = []


@pytest.fixture
def sent(monkeypatch):
    """Stands in for a healthy broker: records what is published."""
    messages = Published()
    contexts = messages.contexts
    lock = threading.Lock()

    def send(topic, payload, log_context=None):
        with lock:
            messages.append((topic, payload))
            contexts.append(log_context)

    monkeypatch.setattr(publisher, "send", send)
    return messages


def long_ago(**fields):
    """Make every pending message old enough for the relay."""
    OutboxMessage.objects.update(created_at=timezone.now() - timezone.timedelta(minutes=5), **fields)


def assign_through_the_api(world, member_index=0):
    return client_for(world.editor).post(
        "/api/v1/articles/phesgo/assignments/", {"reviewer": world.members[member_index].pk}, format="json"
    )


class TestWrittenWithTheChange:
    def test_a_step_owes_its_notification_in_its_own_transaction(self, world, sent):
        submit(world.article)
        with transaction.atomic():
            assignment = services.assign(
                actor=world.editor, article=world.article, reviewer=world.members[0], reason="Best placed"
            )
            (message,) = OutboxMessage.objects.all()  # written before the commit, with the change
            assert (message.topic, message.payload) == (
                "notifications.deliver",
                {"assignment_ids": [assignment.pk]},
            )

    def test_a_rolled_back_change_owes_nothing_and_publishes_nothing(
        self, world, sent, django_capture_on_commit_callbacks
    ):
        submit(world.article)
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    services.assign(
                        actor=world.editor, article=world.article, reviewer=world.members[0], reason="Best"
                    )
                    raise RuntimeError("the request failed after the step")
            except RuntimeError:
                pass
        assert (OutboxMessage.objects.count(), sent) == (0, [])

    def test_once_committed_it_is_published_and_marked(self, world, sent, django_capture_on_commit_callbacks):
        submit(world.article)
        with django_capture_on_commit_callbacks(execute=True):
            response = assign_through_the_api(world)

        assert response.status_code == 201
        assert sent == [("notifications.deliver", {"assignment_ids": [response.json()["id"]]})]
        assert OutboxMessage.objects.get().published_at is not None
        assert backlog().pending == 0


class TestTheBrokerDownOrHung:
    """Seen: with a broker that accepts TCP and never answers, POST assignments returned 500
    after 30 s although the change was committed."""

    def test_down_the_write_answers_at_once_and_the_message_waits(
        self, world, django_capture_on_commit_callbacks
    ):
        submit(world.article)
        with publishing_to(DOWN_BROKER):
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                response = assign_through_the_api(world)
            elapsed = time.monotonic() - started

        assert response.status_code == 201
        assert elapsed < 2, f"the write took {elapsed:.2f} s"
        assert OutboxMessage.objects.get().published_at is None

    def test_hung_the_write_answers_within_the_budget_and_nothing_is_lost(
        self, world, sent, settings, django_capture_on_commit_callbacks
    ):
        settings.OUTBOX_PUBLISH_BUDGET_MS = 200
        submit(world.article)
        with hung_broker() as url, publishing_to(url, socket_timeout=1):
            # The real send, to the hung server, for these two writes.
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(publisher, "send", _real_send)
                timings = []
                for index in range(2):
                    # In production the publication runs as the request's transaction commits;
                    # here, when the block ends: time both.
                    started = time.monotonic()
                    with django_capture_on_commit_callbacks(execute=True):
                        response = assign_through_the_api(world, member_index=index)
                    timings.append(time.monotonic() - started)
                    assert response.status_code == 201
            # The send stuck on the hung broker ends with the socket timeout (redis-py retries it).
            assert publisher.inline.wait_until_idle(timeout=15)

        # The first write waited the budget, then left its message to the relay; the second did
        # not wait at all (the publisher pauses after an overrun).
        assert 0.2 <= timings[0] < 1.5, timings
        assert timings[1] < 0.2, timings
        assert backlog().pending == 2

        # The broker is back: the relay publishes both, once each.
        long_ago()
        result = relay()
        assert (result.published, result.failed, result.remaining) == (2, 0, 0)
        # At least once each (a consumer of the outbox is idempotent).
        assert {payload["assignment_ids"][0] for _, payload in sent} == set(
            OutboxMessage.objects.values_list("payload__assignment_ids__0", flat=True)
        )


def _real_send(topic, payload):
    from celery import current_app

    current_app.send_task(publisher.TASKS[topic], kwargs=payload, retry=False)


class TestTheRelay:
    def test_publishes_what_is_pending_oldest_first_and_leaves_the_young_to_their_request(self, world, sent):
        submit(world.article)
        for index in range(3):
            services.assign(
                actor=world.editor, article=world.article, reviewer=world.members[index], reason="R"
            )
        OutboxMessage.objects.exclude(pk=OutboxMessage.objects.order_by("-pk").first().pk).update(
            created_at=timezone.now() - timezone.timedelta(minutes=5)
        )

        result = relay()

        assert (result.published, result.remaining) == (2, 1)
        assert len(sent) == 2

    def test_a_refusal_is_recorded_and_the_run_stops(self, world, monkeypatch):
        submit(world.article)
        services.assign(actor=world.editor, article=world.article, reviewer=world.members[0], reason="R")
        services.assign(actor=world.editor, article=world.article, reviewer=world.members[1], reason="R")
        long_ago()

        def send(topic, payload, log_context=None):
            raise BrokerError("Connection refused")

        monkeypatch.setattr(publisher, "send", send)
        result = relay()

        assert (result.published, result.failed, result.remaining) == (0, 1, 2)
        first = OutboxMessage.objects.order_by("pk").first()
        assert (first.attempts, "Connection refused" in first.last_error) == (1, True)

    def test_messages_published_long_ago_are_deleted(self, world, sent, settings):
        settings.OUTBOX_RETENTION_DAYS = 7
        submit(world.article)
        services.assign(actor=world.editor, article=world.article, reviewer=world.members[0], reason="R")
        long_ago(published_at=timezone.now() - timezone.timedelta(days=8))
        assert relay().purged == 1
        assert OutboxMessage.objects.count() == 0

    def test_the_command_drains_it_and_exits_non_zero_when_the_broker_refuses(
        self, world, sent, monkeypatch, capsys
    ):
        submit(world.article)
        services.assign(actor=world.editor, article=world.article, reviewer=world.members[0], reason="R")
        long_ago()
        call_command("relay_outbox")
        assert "published 1, failed 0, still pending 0" in capsys.readouterr().out

        services.assign(actor=world.editor, article=world.article, reviewer=world.members[1], reason="R")
        long_ago()
        monkeypatch.setattr(
            publisher,
            "send",
            lambda topic, payload, log_context=None: (_ for _ in ()).throw(BrokerError("down")),
        )
        with pytest.raises(CommandError) as refused:
            call_command("relay_outbox")
        assert refused.value.returncode == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_publish_each_message_once(world, sent):
    submit(world.article)
    with held_back():  # left pending, as if the broker had been down
        for index in range(3):
            services.assign(
                actor=world.editor, article=world.article, reviewer=world.members[index], reason="R"
            )
    long_ago()

    results = run_at_once(relay, relay)

    assert not any(isinstance(result, BaseException) for result in results), results
    assert sum(result.published for result in results) == 3
    assert len(sent) == 3
    assert backlog().pending == 0


def test_a_message_the_relay_publishes_carries_the_request_id_of_the_change(world, sent):
    submit(world.article)
    with structlog.contextvars.bound_contextvars(request_id="req-7f3a", user_id=world.editor.pk), held_back():
        services.assign(actor=world.editor, article=world.article, reviewer=world.members[0], reason="R")
    long_ago()

    relay()

    assert OutboxMessage.objects.get().log_context == {"request_id": "req-7f3a", "user_id": world.editor.pk}
    assert sent.contexts == [{"request_id": "req-7f3a", "user_id": world.editor.pk}]


def test_the_request_id_goes_into_the_published_task_headers(world):
    headers = []

    def record(headers_=None, **kwargs):
        headers.append(kwargs.get("headers") or headers_)

    from celery.signals import before_task_publish

    before_task_publish.connect(record, weak=False)
    try:
        with publishing_to("memory://"):
            publisher.send(
                "notifications.deliver", {"assignment_ids": [1]}, {"request_id": "req-42", "user_id": 3}
            )
    finally:
        before_task_publish.disconnect(record)
    assert headers and headers[-1]["__django_structlog__"]["request_id"] == "req-42"


def test_a_process_forked_after_a_send_sends_at_once(sent):
    """gunicorn --preload and Celery's prefork pool fork processes that may inherit a publisher
    that has sent: the child must not wait for a thread the fork left behind."""
    assert publisher.inline.publish([(1, publisher.SEND_EMAILS, {"emails": []})]) == [1]

    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if its send went out within the budget
        os._exit(0 if publisher.inline.publish([(2, publisher.SEND_EMAILS, {"emails": []})]) == [2] else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
