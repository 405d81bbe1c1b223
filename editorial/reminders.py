"""Emails about review assignments: notifications of workflow steps and the periodic reminders.

What is owed is always worked out from the database, never from a queue, so a message lost on the
way to the broker (or a worker that died) costs a delay, not an email:

| kind | owed for | sent to | key |
|---|---|---|---|
| ``assigned`` | an open assignment made lately (1) | the reviewer | once |
| ``cancelled`` | an assignment cancelled lately (1) whose reviewer was told of it | the reviewer | once |
| ``decided`` | a decision made lately (1) | the article's editors | once |
| ``voided`` | an approval voided lately (1) | the reviewer and the article's editors | once |
| ``due_soon`` | an open assignment due within REVIEW_DUE_SOON_HOURS (2) | the reviewer | once |
| ``overdue`` | an open assignment past its due date | the reviewer | the UTC date |
| ``escalation`` | an open assignment REVIEW_ESCALATE_AFTER_DAYS past due | the editors-in-chief | once |

(1) within the last NOTIFICATION_CATCH_UP_DAYS: older events are not announced late.
(2) and assigned before that window began: a reviewer given less notice learnt the date when assigned.

Each email is sent at most once per ``ReminderLog`` key (assignment, kind, period key), however
often and however concurrently these functions run; see ``_claim_and_send`` for the one case in
which an email can go out twice.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from articles.models import RiskLevel
from config.audit import audit
from editorial.models import (
    ONCE,
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    Decision,
    ReminderKind,
    ReminderLog,
    ReviewAssignment,
    RoundOutcome,
    RoundTrigger,
)
from reviewers.roles import Role, is_system_user
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

# What ``_deliver`` reports, besides the kind of a sent email.
ALREADY_SENT = "already_sent"
NO_RECIPIENT = "no_recipient"
FAILED = "failed"

NOTIFICATION_KINDS = (
    ReminderKind.ASSIGNED,
    ReminderKind.CANCELLED,
    ReminderKind.DECIDED,
    ReminderKind.VOIDED,
)
REMINDER_KINDS = (ReminderKind.DUE_SOON, ReminderKind.OVERDUE, ReminderKind.ESCALATION)


@dataclass(frozen=True)
class Owed:
    """One email owed: its kind and period key, and the assignment it is about."""

    assignment: ReviewAssignment
    kind: ReminderKind
    period_key: str = ONCE


# --- What is owed -------------------------------------------------------------------------------


def _assignments() -> QuerySet[ReviewAssignment]:
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


def owed_notifications(
    *, now: datetime.datetime, assignment_ids: Sequence[int] | None = None
) -> Iterator[Owed]:
    """The notifications not sent yet, for the given assignments or for all of them."""
    since = now - datetime.timedelta(days=settings.NOTIFICATION_CATCH_UP_DAYS)
    base = _assignments()
    if assignment_ids is not None:
        base = base.filter(pk__in=assignment_ids)
    owed = {
        ReminderKind.ASSIGNED: base.filter(state__in=OPEN_ASSIGNMENT_STATES, assigned_at__gte=since),
        # Only a reviewer who was told of the review is told it is off; one assigned and
        # cancelled before the first email went out never hears of either.
        ReminderKind.CANCELLED: base.filter(
            _logged(ReminderKind.ASSIGNED), state=AssignmentState.CANCELLED, closed_at__gte=since
        ),
        ReminderKind.DECIDED: base.filter(state=AssignmentState.COMPLETED, decided_at__gte=since),
        ReminderKind.VOIDED: base.filter(voided_at__gte=since),
    }
    for kind, queryset in owed.items():
        for assignment in queryset.exclude(_logged(kind)):
            yield Owed(assignment, kind)


def owed_reminders(*, now: datetime.datetime) -> Iterator[Owed]:
    """The reminders due at ``now`` and not sent yet."""
    window = datetime.timedelta(hours=settings.REVIEW_DUE_SOON_HOURS)
    today = now.astimezone(datetime.UTC).date().isoformat()
    escalate_before = now - datetime.timedelta(days=settings.REVIEW_ESCALATE_AFTER_DAYS)
    open_ = _assignments().filter(state__in=OPEN_ASSIGNMENT_STATES)
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
    for kind, period_key, queryset in owed:
        for assignment in queryset.exclude(_logged(kind, period_key)):
            yield Owed(assignment, kind, period_key)


# --- Sending ----------------------------------------------------------------------------------


def send_review_reminders(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every notification and reminder owed at ``now``: what the periodic sweep does.
    Returns how many of each kind went out, and how many were ``already_sent`` (by a concurrent
    run), had ``no_recipient`` with an email address, or ``failed`` (the mail server refused;
    the next run tries again)."""
    now = now or timezone.now()
    return _deliver_all([*owed_notifications(now=now), *owed_reminders(now=now)], now=now)


def send_notifications(
    *, assignment_ids: Sequence[int], now: datetime.datetime | None = None
) -> dict[str, int]:
    """Send the notifications owed for these assignments (the fast path after a workflow step);
    counts as ``send_review_reminders``."""
    now = now or timezone.now()
    return _deliver_all(list(owed_notifications(now=now, assignment_ids=assignment_ids)), now=now)


def _deliver_all(owed: Iterable[Owed], *, now: datetime.datetime) -> dict[str, int]:
    counts: Counter[str] = Counter({kind.value: 0 for kind in (*NOTIFICATION_KINDS, *REMINDER_KINDS)})
    counts.update({ALREADY_SENT: 0, NO_RECIPIENT: 0, FAILED: 0})
    recipients = _Recipients()
    system = get_system_user()
    for item in owed:
        counts[_deliver(item, recipients=recipients, system=system, now=now)] += 1
    return dict(counts)


class _Recipients:
    """Who gets each kind of email; the editors-in-chief are looked up once per run."""

    def __init__(self) -> None:
        self._chiefs: list[AbstractBaseUser] | None = None

    def chiefs(self) -> list[AbstractBaseUser]:
        if self._chiefs is None:
            self._chiefs = list(
                get_user_model()
                .objects.filter(groups__name=Role.EDITOR_IN_CHIEF, is_active=True)
                .order_by("pk")
            )
        return self._chiefs

    def for_item(self, item: Owed) -> list[AbstractBaseUser]:
        round = item.assignment.round
        if item.kind == ReminderKind.ESCALATION:
            return self.chiefs()
        # The article's author and whoever submitted this round, once each; a re-review is
        # submitted by the scheduler, which reads no email.
        editors = {user.pk: user for user in (round.article.created_by, round.opened_by)}
        editors = [user for user in editors.values() if not is_system_user(user)]
        if item.kind == ReminderKind.DECIDED:
            return editors
        if item.kind == ReminderKind.VOIDED:
            return [item.assignment.reviewer.user, *editors]
        return [item.assignment.reviewer.user]


def _addresses(users: Iterable[AbstractBaseUser], item: Owed) -> list[str]:
    addresses = []
    for user in users:
        if user.is_active and user.email:
            addresses.append(user.email)
        else:
            logger.warning(
                "event=email_recipient_skipped kind=%s assignment=%s user=%s why=%s",
                item.kind,
                item.assignment.pk,
                user.pk,
                "inactive" if not user.is_active else "no_email_address",
            )
    return addresses


def _deliver(item: Owed, *, recipients: _Recipients, system: AbstractBaseUser, now: datetime.datetime) -> str:
    addresses = _addresses(recipients.for_item(item), item)
    if not addresses:
        return NO_RECIPIENT
    subject, body = render_email(item, now=now)
    message = EmailMessage(subject=subject, body=body, to=addresses)
    try:
        sent = _claim_and_send(item, message, system=system)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning(
            "event=email_failed kind=%s assignment=%s error=%r; the next run tries again",
            item.kind,
            item.assignment.pk,
            error,
        )
        return FAILED
    if not sent:
        return ALREADY_SENT
    logger.info(
        "event=email_sent kind=%s assignment=%s period=%s recipients=%d",
        item.kind,
        item.assignment.pk,
        item.period_key,
        len(addresses),
    )
    return item.kind.value


def _claim_and_send(item: Owed, message: EmailMessage, *, system: AbstractBaseUser) -> bool:
    """Send ``message`` unless its ReminderLog key is already taken; returns whether it was sent.

    The key is claimed by inserting its row, the email is sent, and only then does the
    transaction commit. A concurrent run claiming the same key waits on the unique index until
    this transaction ends, then finds the key taken (and skips) or free again (this send failed
    and rolled back, so it sends). A failure to send therefore leaves the email owed, never
    recorded as sent.

    The one gap is at-least-once, not exactly-once: if the process dies, or the database
    connection is lost, after the mail server accepted the email but before the commit, the claim
    is rolled back and the next run sends the email again. No scheme can close that gap without
    the mail server taking part in the transaction; a duplicate reminder is the lesser harm than
    a lost one.
    """
    with audit(actor=system, reason=f"Email sent: {item.kind.label}"), transaction.atomic():
        try:
            with transaction.atomic():
                ReminderLog.objects.create(
                    assignment=item.assignment,
                    kind=item.kind,
                    period_key=item.period_key,
                    sent_at=timezone.now(),
                )
        except IntegrityError:
            return False
        message.send()
    return True


# --- The emails ---------------------------------------------------------------------------------


def render_email(item: Owed, *, now: datetime.datetime) -> tuple[str, str]:
    """The subject and plain-text body of an email, from ``editorial/email/<kind>_subject.txt``
    and ``<kind>_body.txt``."""
    assignment = item.assignment
    context = _context(assignment, now=now)
    name = f"editorial/email/{item.kind.value}"
    subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
    body = render_to_string(f"{name}_body.txt", context).strip() + "\n"
    return subject, body


_CANCELLATION_REASONS = {
    RoundOutcome.SUPERSEDED: "the editors wrote a newer version, so this one will not be reviewed",
    RoundOutcome.WITHDRAWN: "the editors withdrew the article from review",
    RoundOutcome.CHANGES_REQUESTED: "another reviewer requested changes, which closed the review round",
    RoundOutcome.REJECTED: "another reviewer rejected the text, which closed the review round",
    RoundOutcome.APPROVED: "the version was approved by the other reviewers",
}


_DECISIONS = {
    Decision.APPROVE: "Approved",
    Decision.REQUEST_CHANGES: "Changes requested",
    Decision.REJECT: "Rejected",
}


def _context(assignment: ReviewAssignment, *, now: datetime.datetime) -> dict[str, Any]:
    round = assignment.round
    overdue = now - assignment.due_at
    return {
        "assignment": assignment,
        "reviewer": assignment.reviewer,
        "round": round,
        "article": round.article,
        "version": round.version,
        "days_overdue": max(overdue.days, 0),
        "hours_left": max(int((assignment.due_at - now).total_seconds() // 3600), 0),
        # A round still open means only this assignment was cancelled: it was reassigned.
        "cancellation_reason": (
            assignment.cancel_reason.rstrip(".")
            or _CANCELLATION_REASONS.get(round.outcome, "the review was given to another member")
        ),
        "decision": _DECISIONS.get(assignment.decision, assignment.get_decision_display()),
        "is_re_review": round.trigger == RoundTrigger.RE_REVIEW,
        "status_after": _status_after_decision(assignment),
        "review_url": _review_url(assignment),
    }


_OUTCOME_OF_DECISION = {
    RoundOutcome.APPROVED: "approved: this version is now the one readers see",
    RoundOutcome.CHANGES_REQUESTED: "with changes requested",
    RoundOutcome.REJECTED: "rejected, and back in draft",
}


def _status_after_decision(assignment: ReviewAssignment) -> str:
    """What the decision did to the article, whenever the email is sent: a decision that closed
    the round closed it at the instant it was made."""
    round = assignment.round
    if round.closed_at is not None and round.closed_at == assignment.decided_at:
        return _OUTCOME_OF_DECISION.get(round.outcome, round.get_outcome_display().lower())
    if assignment.decision == Decision.APPROVE:
        # The approvals standing at the moment of this decision, whenever the email goes out.
        upto = round.assignments.standing_approvals().filter(decided_at__lte=assignment.decided_at)
        given = upto.count()
        needs_specialist = round.article.risk_level == RiskLevel.HIGH
        if (
            given >= round.required_approvals
            and needs_specialist
            and not upto.filter(decided_as_specialist=True).exists()
        ):
            return (
                f"still under review: as a high-risk article it needs the approval of a member of "
                f"{round.article.specialty.name}, and none of the {given} approvals so far is one"
            )
        return f"still under review: {given} of the {round.required_approvals} approvals it needs"
    return "unchanged"


def _review_url(assignment: ReviewAssignment) -> str:
    """The review page in the review desk, which the reviewer and the editors-in-chief can open."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL + reverse("admin:editorial_reviewassignment_change", args=[assignment.pk])
