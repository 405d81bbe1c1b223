"""What each kind of email is owed for, worked out from the database (the package's table)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet

from editorial.models import (
    ONCE,
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    ReminderKind,
    ReminderLog,
    ReviewAssignment,
)

NOTIFICATION_KINDS = (
    ReminderKind.ASSIGNED,
    ReminderKind.CANCELLED,
    ReminderKind.DECIDED,
    ReminderKind.VOIDED,
)
REMINDER_KINDS = (ReminderKind.DUE_SOON, ReminderKind.OVERDUE, ReminderKind.ESCALATION)


# --- What is owed -------------------------------------------------------------------------------


def email_assignments() -> QuerySet[ReviewAssignment]:
    """Assignments with everything an email about them reads, in one query."""
    return (
        ReviewAssignment.objects.select_related(
            "reviewer__user",
            "assigned_by",
            "round__article__created_by",
            "round__article__specialty",
            "round__opened_by",
            "round__version",
        )
        .defer("round__version__body", "round__version__change_summary")
        .order_by("pk")
    )


def _logged(kind: ReminderKind, period_key: str = ONCE) -> Exists:
    return Exists(ReminderLog.objects.filter(assignment_id=OuterRef("pk"), kind=kind, period_key=period_key))


def notification_queries(
    now: datetime.datetime, assignment_ids: Sequence[int] | None = None
) -> list[tuple[ReminderKind, str, QuerySet[ReviewAssignment]]]:
    since = now - datetime.timedelta(days=settings.NOTIFICATION_CATCH_UP_DAYS)
    base = email_assignments()
    if assignment_ids is not None:
        base = base.filter(pk__in=assignment_ids)
    owed = [
        (ReminderKind.ASSIGNED, base.filter(state__in=OPEN_ASSIGNMENT_STATES, assigned_at__gte=since)),
        # Only a reviewer who was told of the review is told it is off; one assigned and
        # cancelled before the first email went out never hears of either.
        (
            ReminderKind.CANCELLED,
            base.filter(
                _logged(ReminderKind.ASSIGNED), state=AssignmentState.CANCELLED, closed_at__gte=since
            ),
        ),
        (ReminderKind.DECIDED, base.filter(state=AssignmentState.COMPLETED, decided_at__gte=since)),
        (ReminderKind.VOIDED, base.filter(voided_at__gte=since)),
    ]
    return [(kind, ONCE, queryset.exclude(_logged(kind))) for kind, queryset in owed]


def reminder_queries(now: datetime.datetime) -> list[tuple[ReminderKind, str, QuerySet[ReviewAssignment]]]:
    window = datetime.timedelta(hours=settings.REVIEW_DUE_SOON_HOURS)
    today = now.astimezone(datetime.UTC).date().isoformat()
    escalate_before = now - datetime.timedelta(days=settings.REVIEW_ESCALATE_AFTER_DAYS)
    open_ = email_assignments().filter(state__in=OPEN_ASSIGNMENT_STATES)
    owed = [
        (
            # A reviewer given less notice than the window was told the date when assigned.
            ReminderKind.DUE_SOON,
            ONCE,
            open_.filter(due_at__gt=now, due_at__lte=now + window, assigned_at__lte=F("due_at") - window),
        ),
        (ReminderKind.OVERDUE, today, open_.filter(due_at__lte=now)),
        (ReminderKind.ESCALATION, ONCE, open_.filter(due_at__lte=escalate_before)),
    ]
    return [(kind, key, queryset.exclude(_logged(kind, key))) for kind, key, queryset in owed]
