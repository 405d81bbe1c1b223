"""API tokens: issued for a username and password, hashed, expiring, revocable; sign-in throttled."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import EditorFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def editor():
    return EditorFactory(username="erin")


def sign_in(client, username="erin", password="secret-pass-123"):  # noqa: S107 - the factories' password
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_a_token_is_issued_for_the_right_password_and_stored_only_as_a_hash(editor, settings):
    response = sign_in(APIClient())

    assert response.status_code == 200
    token = response.data["token"]
    expiry = datetime.datetime.fromisoformat(response.data["expiry"])
    assert expiry - timezone.now() == pytest.approx(
        settings.REST_KNOX["TOKEN_TTL"], abs=datetime.timedelta(minutes=1)
    )
    stored = AuthToken.objects.get(user=editor)
    assert token not in (stored.digest, stored.token_key)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/articles/").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("erin", "wrong"), ("nobody", "secret-pass-123"), ("", ""), ("erin", None)]
)
def test_no_token_for_wrong_or_missing_credentials(editor, username, password):
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not AuthToken.objects.exists()


def test_an_inactive_user_gets_no_token(editor):
    editor.is_active = False
    editor.save()
    assert sign_in(APIClient()).status_code == 400


def test_an_expired_token_is_refused(editor, settings):
    token = sign_in(APIClient()).data["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with time_machine.travel(
        timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + datetime.timedelta(minutes=1)
    ):
        response = client.get("/api/v1/articles/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_logout_revokes_only_that_token(editor):
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Token {sign_in(APIClient()).data['token']}")
    second.credentials(HTTP_AUTHORIZATION=f"Token {sign_in(APIClient()).data['token']}")

    assert first.post("/api/v1/auth/logout/").status_code == 204

    assert first.get("/api/v1/articles/").status_code == 401
    assert second.get("/api/v1/articles/").status_code == 200


def test_logout_all_revokes_every_token_of_the_user(editor):
    clients = [APIClient() for _ in range(2)]
    for client in clients:
        client.credentials(HTTP_AUTHORIZATION=f"Token {sign_in(APIClient()).data['token']}")

    assert clients[0].post("/api/v1/auth/logout-all/").status_code == 204

    assert [client.get("/api/v1/articles/").status_code for client in clients] == [401, 401]
    assert not AuthToken.objects.filter(user=editor).exists()


def test_a_garbage_token_is_a_401(editor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/articles/")
    assert response.status_code == 401
    assert response.json()["code"] in ("authentication_failed", "not_authenticated")


@pytest.fixture
def strict_throttling(settings):
    cache.clear()
    rates = {"anon": "3/minute", "user": "5/minute", "auth": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF reads the rates once, when the throttle classes are defined.
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    yield
    SimpleRateThrottle.THROTTLE_RATES = original
    cache.clear()


def test_sign_in_attempts_are_throttled(editor, strict_throttling):
    client = APIClient()
    statuses = [sign_in(client, password="guess").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    third = sign_in(client)
    assert third.status_code == 429
    assert third.json()["code"] == "throttled"
    assert "Retry-After" in third


def test_anonymous_and_signed_in_requests_are_throttled_by_settings(editor, strict_throttling):
    anonymous = APIClient()
    assert [anonymous.get("/api/v1/public/articles/").status_code for _ in range(4)] == [200, 200, 200, 429]

    signed_in = APIClient()
    signed_in.force_authenticate(editor)
    assert [signed_in.get("/api/v1/articles/").status_code for _ in range(6)] == [200] * 5 + [429]
