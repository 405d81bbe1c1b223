"""The review summary on the admin index: how many reviews are waiting and how many are late."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count

from editorial.models import overdue_q
from editorial.selectors import review_desk_assignments
from reviewers.roles import board_member_of, is_editor_in_chief

register = template.Library()


@register.inclusion_tag("editorial/admin/review_summary.html", takes_context=True)
def review_summary(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    if is_editor_in_chief(user):
        whose = "All reviews"
    elif board_member_of(user) is not None:
        whose = "Your reviews"
    else:
        return {"show": False}
    counts = (
        review_desk_assignments(user)
        .open()
        .aggregate(pending=Count("pk"), overdue=Count("pk", filter=overdue_q()))
    )
    return {"show": True, "whose": whose, **counts}
