from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice


class SecondFactor(TOTPDevice):
    """Members' authenticators as the admin's reset page lists them (config/security/admin.py)."""

    class Meta:
        proxy = True
        verbose_name = "second factor"
        verbose_name_plural = "second factors"
