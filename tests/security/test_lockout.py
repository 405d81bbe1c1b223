"""Password guessing is cut off on every password form: the admin's login, the browsable API's
login and the token endpoint. The counts are shared (the cache), per username and per address."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.security.helpers import ADMIN_LOGIN, PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 3
API_LOGIN = "/api-auth/login/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


@pytest.fixture
def user():
    """Staff, so that the admin's login lets them in; no editorial role, so no second factor."""
    return UserFactory(username="erin", is_staff=True)


def admin_form(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def api_form(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        API_LOGIN, {"username": username, "password": password, "next": "/api/v1/"}, REMOTE_ADDR=address
    )


def token_form(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


FORMS = {"admin": admin_form, "browsable_api": api_form, "token": token_form}


def signed_in(form_name: str, client: Client, response) -> bool:
    if form_name == "token":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302 and SESSION_KEY in client.session


def refused_as_wrong(form_name: str, response) -> bool:
    """The ordinary refusal of a wrong password (the form again, or 400)."""
    return response.status_code == (400 if form_name == "token" else 200)


def assert_locked_out(form_name: str, response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    if form_name == "token":
        body = response.json()
        assert body["code"] == "account_locked"
        assert "Try again in 15 minutes" in body["detail"]
    else:
        assert "Try again in 15 minutes" in response.content.decode()


@pytest.mark.parametrize("form_name", FORMS)
def test_the_right_password_works_after_fewer_failures_than_the_limit(user, form_name):
    sign_in, client = FORMS[form_name], Client()
    for _ in range(LIMIT - 1):
        assert refused_as_wrong(form_name, sign_in(client, "erin", "guess"))
    assert signed_in(form_name, client, sign_in(client, "erin", PASSWORD))


@pytest.mark.parametrize("form_name", FORMS)
def test_the_nth_wrong_password_locks_the_account_out_until_the_cool_off_passes(user, form_name):
    sign_in, client = FORMS[form_name], Client()
    for _ in range(LIMIT - 1):
        assert refused_as_wrong(form_name, sign_in(client, "erin", "guess"))

    assert_locked_out(form_name, sign_in(client, "erin", "guess"))
    right = sign_in(client, "erin", PASSWORD)
    assert_locked_out(form_name, right)
    assert not AuthToken.objects.exists()
    assert SESSION_KEY not in client.session

    # The wait runs from the last attempt: just before it ends, still locked out.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14)):
        assert_locked_out(form_name, sign_in(client, "erin", PASSWORD))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14 + 16)):
        assert signed_in(form_name, client, sign_in(client, "erin", PASSWORD))


@pytest.mark.parametrize("locked_on", FORMS)
def test_a_lockout_on_one_form_holds_on_the_others(user, locked_on):
    for _ in range(LIMIT):
        FORMS[locked_on](Client(), "erin", "guess")

    for form_name, sign_in in FORMS.items():
        assert_locked_out(form_name, sign_in(Client(), "erin", PASSWORD))


def test_a_locked_username_stays_locked_from_another_address(user):
    for attempt in range(LIMIT):
        admin_form(Client(), "erin", "guess", address=f"203.0.113.{attempt}")

    assert_locked_out("token", token_form(Client(), "erin", PASSWORD, address="198.51.100.7"))


def test_an_address_that_guesses_many_usernames_is_locked_out_but_others_sign_in(user):
    UserFactory(username="olga")
    for attempt in range(LIMIT):
        admin_form(Client(), f"someone{attempt}", "guess", address="203.0.113.9")

    assert_locked_out("admin", admin_form(Client(), "olga", PASSWORD, address="203.0.113.9"))
    other = Client()
    assert signed_in("admin", other, admin_form(other, "erin", PASSWORD, address="198.51.100.7"))


def test_an_operator_lifts_a_lockout_by_username_and_address(user):
    for _ in range(LIMIT):
        admin_form(Client(), "erin", "guess", address="203.0.113.7")
    assert_locked_out("admin", admin_form(Client(), "erin", PASSWORD, address="203.0.113.7"))

    call_command("axes_reset_username", "erin")
    call_command("axes_reset_ip", "203.0.113.7")

    client = Client()
    assert signed_in("admin", client, admin_form(client, "erin", PASSWORD, address="203.0.113.7"))
