"""Signing in as a person does: through the forms, with the factories' password, and the current
code from an authenticator that holds the device's secret."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.security import two_factor

PASSWORD = "secret-pass-123"  # the factories' password
ADMIN_LOGIN = reverse("admin:login")
SECOND_FACTOR = reverse("security:verify")
ENROL = reverse("security:enrol")


def password_sign_in(client: Client, username: str, password: str = PASSWORD, next_url: str = "/admin/"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": next_url})


def current_code(device: TOTPDevice) -> str:
    """What the member's authenticator app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator (as if they had set one up)."""
    device = two_factor.pending_authenticator(user)
    device.confirmed = True
    device.save()
    return device


def fully_signed_in(user) -> Client:
    """A client that signed in with the password and the authenticator's code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrolled(user)
    client = Client()
    assert password_sign_in(client, user.username).status_code == 302
    response = client.post(SECOND_FACTOR, {"code": current_code(device), "next": "/admin/"})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


_plain_force_login = Client.force_login


def force_login_with_second_factor(self: Client, user, backend: str | None = None) -> None:
    """``Client.force_login`` signs a user in without their password; for a user the admin asks
    for a second factor, this skips that too, as if they had given both (tests/conftest.py puts
    it in place for every test). Signing in itself is tested through the forms in this folder."""
    _plain_force_login(self, user, backend)
    if two_factor.needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrolled(user)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
