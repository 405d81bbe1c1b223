"""The second factor: who must give one, enrolment, verification, and a reset.

Board members and editors-in-chief (``SECOND_FACTOR_ROLES``) give a code from an authenticator app
(TOTP, django-otp) or a single-use recovery code before any admin page opens; other users keep the
password alone, and the API is not affected. ``config`` imports no app, so the settings name the
roles and the function that reads a user's roles (``SECOND_FACTOR_USER_ROLES``, the one the rest of
the admin uses, cached on the user); a test keeps the names equal to ``reviewers.roles.Role``.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    import datetime

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6  # django-otp's default for a new TOTPDevice


def _roles(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    return import_string(settings.SECOND_FACTOR_USER_ROLES)(user)


def needs_second_factor(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether the admin asks this user for a second factor: an active staff user holding one of
    ``SECOND_FACTOR_ROLES``."""
    if user is None or not user.is_authenticated or not user.is_staff:
        return False
    return bool(_roles(user) & set(settings.SECOND_FACTOR_ROLES))


def may_reset_second_factors(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Superusers and ``SECOND_FACTOR_RESET_ROLES`` (editors-in-chief) may reset anyone's."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_roles(user) & set(settings.SECOND_FACTOR_RESET_ROLES))


def is_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this session gave a second factor (``OTPMiddleware`` sets ``is_verified``)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_authenticator(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


# --- Enrolment -----------------------------------------------------------------------------------


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being enrolled: a new secret the first time, the same one on every reload
    until it is confirmed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_for_people(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(text: str) -> SafeString:
    """``text`` as a QR code in inline SVG markup (shapes only: no script, no style)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - our own drawing, no user text


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


@transaction.atomic
def confirm_authenticator(user: AbstractBaseUser, device: TOTPDevice, token: str) -> Enrolment | None:
    """Confirm the pending authenticator with a current code from it; on success it is the user's
    authenticator, with a fresh set of recovery codes (replacing any earlier set). None if the
    code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
    if device is None or not device.verify_token(_normalised(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    logger.info("event=second_factor_enrolled user=%s", user.get_username())
    return Enrolment(device, new_recovery_codes(user))


def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def enrol_with_secret(user: AbstractBaseUser, *, key_hex: str) -> TOTPDevice | None:
    """Give ``user`` a confirmed authenticator with a known secret (the demo's); None if they
    already have one, which is left as it is."""
    if has_authenticator(user):
        return None
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key_hex, confirmed=True)


# --- Verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    device: Device | None
    # Set when every device that could take the code refuses to try yet (too many wrong codes).
    retry_at: datetime.datetime | None = None


def verify(user: AbstractBaseUser, token: str) -> Verification:
    """Check a code from the authenticator (digits) or a recovery code (letters and digits, used
    up by this). Each device slows down guessing itself: after n wrong codes it refuses to check
    for 2^(n-1) seconds."""
    token = _normalised(token)
    model: type[Device] = TOTPDevice if token.isdigit() and len(token) == TOTP_DIGITS else StaticDevice
    retry_at = None
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            allowed, details = device.verify_is_allowed()
            if not allowed:
                retry_at = (details or {}).get("locked_until")
                continue
            if device.verify_token(token):
                return Verification(device)
    return Verification(None, retry_at if retry_at and retry_at > timezone.now() else None)


def mark_verified(request: HttpRequest, device: Device) -> None:
    """Record in the session that this user gave their second factor (a new session key, as at
    any change of privilege)."""
    request.session.cycle_key()
    django_otp.login(request, device)
    logger.info(
        "event=second_factor_verified user=%s device=%s", request.user.get_username(), device.persistent_id
    )


def _normalised(token: str) -> str:
    return "".join(token.split()).lower()


# --- Reset ---------------------------------------------------------------------------------------


def reset(user: AbstractBaseUser, *, actor: AbstractBaseUser) -> int:
    """Remove every second factor of ``user`` (a lost phone): their verified sessions lapse at once,
    and they enrol a new authenticator at their next sign-in. Returns the devices removed."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        _, deleted = model.objects.filter(user=user).delete()
        removed += deleted.get(model._meta.label, 0)
    logger.warning("event=second_factor_reset user=%s actor=%s", user.get_username(), actor.get_username())
    return removed
