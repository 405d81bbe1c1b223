"""The three roles of the editorial process, held as Django groups.

A role is a group membership and nothing else: superusers administer the system but get no
editorial role from that alone, so an approval is always given by someone the board appointed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from reviewers.models import BoardMember


class Role(StrEnum):
    EDITOR = "editor"
    EDITOR_IN_CHIEF = "editor_in_chief"
    BOARD_MEMBER = "board_member"


def user_roles(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    """The role names of an active, signed-in user (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_editorial_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._editorial_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser | None, *roles: Role) -> bool:
    return bool(user_roles(user) & {str(role) for role in roles})


def is_editor(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Editors and editors-in-chief can do everything an editor does."""
    return has_role(user, Role.EDITOR, Role.EDITOR_IN_CHIEF)


def is_editor_in_chief(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return has_role(user, Role.EDITOR_IN_CHIEF)


def board_member_of(user: AbstractBaseUser | AnonymousUser | None) -> BoardMember | None:
    """The user's board-member profile if they hold the role and have one, else None."""
    if not has_role(user, Role.BOARD_MEMBER):
        return None
    try:
        return user.board_member  # type: ignore[union-attr]
    except ObjectDoesNotExist:
        return None


SYSTEM_USERNAME = "system"


def is_system_user(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """The scheduler's own account: it acts for the editorial policy (expiry, re-review,
    replacements) and can never sign in."""
    return (
        user is not None
        and getattr(user, "username", None) == SYSTEM_USERNAME
        and user.is_authenticated
        and not user.has_usable_password()
    )
