"""What each role may do in the Django admin: the model permissions of each role's group.

The grants are set after every ``migrate`` (and so exist on every installation, not only the demo),
and exactly: a permission added to a role's group by hand is removed again, so the code is the one
place that says what a role can do. Which objects a member sees (their own assignments only) is
decided by each admin's queryset, not by these grants.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from reviewers.roles import Role

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    # Editors work through the REST API; the admin is for editors-in-chief and the board.
    Role.EDITOR: [],
    Role.EDITOR_IN_CHIEF: [
        "articles.view_article",
        "articles.change_article",
        "articles.view_articleversion",
        "articles.view_reference",
        "editorial.view_reviewround",
        "editorial.view_reviewassignment",
        "editorial.change_reviewassignment",
        "editorial.view_reminderlog",
        "reviewers.view_specialty",
        "reviewers.add_specialty",
        "reviewers.change_specialty",
        "reviewers.view_boardmember",
        "reviewers.add_boardmember",
        "reviewers.change_boardmember",
        "reviewers.view_conflictofinterest",
        "reviewers.add_conflictofinterest",
        "reviewers.change_conflictofinterest",
    ],
    # Their review queue and the decision form, on their own assignments only.
    Role.BOARD_MEMBER: ["editorial.view_reviewassignment", "editorial.change_reviewassignment"],
}


def ensure_roles() -> dict[str, Group]:
    """Create the role groups and give each exactly its permissions; safe to run any number of
    times."""
    groups = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        wanted = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(wanted))
        missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if missing:
            raise LookupError(f"Unknown permissions for role {role}: {', '.join(sorted(missing))}")
        group.permissions.set(permissions)
        groups[str(role)] = group
    return groups
