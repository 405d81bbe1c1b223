"""The deliveries of an article's events, as the review dossier lists them."""

from __future__ import annotations

import pytest

from editorial.webhooks import selectors
from editorial.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import ArticleFactory, ChiefFactory

pytestmark = pytest.mark.django_db


def _event(article, version=None, type="article.approved"):
    return WebhookEvent.objects.create(type=type, payload={}, article=article, version=version)


def _endpoints(count):
    chief = ChiefFactory()
    return [
        WebhookEndpoint.objects.create(
            url=f"https://site-{n}.example/hooks", event_types=["article.approved"], created_by=chief
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("events", [1, 20])
def test_deliveries_for_article_in_the_order_recorded_in_one_query(events, django_assert_max_num_queries):
    article, other = ArticleFactory(), ArticleFactory()
    endpoints = _endpoints(2)
    recorded = [_event(article, article.current_version) for _ in range(events)]
    _event(other)
    for event in recorded:
        for endpoint in reversed(endpoints):
            WebhookDelivery.objects.create(event=event, endpoint=endpoint)
    WebhookDelivery.objects.filter(event=recorded[0], endpoint=endpoints[0]).update(
        status=DeliveryStatus.DELIVERED, attempts=3
    )

    with django_assert_max_num_queries(1):
        rows = [
            (d.event.type, d.event.webhook_id, d.endpoint.url, d.status, d.attempts, d.delivered_at)
            for d in selectors.deliveries_for_article(article)
        ]

    assert len(rows) == 2 * events
    assert [row[1] for row in rows[::2]] == [event.webhook_id for event in recorded]
    assert rows[0] == (
        "article.approved",
        recorded[0].webhook_id,
        "https://site-0.example/hooks",
        "delivered",
        3,
        None,
    )
    assert rows[1][2] == "https://site-1.example/hooks"


def test_deliveries_for_one_version_leave_the_others_out():
    article = ArticleFactory()
    (endpoint,) = _endpoints(1)
    first = _event(article, article.current_version)
    _event_without_version = _event(article)
    for event in (first, _event_without_version):
        WebhookDelivery.objects.create(event=event, endpoint=endpoint)

    deliveries = selectors.deliveries_for_article(article, version=article.current_version)

    assert [delivery.event for delivery in deliveries] == [first]
