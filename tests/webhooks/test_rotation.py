"""Secret rotation: both secrets sign during the overlap, only the new one after it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from editorial.webhooks.models import WebhookDelivery
from editorial.webhooks.services import delivery, endpoints, events
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def deliver_one():
    (event,) = events.record_transition(article=ArticleFactory(), transition="retire")
    delivery.deliver_due()
    return WebhookDelivery.objects.get(event=event)


def test_during_the_overlap_both_secrets_verify_and_after_it_only_the_new_one(
    receiver, endpoint, chief, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    old = endpoint.secret
    new = endpoints.secret_rotate(actor=chief, endpoint=endpoint).secret
    receiver.secrets[:] = [new]

    deliver_one()
    during = receiver.requests[-1]

    assert len(during["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during["body"], during["headers"])  # a receiver not yet switched
    Webhook(new).verify(during["body"], during["headers"])  # a receiver already switched

    time_machine.shift(datetime.timedelta(hours=24, seconds=1))
    deliver_one()
    after = receiver.requests[-1]

    assert len(after["headers"]["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after["body"], after["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after["body"], after["headers"])
    assert all(request["verified"] for request in receiver.requests)


def test_a_receiver_with_a_wrong_secret_refuses_and_the_delivery_is_retried(receiver, endpoint):
    receiver.secrets[:] = ["whsec_" + "A" * 44]

    owed = deliver_one()

    assert receiver.requests[-1]["verified"] is False
    assert owed.status == "pending" and owed.failures == 1
    assert owed.log.get().status_code == 401


def test_the_headers_follow_the_standard(receiver, endpoint):
    owed = deliver_one()

    headers = receiver.requests[-1]["headers"]
    assert headers["webhook-id"] == owed.event.webhook_id
    assert headers["webhook-id"].startswith("msg_")
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
