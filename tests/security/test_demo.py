"""The demo enrols its board members and its chief with the demo's (public) authenticator secret,
and ``demo_totp`` prints the code a phone holding it would show."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from editorial.demo import DEMO_TOTP_KEY_HEX, DEMO_TOTP_SECRET
from tests.security.helpers import SECOND_FACTOR, password_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)


def test_the_board_members_and_the_chief_have_the_demo_authenticator(demo):
    devices = TOTPDevice.objects.filter(confirmed=True)
    assert {device.user.username for device in devices} == {
        "chief",
        "dr_oncology1",
        "dr_oncology2",
        "dr_cardiology",
    }
    assert {device.key for device in devices} == {DEMO_TOTP_KEY_HEX}


def test_seed_demo_says_how_to_get_a_code(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "python manage.py demo_totp <username>" in out
    assert DEMO_TOTP_SECRET in out


def test_demo_totp_prints_the_code_that_signs_a_demo_member_in(demo, settings, capsys):
    call_command("demo_totp", "dr_oncology1")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()

    client = Client()
    password_sign_in(client, "dr_oncology1", password=settings.DEMO_PASSWORD)
    assert client.post(SECOND_FACTOR, {"code": code, "next": "/admin/"}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_demo_totp_gives_no_code_for_anyone_else(demo):
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_totp", "editor")
    device = TOTPDevice.objects.get(user__username="chief")
    device.key = "ab" * 20
    device.save()
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_totp", "chief")
