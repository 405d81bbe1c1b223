"""A full review story as the site's receiver sees it: every event, signed, exactly once by
webhook-id, though the receiver fails the first two attempts of each."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from articles.models import RiskLevel
from editorial import services, staleness
from editorial.outbox.models import OutboxMessage
from editorial.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from editorial.webhooks.services import delivery
from tests.editorial.conftest import approve, assign, new_version, submit
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db


def drain(time_machine, rounds=4, step=datetime.timedelta(minutes=2)):
    """Run the delivery sweep, moving time on past each retry's delay."""
    for _ in range(rounds):
        delivery.deliver_due()
        time_machine.shift(step)


def test_a_full_review_story_reaches_the_site_once_per_event_despite_two_failures(
    receiver, endpoint, chief, oncology, time_machine
):
    time_machine.move_to(timezone.now(), tick=True)
    receiver.fail_first = 2
    members = [BoardMemberFactory(specialties=[oncology]) for _ in range(3)]
    article = ArticleFactory(slug="phesgo", specialty=oncology, risk_level=RiskLevel.HIGH)

    # Changes requested on the first version, two approvals of the second.
    submit(article)
    first = assign(article, members[0])
    services.decide(
        actor=members[0].user, assignment=first, decision="request_changes", comment="Cite the trial."
    )
    new_version(article)
    submit(article)
    approve(assign(article, members[1]))
    approve(assign(article, members[2]))
    # A year on, the approval expires and goes back for a re-review; the chief retires the
    # article, then restores it (back as expired, its text straight to a re-review again).
    time_machine.shift(datetime.timedelta(days=400))
    staleness.mark_stale_articles()
    services.retire(actor=chief, article=article, reason="Guidance withdrawn")
    services.restore(actor=chief, article=article, reason="Guidance reinstated")

    recorded = list(WebhookEvent.objects.order_by("pk"))
    assert [event.type for event in recorded] == [
        "review.decided",
        "review.decided",
        "review.decided",
        "article.approved",
        "version.published",
        "article.expired",
        "article.re_review_opened",
        "article.retired",
        "article.restored",
        "article.re_review_opened",
    ]
    # Each change asked for its delivery through the outbox, in its transaction.
    assert OutboxMessage.objects.filter(topic="webhooks.deliver").count() == 9

    drain(time_machine)

    assert sorted(receiver.accepted_ids) == sorted(event.webhook_id for event in recorded)
    assert len(set(receiver.accepted_ids)) == len(recorded)
    assert all(receiver.tries[event.webhook_id] == 3 for event in recorded)
    assert all(request["verified"] for request in receiver.requests)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    # The log: two failures then a success per event, with the receiver's answer.
    log = WebhookAttempt.objects.filter(delivery__event=recorded[0]).order_by("number")
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert log[0].response_excerpt == '{"status": 500}'

    by_type = {event["type"]: event for event in receiver.accepted}
    approved = by_type["article.approved"]["data"]
    assert approved["article"]["slug"] == "phesgo"
    assert approved["article"]["url"].endswith("/api/v1/public/articles/phesgo/")
    assert approved["version"] == {"number": 2, "content_hash": article.versions.get(number=2).content_hash}
    decided = [event for event in receiver.accepted if event["type"] == "review.decided"]
    assert decided[0]["data"]["review"] == {
        "decision": "request_changes",
        "reviewer": members[0].display_name,
        "decided_at": decided[0]["data"]["review"]["decided_at"],
    }
    assert "@" not in str(receiver.accepted)  # no email addresses


def test_a_rolled_back_change_leaves_no_event_and_sends_nothing(receiver, endpoint, chief, editor):
    article = ArticleFactory(actor=editor)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.retire(actor=chief, article=article, reason="Withdrawn")
        assert WebhookEvent.objects.count() == 1
        raise RuntimeError("the request failed after the change")

    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert not OutboxMessage.objects.filter(topic="webhooks.deliver").exists()
    delivery.deliver_due()
    assert receiver.requests == []
