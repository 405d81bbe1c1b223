"""The webhooks' API: editors-in-chief only, strict input, the secret shown once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from editorial.outbox.models import OutboxMessage
from editorial.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from editorial.webhooks.services import endpoints, events
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints/"
VALID = {"url": "https://site.example/hooks", "event_types": ["article.approved", "version.published"]}


@pytest.fixture
def hook(chief):
    return endpoints.endpoint_create(
        actor=chief, url="https://site.example/hooks", event_types=["article.retired"]
    )


def _delivery(hook, chief, status=DeliveryStatus.DELIVERED):
    article = ArticleFactory()
    (event,) = events.record_transition(article=article, transition="retire")
    delivery = WebhookDelivery.objects.get(event=event, endpoint=hook)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, attempts=1)
    WebhookAttempt.objects.create(
        delivery=delivery,
        endpoint=hook,
        number=1,
        status_code=200,
        latency_ms=12,
        response_excerpt="ok",
        succeeded=True,
    )
    return delivery


def _operations(hook, delivery):
    return [
        ("get", ENDPOINTS, None),
        ("post", ENDPOINTS, VALID),
        ("get", f"{ENDPOINTS}{hook.pk}/", None),
        ("patch", f"{ENDPOINTS}{hook.pk}/", {"description": "Main site"}),
        ("post", f"{ENDPOINTS}{hook.pk}/rotate-secret/", None),
        ("get", f"{ENDPOINTS}{hook.pk}/deliveries/", None),
        ("post", f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/", None),
        ("delete", f"{ENDPOINTS}{hook.pk}/", None),
    ]


@pytest.mark.parametrize(("role", "expected"), [("anonymous", 401), ("editor", 403), ("board_member", 403)])
def test_every_operation_is_refused_to_everyone_but_the_chiefs(hook, chief, role, expected):
    delivery = _delivery(hook, chief)
    user = {"anonymous": None, "editor": EditorFactory(), "board_member": BoardMemberFactory().user}[role]
    client = client_for(user)
    for method, url, body in _operations(hook, delivery):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == expected, (method, url)
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookEndpoint.objects.get().secret == hook.secret
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_chief_may_do_every_operation(hook, chief):
    delivery = _delivery(hook, chief)
    client = client_for(chief)
    statuses = [
        getattr(client, method)(url, body, format="json").status_code
        for method, url, body in _operations(hook, delivery)
    ]
    assert statuses == [200, 201, 200, 200, 200, 200, 200, 204]


def test_the_secret_is_in_the_creation_answer_and_never_again(chief):
    client = client_for(chief)

    created = client.post(ENDPOINTS, VALID, format="json")

    assert created.status_code == 201
    body = created.json()
    secret = WebhookEndpoint.objects.get().secret
    assert body["secret"] == secret and secret.startswith("whsec_")
    assert body["event_types"] == ["article.approved", "version.published"]
    assert body["secret_hint"] == f"whsec_…{secret[-4:]}"
    for url in (ENDPOINTS, f"{ENDPOINTS}{body['id']}/"):
        assert secret not in client.get(url).content.decode()
    patched = client.patch(f"{ENDPOINTS}{body['id']}/", {"is_active": False}, format="json")
    assert "secret" not in patched.json() and patched.json()["is_active"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID, "events": ["article.approved"]}, "events"),
        ({**VALID, "event_types": ["article.published"]}, "event_types"),
        ({**VALID, "event_types": []}, "event_types"),
        ({**VALID, "url": "ftp://site.example/hooks"}, "url"),
        ({**VALID, "url": "http://10.0.0.7/hooks"}, "url"),
        ({**VALID, "url": "http://127.0.0.1:8000/hooks"}, "url"),
        ({**VALID, "is_active": "yes"}, "is_active"),
        ({**VALID, "url": "https://site.example/café"}, "url"),
        ({**VALID, "url": "https://site.example/hooks#fragment"}, "url"),
        ({"event_types": ["article.approved"]}, "url"),
    ],
)
def test_bad_input_is_refused_naming_the_field(chief, body, field):
    response = client_for(chief).post(ENDPOINTS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_patch_with_nothing_to_change_is_refused(hook, chief):
    response = client_for(chief).patch(f"{ENDPOINTS}{hook.pk}/", {}, format="json")

    assert response.status_code == 400
    assert "Send at least one field to change." in str(response.json())


def test_rotation_answers_the_new_secret_and_keeps_the_old_for_the_overlap(hook, chief):
    old = hook.secret

    response = client_for(chief).post(f"{ENDPOINTS}{hook.pk}/rotate-secret/")

    assert response.status_code == 200
    hook.refresh_from_db()
    assert response.json()["secret"] == hook.secret != old
    assert hook.previous_secret == old
    expires = datetime.datetime.fromisoformat(response.json()["previous_secret_expires_at"])
    assert abs(expires - (timezone.now() + datetime.timedelta(hours=24))) < datetime.timedelta(minutes=1)


def test_redelivery_queues_the_event_again_and_a_pending_one_is_refused(hook, chief):
    delivered = _delivery(hook, chief)
    pending = _delivery(hook, chief, status=DeliveryStatus.PENDING)
    client = client_for(chief)
    before = OutboxMessage.objects.filter(topic="webhooks.deliver").count()

    again = client.post(f"/api/v1/webhooks/deliveries/{delivered.pk}/redeliver/")
    refused = client.post(f"/api/v1/webhooks/deliveries/{pending.pk}/redeliver/")

    assert again.status_code == 200
    assert again.json()["status"] == "pending"
    assert again.json()["webhook_id"] == delivered.event.webhook_id
    assert refused.status_code == 409
    assert refused.json()["code"] == "delivery_pending"
    assert OutboxMessage.objects.filter(topic="webhooks.deliver").count() == before + 1


@pytest.mark.parametrize("count", [1, 15])
def test_the_delivery_log_costs_the_same_queries_for_one_delivery_or_many(
    hook, chief, count, django_assert_max_num_queries
):
    for _ in range(count):
        _delivery(hook, chief)
    client = client_for(chief)

    with django_assert_max_num_queries(6):
        response = client.get(f"{ENDPOINTS}{hook.pk}/deliveries/")

    results = response.json()["results"]
    assert len(results) == count
    assert results[0]["log"] == [
        {
            "number": 1,
            "attempted_at": results[0]["log"][0]["attempted_at"],
            "status_code": 200,
            "latency_ms": 12,
            "response_excerpt": "ok",
            "error": "",
            "succeeded": True,
        }
    ]
    assert results[0]["event_type"] == "article.retired"


@pytest.mark.parametrize("count", [1, 15])
def test_the_endpoint_list_costs_the_same_queries_for_one_endpoint_or_many(
    chief, count, django_assert_max_num_queries
):
    for n in range(count):
        endpoints.endpoint_create(
            actor=chief, url=f"https://site{n}.example/", event_types=["article.retired"]
        )

    with django_assert_max_num_queries(4):
        response = client_for(chief).get(ENDPOINTS)

    assert response.json()["count"] == count
