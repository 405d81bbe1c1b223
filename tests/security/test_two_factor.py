"""Board members and editors-in-chief give a second factor (a code from an authenticator app, or a
recovery code) before any admin page opens; editors, users of no editorial role and the API are
not affected."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from config.security import two_factor
from editorial.models import ReviewAssignment
from tests.editorial.conftest import assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory
from tests.security.helpers import (
    ENROL,
    PASSWORD,
    SECOND_FACTOR,
    current_code,
    enrolled,
    fully_signed_in,
    password_sign_in,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
QUEUE = reverse("admin:editorial_reviewassignment_changelist")


@pytest.fixture
def member(oncology):
    return BoardMemberFactory(specialties=[oncology]).user


@pytest.fixture
def assignment(member, oncology, editor):
    article = ArticleFactory(specialty=oncology, actor=editor, title="Which statin after a heart attack?")
    submit(article)
    return assign(article, member.board_member)


def opens(client: Client, url: str) -> bool:
    return client.get(url).status_code == 200


def later(seconds: float):
    """A clock that has moved on (django-otp waits 1, 2, 4... seconds after each wrong code)."""
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds))


# --- First sign-in: enrolment ------------------------------------------------------------------


def test_a_board_member_without_an_authenticator_is_led_to_set_one_up(member):
    client = Client()
    response = password_sign_in(client, member.username, next_url=QUEUE)
    assert response.status_code == 302
    assert response["Location"] == QUEUE

    to_factor = client.get(QUEUE)
    assert to_factor.status_code == 302
    assert to_factor["Location"].startswith(SECOND_FACTOR)
    to_enrol = client.get(to_factor["Location"])
    assert to_enrol.status_code == 302
    assert to_enrol["Location"].startswith(ENROL)

    page = client.get(to_enrol["Location"])
    content = page.content.decode()
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    assert page.status_code == 200
    assert "otpauth://totp/" in content
    qr_code = content[content.index('<div id="qr-code"') : content.index("</svg>") + 6]
    assert "<svg" in qr_code and "<script" not in qr_code and "style" not in qr_code
    assert "<script>" not in content and " style=" not in content  # nothing inline (CSP)
    assert two_factor.secret_for_people(device) in content
    # A reload shows the same secret, not a new one.
    client.get(to_enrol["Location"])
    assert TOTPDevice.objects.filter(user=member).count() == 1

    wrong = client.post(to_enrol["Location"], {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    assert client.get(QUEUE).status_code == 302

    with later(2):
        done = client.post(to_enrol["Location"], {"code": current_code(device)})
        codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
        assert done.status_code == 200
        assert len(codes) == 10
        assert set(StaticToken.objects.filter(device__user=member).values_list("token", flat=True)) == set(
            codes
        )
        assert 'href="/admin/editorial/reviewassignment/"' in done.content.decode()
        assert client.get(QUEUE).status_code == 200
        # Shown once: the enrolment page now has nothing to show.
        again = client.get(ENROL)
        assert again.status_code == 302
        assert not re.findall(r"<li><code>", client.get(again["Location"]).content.decode())


def test_a_password_alone_never_sets_up_a_new_authenticator(member):
    device = enrolled(member)
    client = Client()
    password_sign_in(client, member.username)

    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(SECOND_FACTOR)
    assert client.post(ENROL, {"code": current_code(device)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=member)) == [device]
    assert client.get(INDEX).status_code == 302


# --- Every sign-in: the code -------------------------------------------------------------------


def test_a_wrong_code_is_refused_and_a_right_one_lets_the_member_in(member, assignment):
    device = enrolled(member)
    client = Client()
    password_sign_in(client, member.username)
    assert client.get(INDEX)["Location"] == f"{SECOND_FACTOR}?next=%2Fadmin%2F"

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wrong = client.post(SECOND_FACTOR, {"code": "123456", "next": "/admin/"})
        assert wrong.status_code == 200
        assert "That code is not right" in wrong.content.decode()
        assert client.get(INDEX).status_code == 302
        # Guessing is slowed down: right after a wrong code, even the right one waits.
        hurried = client.post(SECOND_FACTOR, {"code": current_code(device), "next": "/admin/"})
        assert "Too many wrong codes: wait 1 second," in hurried.content.decode()

    with time_machine.travel(start + datetime.timedelta(seconds=2)):
        right = client.post(SECOND_FACTOR, {"code": current_code(device), "next": QUEUE})
        assert right.status_code == 302
        assert right["Location"] == QUEUE
        queue = client.get(QUEUE)
        assert queue.status_code == 200
        assert "Which statin after a heart attack?" in queue.content.decode()
        # The same code cannot be used twice.
        replay = Client()
        password_sign_in(replay, member.username)
        assert replay.post(SECOND_FACTOR, {"code": current_code(device)}).status_code == 200
        assert replay.get(INDEX).status_code == 302


def test_a_recovery_code_lets_the_member_in_once(member):
    enrolled(member)
    first, second = two_factor.new_recovery_codes(member)[:2]

    client = Client()
    password_sign_in(client, member.username)
    assert client.post(SECOND_FACTOR, {"code": f" {first.upper()} ", "next": "/admin/"}).status_code == 302
    assert opens(client, INDEX)
    client.post(reverse("admin:logout"))

    again = Client()
    password_sign_in(again, member.username)
    used = again.post(SECOND_FACTOR, {"code": first, "next": "/admin/"})
    assert used.status_code == 200
    assert "That code is not right" in used.content.decode()
    assert not opens(again, INDEX)
    with later(2):
        assert again.post(SECOND_FACTOR, {"code": second, "next": "/admin/"}).status_code == 302
        assert opens(again, INDEX)
    assert StaticToken.objects.filter(device__user=member).count() == 8


def test_an_editor_in_chief_gives_a_second_factor_too(chief):
    device = enrolled(chief)
    client = Client()
    password_sign_in(client, chief.username)
    assert not opens(client, reverse("admin:articles_article_changelist"))
    client.post(SECOND_FACTOR, {"code": current_code(device)})
    assert opens(client, reverse("admin:articles_article_changelist"))


def test_the_next_page_after_the_code_stays_on_this_site(member):
    device = enrolled(member)
    client = Client()
    password_sign_in(client, member.username)
    response = client.post(SECOND_FACTOR, {"code": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == INDEX


# --- Before the second factor, nothing in the admin opens --------------------------------------


def admin_urls(assignment, chief) -> list[str]:
    record = assignment.history.earliest()
    return [
        INDEX,
        QUEUE,
        reverse("admin:editorial_reviewassignment_change", args=[assignment.pk]),
        reverse("admin:editorial_reviewassignment_history", args=[assignment.pk]),
        reverse("admin:editorial_reviewassignment_simple_history", args=[assignment.pk, record.pk]),
        reverse("admin:app_list", args=["editorial"]),
        reverse("admin:articles_article_changelist"),
        reverse("admin:reviewers_boardmember_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[chief.pk]),
        reverse("admin:security_secondfactor_changelist"),
        reverse("admin:password_change"),
        reverse("admin:jsi18n"),
        "/admin/no-such-page/",
    ]


@pytest.mark.parametrize("who", ["member", "chief"])
def test_an_unverified_session_opens_no_admin_page_by_url(who, member, chief, assignment):
    user = {"member": member, "chief": chief}[who]
    enrolled(user)
    client = Client()
    password_sign_in(client, user.username)
    assert SESSION_KEY in client.session  # the password was right

    for url in admin_urls(assignment, chief):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{SECOND_FACTOR}?next="), url
        post = client.post(url, {"decision": "approve", "comment": "x"})
        assert post.status_code == 302, url
    assert ReviewAssignment.objects.get(pk=assignment.pk).state == "pending"

    assert client.get(reverse("admin:login")).status_code == 302  # signed in: on to the admin
    assert opens(client, SECOND_FACTOR)
    client.post(reverse("admin:logout"))
    assert SESSION_KEY not in client.session


# --- Who is not affected -----------------------------------------------------------------------


def test_users_of_no_editorial_role_keep_the_plain_admin_login(admin_user):
    client = Client()
    password_sign_in(client, admin_user.username, password="password")  # pytest-django's admin_user
    assert opens(client, INDEX)
    assert opens(client, reverse("admin:auth_user_changelist"))
    assert not TOTPDevice.objects.exists()


def test_editors_are_not_asked_for_a_second_factor(editor):
    client = Client()
    signed_in = client.post("/api-auth/login/", {"username": editor.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/api/v1/articles/").status_code == 200
    admin = Client()
    password_sign_in(admin, editor.username)
    # Editors have no admin (they work through the API): the usual refusal, not a second factor.
    response = admin.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_api_takes_a_board_members_password_alone(member, assignment):
    enrolled(member)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": member.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/assignments/").status_code == 200


# --- A lost phone: an editor-in-chief resets the second factor ---------------------------------


def test_an_editor_in_chief_resets_a_members_second_factor(member):
    chief = ChiefFactory()
    device = enrolled(member)
    two_factor.new_recovery_codes(member)
    member_client = fully_signed_in(member)
    assert opens(member_client, QUEUE)

    chief_client = fully_signed_in(chief)
    listing = chief_client.get(reverse("admin:security_secondfactor_changelist"))
    assert listing.status_code == 200
    assert member.username in listing.content.decode()
    assert device.key not in listing.content.decode()
    response = chief_client.post(
        reverse("admin:security_secondfactor_changelist"),
        {"action": "reset_second_factor", "_selected_action": [device.pk]},
        follow=True,
    )
    assert f"Second factor reset for {member.username}" in response.content.decode()

    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticToken.objects.filter(device__user=member).exists()
    # The member's verified session lapses at once; they set up a new authenticator next.
    to_factor = member_client.get(QUEUE)
    assert to_factor["Location"].startswith(SECOND_FACTOR)
    assert member_client.get(to_factor["Location"])["Location"].startswith(ENROL)


def test_only_editors_in_chief_and_superusers_reach_the_reset(member, admin_user):
    other = BoardMemberFactory().user
    enrolled(other)
    url = reverse("admin:security_secondfactor_changelist")
    assert fully_signed_in(member).get(url).status_code == 403
    superuser = Client()
    superuser.force_login(admin_user)
    assert opens(superuser, url)
