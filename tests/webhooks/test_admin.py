"""The webhooks in the admin: editors-in-chief only; the secret shown once; redelivery."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from editorial.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from editorial.webhooks.services import endpoints, events
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = reverse("admin:editorial_webhooks_webhookendpoint_changelist")
ADD = reverse("admin:editorial_webhooks_webhookendpoint_add")
DELIVERIES = reverse("admin:editorial_webhooks_webhookdelivery_changelist")
LOGIN = reverse("admin:login")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def hook(chief):
    return endpoints.endpoint_create(
        actor=chief, url="https://site.example/hooks", event_types=["article.retired"]
    )


@pytest.fixture
def failed(hook):
    (event,) = events.record_transition(article=ArticleFactory(), transition="retire")
    delivery = WebhookDelivery.objects.get(event=event)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=10)
    return delivery


def _pages(hook, failed):
    return [
        ENDPOINTS,
        ADD,
        reverse("admin:editorial_webhooks_webhookendpoint_change", args=[hook.pk]),
        DELIVERIES,
        reverse("admin:editorial_webhooks_webhookdelivery_change", args=[failed.pk]),
    ]


@pytest.mark.parametrize("who", ["board_member", "editor", "anonymous"])
def test_only_editors_in_chief_open_the_webhook_pages(hook, failed, who):
    client = {
        "board_member": lambda: signed_in(BoardMemberFactory().user),
        "editor": lambda: signed_in(EditorFactory()),
        "anonymous": Client,
    }[who]()
    for url in _pages(hook, failed):
        response = client.get(url)
        if who == "board_member":
            assert response.status_code in (403, 404), url
        else:  # not admin users: sent to sign in
            assert response.status_code == 302, url
            assert response["Location"].startswith(LOGIN), url
    if who == "board_member":
        index = client.get(reverse("admin:index")).content.decode()
        assert "Webhook endpoints" not in index
        response = client.post(DELIVERIES, {"action": "redeliver", "_selected_action": [failed.pk]})
        assert response.status_code == 403
        assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_chief_opens_every_page(hook, failed, chief):
    client = signed_in(chief)
    for url in _pages(hook, failed):
        assert client.get(url).status_code == 200, url


def test_a_chief_adds_an_endpoint_and_sees_its_secret_once(chief):
    client = signed_in(chief)

    response = client.post(
        ADD,
        {
            "url": "https://site.example/new",
            "event_types": ["article.approved", "review.decided"],
            "is_active": "on",
        },
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["article.approved", "review.decided"]
    assert endpoint.created_by == chief
    assert any(endpoint.secret in message for message in messages_of(response))
    change = client.get(reverse("admin:editorial_webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change.content.decode()
    assert endpoint.secret not in client.get(ENDPOINTS).content.decode()
    assert endpoint.masked_secret in client.get(ENDPOINTS).content.decode()


def test_a_private_address_is_refused_in_the_form(chief):
    response = signed_in(chief).post(
        ADD, {"url": "http://192.168.1.10/hooks", "event_types": ["article.approved"]}
    )

    assert response.status_code == 200
    assert "non-public address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_from_the_admin_shows_the_new_secret_once(hook, chief):
    old = hook.secret

    response = signed_in(chief).post(
        ENDPOINTS, {"action": "rotate_secret", "_selected_action": [hook.pk]}, follow=True
    )

    hook.refresh_from_db()
    assert hook.secret != old and hook.previous_secret == old
    assert any(hook.secret in message for message in messages_of(response))


def test_a_chief_redelivers_a_failed_delivery(failed, chief):
    response = signed_in(chief).post(
        DELIVERIES, {"action": "redeliver", "_selected_action": [failed.pk]}, follow=True
    )

    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.failures == 0
    assert "1 deliveries queued to be sent again now." in messages_of(response)
