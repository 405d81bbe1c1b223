"""The webhook tasks as the outbox and beat call them: nothing is lost to an outage."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from editorial.outbox.models import OutboxMessage
from editorial.outbox.publisher import TASKS
from editorial.webhooks import tasks
from editorial.webhooks.models import DeliveryStatus, WebhookDelivery
from editorial.webhooks.services import endpoints, events
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def retire_something():
    (event,) = events.record_transition(article=ArticleFactory(), transition="retire")
    return event


def test_the_outbox_message_names_the_task_that_delivers_those_events_only(receiver, endpoint):
    first, second = retire_something(), retire_something()
    message = OutboxMessage.objects.filter(topic="webhooks.deliver").order_by("pk").first()

    assert TASKS[message.topic] == "editorial.webhooks.tasks.deliver_webhooks"
    assert message.payload == {"event_ids": [first.pk]}
    counts = tasks.deliver_webhooks(**message.payload)

    assert counts == {"attempted": 1, "delivered": 1, "retrying": 0, "failed": 0}
    assert receiver.accepted_ids == [first.webhook_id]
    assert WebhookDelivery.objects.get(event=second).status == DeliveryStatus.PENDING


def test_an_outage_of_the_broker_and_the_receiver_loses_nothing(receiver, endpoint, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    # The broker is down: no outbox message reaches a worker; the receiver is down too.
    receiver.status_after_failures = 503
    recorded = [retire_something() for _ in range(3)]
    assert tasks.deliver_due_webhooks()["retrying"] == 3
    # An hour later both are back; the beat sweep delivers what is due.
    receiver.status_after_failures = 200
    time_machine.shift(datetime.timedelta(hours=1))

    counts = tasks.deliver_due_webhooks()

    assert counts == {"attempted": 3, "delivered": 3, "retrying": 0, "failed": 0}
    assert receiver.accepted_ids == [event.webhook_id for event in recorded]  # in the order recorded
    assert tasks.deliver_due_webhooks()["attempted"] == 0


def test_an_endpoint_not_subscribed_to_the_type_gets_no_delivery(receiver, chief):
    endpoints.endpoint_create(actor=chief, url=receiver.url, event_types=["article.approved"])

    retire_something()

    assert not WebhookDelivery.objects.exists()
    assert not OutboxMessage.objects.filter(topic="webhooks.deliver").exists()
