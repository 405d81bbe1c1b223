"""Two workers draining at once deliver each event once (row claims with SKIP LOCKED)."""

from __future__ import annotations

import pytest

from editorial.webhooks.models import WebhookAttempt, WebhookDelivery
from editorial.webhooks.services import delivery, events
from tests.factories import ArticleFactory
from tests.helpers import run_at_once
from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_draining_at_once_deliver_each_event_once(receiver, endpoint, monkeypatch):
    monkeypatch.setattr(delivery, "CLAIM_BATCH", 3)
    recorded = [
        event
        for article in [ArticleFactory() for _ in range(12)]
        for event in events.record_transition(article=article, transition="retire")
    ]

    first, second = run_at_once(delivery.deliver_due, delivery.deliver_due)

    assert first.attempted + second.attempted == len(recorded)
    assert first.attempted and second.attempted  # both took a share
    assert sorted(receiver.accepted_ids) == sorted(event.webhook_id for event in recorded)
    assert set(receiver.tries.values()) == {1}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
    assert WebhookAttempt.objects.count() == len(recorded)
