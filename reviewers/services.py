"""Setting up the roles of the editorial process."""

from __future__ import annotations

from django.contrib.auth.models import Group

from reviewers.roles import Role


def ensure_role_groups() -> list[Group]:
    """Create the role groups that do not exist yet; safe to call any number of times."""
    return [Group.objects.get_or_create(name=str(role))[0] for role in Role]
