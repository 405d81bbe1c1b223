"""The token endpoint answers every refusal in the one error shape, the per-user cap included."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import EditorFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
CREDENTIALS = {"username": "erin", "password": "secret-pass-123"}  # the factories' password


@pytest.fixture
def editor():
    return EditorFactory(username="erin")


@pytest.fixture
def two_tokens_at_most(settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    return 2


def sign_in():
    return APIClient().post(TOKEN_URL, CREDENTIALS, format="json")


def test_at_the_token_cap_sign_in_is_a_403_in_the_error_shape(editor, two_tokens_at_most):
    assert [sign_in().status_code for _ in range(2)] == [200, 200]

    response = sign_in()

    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == "token_limit_reached"
    assert body["detail"].startswith("You already have 2 active tokens, the most allowed;")
    assert "/api/v1/auth/logout/" in body["detail"] and "/api/v1/auth/logout-all/" in body["detail"]
    assert AuthToken.objects.filter(user=editor).count() == 2


def test_the_cap_message_names_the_configured_limit(editor, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 1}
    assert sign_in().status_code == 200

    assert sign_in().json()["detail"].startswith("You already have 1 active token, the most allowed;")


def test_expired_tokens_do_not_count_towards_the_cap(editor, two_tokens_at_most):
    for _ in range(2):
        AuthToken.objects.create(user=editor, expiry=datetime.timedelta(hours=1))
    AuthToken.objects.filter(user=editor).update(expiry=timezone.now() - datetime.timedelta(minutes=1))

    assert sign_in().status_code == 200


def test_signing_out_one_token_makes_room_for_another(editor, two_tokens_at_most):
    tokens = [sign_in().json()["token"] for _ in range(2)]
    assert sign_in().status_code == 403
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    assert client.post("/api/v1/auth/logout/").status_code == 204

    assert sign_in().status_code == 200


def test_wrong_credentials_at_the_cap_are_still_a_400(editor, two_tokens_at_most):
    """The cap is only told to someone who proved who they are."""
    for _ in range(2):
        sign_in()
    response = APIClient().post(TOKEN_URL, {**CREDENTIALS, "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"data": '{"username": "erin",', "content_type": "application/json"}, 400, "parse_error"),
        ({"data": "username=erin", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"data": {"username": "erin"}, "format": "json"}, 400, "invalid"),
        ({"data": {"username": "erin", "password": "x"}, "format": "json"}, 400, "invalid"),
    ],
)
def test_other_refusals_of_the_token_endpoint_use_the_error_shape(editor, request_kwargs, status, code):
    response = APIClient().post(TOKEN_URL, **request_kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_on_the_token_endpoint_are_405_in_the_error_shape(editor, method):
    response = getattr(APIClient(), method)(TOKEN_URL)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response.json()["detail"]


def test_the_schema_documents_the_cap():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    refusal = response.json()["paths"]["/api/v1/auth/token/"]["post"]["responses"]["403"]
    assert refusal["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert "token_limit_reached" in refusal["description"]
