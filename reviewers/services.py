"""The scheduler's account."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from reviewers.roles import SYSTEM_USERNAME


def get_system_user() -> AbstractBaseUser:
    """The account that scheduled work acts as, created on first use. It has no usable password
    and is inactive, so nobody can sign in as it."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Editorial", "last_name": "scheduler", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
