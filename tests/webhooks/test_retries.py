"""Retries for about a day, then failed: shown on the chiefs' desk and emailed to them once a day.
What an attempt refuses to do: follow a redirect, wait past its timeout, reach a private address."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial.outbox.models import OutboxMessage
from editorial.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from editorial.webhooks.services import alerts, delivery, endpoints, events, transport
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

SCHEDULE = [5, 60, 300, 1800, 3600, 7200, 14400, 28800, 28800]


def retire_something():
    (event,) = events.record_transition(article=ArticleFactory(), transition="retire")
    return WebhookDelivery.objects.get(event=event)


def test_the_default_schedule_backs_off_exponentially_with_jitter_for_about_a_day(settings):
    assert settings.WEBHOOK_RETRY_SCHEDULE_SECONDS == SCHEDULE
    for failures, seconds in enumerate(SCHEDULE, start=1):
        delays = {delivery.retry_delay(failures).total_seconds() for _ in range(20)}
        assert all(0.75 * seconds <= delay <= seconds for delay in delays)
        assert len(delays) > 1  # jittered
    assert delivery.retry_delay(len(SCHEDULE) + 1) is None
    assert 20 * 3600 < sum(SCHEDULE) < 24 * 3600


def test_a_receiver_down_for_a_day_fails_the_delivery_and_the_chiefs_see_it(
    receiver, endpoint, chief, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    receiver.fail_first = 1000
    owed = retire_something()
    started = timezone.now()

    waits = []
    while WebhookDelivery.objects.get(pk=owed.pk).status == DeliveryStatus.PENDING:
        delivery.deliver_due()
        owed.refresh_from_db()
        if owed.status == DeliveryStatus.PENDING:
            waits.append((owed.next_attempt_at - timezone.now()).total_seconds())
            # Nothing is sent before the retry is due.
            time_machine.move_to(owed.next_attempt_at - datetime.timedelta(seconds=1))
            assert delivery.deliver_due().attempted == 0
            time_machine.move_to(owed.next_attempt_at)

    assert owed.status == DeliveryStatus.FAILED
    assert owed.attempts == receiver.tries[owed.event.webhook_id] == len(SCHEDULE) + 1
    assert all(0.75 * s <= wait <= s for wait, s in zip(waits, SCHEDULE, strict=True))
    assert datetime.timedelta(hours=15) < timezone.now() - started < datetime.timedelta(hours=24)
    assert WebhookAttempt.objects.filter(delivery=owed, succeeded=False).count() == len(SCHEDULE) + 1
    # No further attempt once failed.
    time_machine.shift(datetime.timedelta(days=2))
    assert delivery.deliver_due().attempted == 0
    assert OutboxMessage.objects.filter(topic="webhooks.alert_failed").count() == 1

    desk = Client()
    desk.force_login(chief)
    page = desk.get(reverse("admin:editorial_desk")).content.decode()
    assert "Webhooks failing" in page
    assert "1 delivery to 1 endpoint failed after a day of retries" in page
    assert reverse("admin:editorial_webhooks_webhookdelivery_changelist") + "?status__exact=failed" in page


def test_the_desk_says_when_nothing_fails(chief):
    desk = Client()
    desk.force_login(chief)

    page = desk.get(reverse("admin:editorial_desk")).content.decode()

    assert "Every webhook delivery has gone through or is still being retried." in page


def test_the_chiefs_are_emailed_once_per_failed_endpoint_per_day(endpoint, chief, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    owed = retire_something()
    WebhookDelivery.objects.filter(pk=owed.pk).update(status=DeliveryStatus.FAILED)

    assert alerts.send_failure_alerts(endpoint_ids=[endpoint.pk]) == 1
    assert alerts.send_failure_alerts(endpoint_ids=[endpoint.pk]) == 0
    time_machine.shift(datetime.timedelta(days=1))
    assert alerts.send_failure_alerts(endpoint_ids=[endpoint.pk]) == 1

    assert len(mail.outbox) == 2
    assert mail.outbox[0].to == [chief.email]
    assert mail.outbox[0].subject == f"Webhooks failing: {endpoint.url}"
    assert "1 webhook deliveries" in mail.outbox[0].body


def test_a_redirect_is_not_followed(receiver, endpoint):
    receiver.status_after_failures = 302
    owed = retire_something()

    delivery.deliver_due()

    attempt = WebhookAttempt.objects.get(delivery=owed)
    assert attempt.status_code == 302 and not attempt.succeeded
    assert "not followed" in attempt.error
    assert WebhookDelivery.objects.get(pk=owed.pk).status == DeliveryStatus.PENDING


def test_an_answer_slower_than_the_read_timeout_is_a_failed_attempt(receiver, endpoint, settings):
    settings.WEBHOOK_READ_TIMEOUT_SECONDS = 1
    receiver.delay_seconds = 2
    owed = retire_something()

    delivery.deliver_due()

    attempt = WebhookAttempt.objects.get(delivery=owed)
    assert attempt.status_code is None and not attempt.succeeded
    assert "timed out" in attempt.error
    assert 900 <= attempt.latency_ms < 2000


def test_a_private_address_is_refused_at_delivery_unless_allowed(receiver, endpoint, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    owed = retire_something()

    delivery.deliver_due()

    attempt = WebhookAttempt.objects.get(delivery=owed)
    assert "non-public address" in attempt.error
    assert receiver.requests == []


def test_an_endpoint_deleted_during_an_attempt_drops_it_without_an_error(endpoint, chief, monkeypatch):
    retire_something()

    def post_while_the_endpoint_is_deleted(url, body, headers):
        endpoints.endpoint_delete(actor=chief, endpoint=endpoint)
        return transport.Outcome(status_code=200, latency_ms=3)

    monkeypatch.setattr(transport, "post", post_while_the_endpoint_is_deleted)

    run = delivery.deliver_due()

    assert run.attempted == 1 and run.delivered == 0
    assert not WebhookAttempt.objects.exists()
