"""The sweep: what is owed, claimed and queued to the outbox batch by batch (step 1 of the
package's docstring)."""

from __future__ import annotations

import datetime
import itertools
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from editorial.models import (
    ReminderKind,
    ReminderLog,
    ReviewAssignment,
)
from editorial.outbox import services as outbox
from editorial.outbox.publisher import SEND_EMAILS
from editorial.reminders.delivery import ALREADY_SENT
from editorial.reminders.emails import Owed, render_email
from editorial.reminders.owed import (
    NOTIFICATION_KINDS,
    REMINDER_KINDS,
    email_assignments,
    notification_queries,
    reminder_queries,
)
from reviewers.roles import Role, is_system_user
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


# What a run reports, besides the kind of each email queued.
NO_RECIPIENT = "no_recipient"
REQUEUED = "requeued"
MORE = "more"


# --- The sweep: claim and queue, batch by batch -----------------------------------------------------


def send_review_reminders(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    time_budget: float | None = None,
) -> dict[str, int]:
    """Queue every notification and reminder owed at ``now`` (what the periodic sweep does), and
    hand over again the emails claimed long ago and never delivered. Returns how many of each
    kind were queued, how many were ``already_sent`` (claimed by a concurrent run), had
    ``no_recipient`` with an email address or were ``requeued``; ``more`` is 1 when the time budget
    ran out before everything owed was queued (the next run resumes)."""
    now = now or timezone.now()
    sweep = _Sweep(now=now, batch_size=batch_size, time_budget=time_budget)
    for kind, key, queryset in [*notification_queries(now), *reminder_queries(now)]:
        if not sweep.run(kind, key, queryset):
            break
    else:
        sweep.requeue_undelivered()
    return sweep.result()


def send_notifications(
    *, assignment_ids: Sequence[int], now: datetime.datetime | None = None
) -> dict[str, int]:
    """Queue the notifications owed for these assignments (the fast path after a workflow step);
    counts as ``send_review_reminders``."""
    now = now or timezone.now()
    sweep = _Sweep(now=now, batch_size=None, time_budget=None)
    for kind, key, queryset in notification_queries(now, assignment_ids):
        sweep.run(kind, key, queryset)
    return sweep.result()


class _Sweep:
    """One run: its counts, its deadline, and what every batch shares (the system user, the
    editors-in-chief)."""

    def __init__(self, *, now: datetime.datetime, batch_size: int | None, time_budget: float | None) -> None:
        self.now = now
        self.batch_size = batch_size or settings.REMINDERS_BATCH_SIZE
        budget = settings.REMINDERS_TIME_BUDGET_SECONDS if time_budget is None else time_budget
        self.deadline = time.monotonic() + budget
        self.counts: Counter[str] = Counter(
            {kind.value: 0 for kind in (*NOTIFICATION_KINDS, *REMINDER_KINDS)}
            | dict.fromkeys((ALREADY_SENT, NO_RECIPIENT, REQUEUED, MORE), 0)
        )
        self.recipients = _Recipients()
        self.system = get_system_user()

    def result(self) -> dict[str, int]:
        return dict(self.counts)

    def _out_of_time(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.counts[MORE] = 1
            return True
        return False

    def run(self, kind: ReminderKind, key: str, queryset: QuerySet[ReviewAssignment]) -> bool:
        """Queue what ``queryset`` owes, batch by batch in primary-key order; returns False when
        the time budget ran out first.

        The owed ids are read once, as a stream (a server-side cursor on PostgreSQL), and each
        batch is loaded by primary key with the kind's conditions applied again (an assignment
        decided meanwhile is not reminded). Paging the owed query itself (``id > last ORDER BY id
        LIMIT n``) looked flat but was not: PostgreSQL reads it through the (state, due_at) index,
        so every page fetched and sorted every owed row after the cursor, and 100,000 owed
        reminders took 2 ms each instead of 0.3-0.4 ms at 2,000 and 10,000."""
        ids = queryset.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=self.batch_size)
        while chunk := list(itertools.islice(ids, self.batch_size)):
            if self._out_of_time():
                return False
            batch = list(queryset.filter(pk__in=chunk))
            if batch:
                self._queue([Owed(assignment, kind, key) for assignment in batch])
        return True

    def _queue(self, items: list[Owed], *, requeue: dict[tuple[int, str, str], int] | None = None) -> None:
        """Render the batch's emails, claim their keys and write them to the outbox, in one
        transaction (or, for ``requeue``, the keys' existing claims: only the outbox message)."""
        emails = []
        for item in items:
            addresses = _addresses(self.recipients.for_item(item), item)
            if not addresses:
                self.counts[NO_RECIPIENT] += 1
                continue
            subject, body = render_email(item, now=self.now)
            emails.append((item, {"to": addresses, "subject": subject, "body": body}))
        if not emails:
            return
        with transaction.atomic():
            if requeue is None:
                claimed = _claim_batch([item for item, _ in emails], system=self.system)
            else:
                claimed = requeue
            queued = []
            for item, email in emails:
                log = claimed.get((item.assignment.pk, item.kind.value, item.period_key))
                if log is None:
                    self.counts[ALREADY_SENT] += 1
                    continue
                queued.append({"log": log, **email})
                self.counts[REQUEUED if requeue is not None else item.kind.value] += 1
            if queued:
                outbox.enqueue(topic=SEND_EMAILS, payload={"emails": queued})
        logger.info(
            "event=emails_queued count=%d requeued=%s first_assignment=%s last_assignment=%s",
            len(queued),
            requeue is not None,
            items[0].assignment.pk,
            items[-1].assignment.pk,
        )

    def requeue_undelivered(self) -> None:
        """Hand to the outbox again the emails claimed more than REMINDERS_REDELIVER_AFTER_MINUTES
        ago (and within NOTIFICATION_CATCH_UP_DAYS) that no consumer delivered: the mail server
        refused them, or the outbox message was lost. A consumer that still holds one finds it
        delivered and sends nothing twice."""
        before = self.now - datetime.timedelta(minutes=settings.REMINDERS_REDELIVER_AFTER_MINUTES)
        since = self.now - datetime.timedelta(days=settings.NOTIFICATION_CATCH_UP_DAYS)
        undelivered = ReminderLog.objects.filter(
            delivered_at__isnull=True, sent_at__lte=before, sent_at__gte=since
        ).order_by("pk")
        cursor = 0
        while not self._out_of_time():
            logs = list(
                undelivered.filter(pk__gt=cursor).values("pk", "assignment_id", "kind", "period_key")[
                    : self.batch_size
                ]
            )
            if not logs:
                return
            cursor = logs[-1]["pk"]
            assignments = email_assignments().in_bulk([log["assignment_id"] for log in logs])
            keys = {(log["assignment_id"], log["kind"], log["period_key"]): log["pk"] for log in logs}
            items = [
                Owed(assignments[log["assignment_id"]], ReminderKind(log["kind"]), log["period_key"])
                for log in logs
            ]
            self._queue(items, requeue=keys)


def _claim_batch(items: list[Owed], *, system: AbstractBaseUser) -> dict[tuple[int, str, str], int]:
    """Claim the items' ReminderLog keys in one statement (``INSERT ... ON CONFLICT DO NOTHING
    RETURNING``, on PostgreSQL and SQLite alike) and write the claimed rows' history rows in one
    more; returns the claimed keys with their row ids. A key another run holds is not returned:
    a concurrent run's uncommitted claim makes this statement wait for its transaction, then skip
    the key if that run committed."""
    sent_at = timezone.now()
    q = connection.ops.quote_name
    table = ReminderLog._meta
    columns = [table.get_field(name).column for name in ("assignment", "kind", "period_key", "sent_at")]
    rows, params = [], []
    stamp = connection.ops.adapt_datetimefield_value(sent_at)
    for item in items:
        rows.append("(%s, %s, %s, %s)")
        params += [item.assignment.pk, item.kind.value, item.period_key, stamp]
    returning = [table.pk.column, *columns[:3]]
    sql = (
        f"INSERT INTO {q(table.db_table)} ({', '.join(map(q, columns))}) "  # noqa: S608 - model names
        f"VALUES {', '.join(rows)} ON CONFLICT DO NOTHING RETURNING {', '.join(map(q, returning))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = {(assignment, kind, key): pk for pk, assignment, kind, key in cursor.fetchall()}
    history = ReminderLog.history.model
    history.objects.bulk_create(
        history(
            id=pk,
            assignment_id=assignment,
            kind=kind,
            period_key=key,
            sent_at=sent_at,
            history_date=sent_at,
            history_type="+",
            history_user_id=system.pk,
            history_change_reason=f"Email sent: {ReminderKind(kind).label}",
        )
        for (assignment, kind, key), pk in claimed.items()
    )
    return claimed


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


def _addresses(users: list[AbstractBaseUser], item: Owed) -> list[str]:
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
