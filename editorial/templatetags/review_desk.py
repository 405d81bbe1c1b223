"""The review summary on the admin index: how many reviews are waiting and how many are late."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count, Q
from django.utils import timezone

from editorial.models import OPEN_ASSIGNMENT_STATES, ReviewAssignment
from reviewers.roles import board_member_of, is_editor_in_chief

register = template.Library()


@register.inclusion_tag("editorial/admin/review_summary.html", takes_context=True)
def review_summary(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    member = board_member_of(user)
    if member is not None:
        assignments, whose = ReviewAssignment.objects.filter(reviewer=member), "Your reviews"
    elif is_editor_in_chief(user):
        assignments, whose = ReviewAssignment.objects.all(), "All reviews"
    else:
        return {"show": False}
    counts = assignments.filter(state__in=OPEN_ASSIGNMENT_STATES).aggregate(
        pending=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=timezone.now()))
    )
    return {"show": True, "whose": whose, **counts}
