"""Telling people when a review round is stuck, exactly once per cause.

A round is **stuck** when it is short of reviewers or needs a specialist (``selectors``) and either
nobody eligible is free to fill the gap, or it has stayed that way for ``STAFFING_ALERT_GRACE_HOURS``
since it opened (the editors have not assigned anyone). Who is told, and when:

- ``round_short`` / ``round_needs_specialist``: a stuck round, by its cause; to the
  editors-in-chief and the article's editors; once per round and cause;
- ``stuck_digest``: the rounds still stuck since an earlier day; to each of those people, one
  email listing theirs; once per UTC day;
- ``expired_with_draft``: an expired approval whose editors wrote a newer version (the re-review
  waits for them to submit it); to the article's editors; once per expiry.

What is owed is worked out from the database, like the reminders: the periodic sweep
(``send_staffing_alerts``) finds everything, and a step that leaves a round short queues the same
work for that round through the outbox (``notify_if_stuck``) so that it goes out at once. Each email
is claimed by inserting its ``StaffingAlert`` row, sent, then committed; a concurrent sweep waits on
the unique key and skips.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from articles.models import Article, ArticleStatus
from config.audit import audit
from editorial.models import ReviewRound
from editorial.outbox import services as outbox
from editorial.outbox.publisher import ALERT_STUCK_ROUNDS
from editorial.staffing.models import AlertKind, StaffingAlert
from editorial.staffing.selectors import Staffing, StaffingState, round_staffing, rounds_with_staffing
from reviewers.roles import Role, is_system_user
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

ONCE = "once"
_CAUSE = {
    StaffingState.SHORT: AlertKind.ROUND_SHORT,
    StaffingState.NEEDS_SPECIALIST: AlertKind.ROUND_NEEDS_SPECIALIST,
}


def notify_if_stuck(round: ReviewRound) -> None:
    """Owe, with the current change, a check of whether ``round`` is now stuck (the outbox sends
    it after the commit; the worker works out what is owed)."""
    outbox.enqueue(topic=ALERT_STUCK_ROUNDS, payload={"round_ids": [round.pk]})


def open_rounds_not_staffed() -> QuerySet[ReviewRound]:
    return (
        rounds_with_staffing(ReviewRound.objects.open())
        .exclude(staffing=StaffingState.STAFFED)
        .select_related("article__specialty", "article__created_by", "opened_by", "version")
        .defer("version__body")
        .order_by("opened_at", "pk")
    )


def stuck(staffing: Staffing, *, now: datetime.datetime) -> bool:
    """Whether nobody can fill the gap now, or it has lasted past the grace period."""
    grace = datetime.timedelta(hours=settings.STAFFING_ALERT_GRACE_HOURS)
    return staffing.state != StaffingState.STAFFED and (
        not staffing.candidates or staffing.round.opened_at <= now - grace
    )


@dataclass
class Alert:
    kind: str
    subject: str
    period_key: str
    recipients: list[AbstractBaseUser]
    context: dict[str, Any] = field(default_factory=dict)


class _People:
    """The editors-in-chief (read once per run) and each article's editors."""

    def __init__(self) -> None:
        self._chiefs: list[AbstractBaseUser] | None = None

    def chiefs(self) -> list[AbstractBaseUser]:
        if self._chiefs is None:
            self._chiefs = list(
                get_user_model()
                .objects.filter(groups__name=Role.EDITOR_IN_CHIEF, is_active=True)
                .order_by("pk")
                .distinct()
            )
        return self._chiefs

    @staticmethod
    def editors(article: Article, round: ReviewRound | None = None) -> list[AbstractBaseUser]:
        people = {article.created_by.pk: article.created_by}
        if round is not None:
            people.setdefault(round.opened_by.pk, round.opened_by)
        return [user for user in people.values() if not is_system_user(user)]

    def for_round(self, round: ReviewRound) -> list[AbstractBaseUser]:
        people = {user.pk: user for user in (*self.chiefs(), *self.editors(round.article, round))}
        return list(people.values())


def owed_alerts(*, now: datetime.datetime, round_ids: Iterable[int] | None = None) -> Iterator[Alert]:
    """Every staffing alert owed at ``now`` and not sent yet (for the given rounds only, when
    ``round_ids`` is given: the fast path, which sends no digest)."""
    people = _People()
    rounds = open_rounds_not_staffed()
    if round_ids is not None:
        rounds = rounds.filter(pk__in=list(round_ids))
    stuck_rounds = []
    for round in rounds:
        staffing = round_staffing(round)
        if not stuck(staffing, now=now):
            continue
        stuck_rounds.append(staffing)
        kind = _CAUSE[staffing.state]
        yield Alert(
            kind,
            f"round:{round.pk}",
            ONCE,
            people.for_round(round),
            {"staffing": staffing, "round": round, "article": round.article, "version": round.version},
        )
    if round_ids is None:
        yield from _digests(stuck_rounds, people=people, now=now)
        yield from _expired_with_draft(people=people)


def _digests(stuck_rounds: list[Staffing], *, people: _People, now: datetime.datetime) -> Iterator[Alert]:
    """One email per person per day listing their rounds still stuck since before today."""
    today = now.astimezone(datetime.UTC).date()
    start_of_day = datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.UTC)
    alerted_before_today = set(
        StaffingAlert.objects.filter(
            kind__in=list(_CAUSE.values()),
            sent_at__lt=start_of_day,
            subject__in=[f"round:{s.round.pk}" for s in stuck_rounds],
        ).values_list("subject", flat=True)
    )
    still_stuck = [s for s in stuck_rounds if f"round:{s.round.pk}" in alerted_before_today]
    by_person: dict[int, list[Staffing]] = defaultdict(list)
    users: dict[int, AbstractBaseUser] = {}
    for staffing in still_stuck:
        for user in people.for_round(staffing.round):
            by_person[user.pk].append(staffing)
            users[user.pk] = user
    for pk, rounds in by_person.items():
        yield Alert(
            AlertKind.STUCK_DIGEST,
            f"user:{pk}",
            today.isoformat(),
            [users[pk]],
            {"stuck": rounds, "user": users[pk]},
        )


def _expired_with_draft(*, people: _People) -> Iterator[Alert]:
    """Expired approvals whose editors wrote a newer version: the re-review waits for them."""
    articles = (
        Article.objects.filter(status=ArticleStatus.EXPIRED, published_version__isnull=False)
        .exclude(current_version_id=F("published_version_id"))
        .select_related("created_by", "current_version", "published_version", "specialty")
        .order_by("pk")
    )
    for article in articles:
        yield Alert(
            AlertKind.EXPIRED_WITH_DRAFT,
            f"article:{article.pk}",
            (article.review_due_at or article.updated_at).date().isoformat(),
            people.editors(article),
            {"article": article},
        )


# --- Sending ----------------------------------------------------------------------------------


def send_staffing_alerts(
    *, now: datetime.datetime | None = None, round_ids: Iterable[int] | None = None
) -> dict[str, int]:
    """Send every staffing alert owed (for ``round_ids`` only, when given); returns how many of
    each kind went out, and ``already_sent``, ``no_recipient`` and ``failed``."""
    now = now or timezone.now()
    counts: Counter[str] = Counter({kind: 0 for kind in AlertKind.values})
    counts.update({"already_sent": 0, "no_recipient": 0, "failed": 0})
    system = get_system_user()
    for alert in owed_alerts(now=now, round_ids=round_ids):
        counts[_deliver(alert, system=system, now=now)] += 1
    return dict(counts)


def _deliver(alert: Alert, *, system: AbstractBaseUser, now: datetime.datetime) -> str:
    addresses = sorted({user.email for user in alert.recipients if user.is_active and user.email})
    if not addresses:
        logger.warning("event=staffing_alert_without_recipient kind=%s subject=%s", alert.kind, alert.subject)
        return "no_recipient"
    name = f"editorial/email/{alert.kind}"
    subject = " ".join(render_to_string(f"{name}_subject.txt", alert.context).split())
    body = (
        render_to_string(f"{name}_body.txt", {**alert.context, "site_url": settings.SITE_URL}).strip() + "\n"
    )
    try:
        with audit(actor=system, reason=f"Email sent: {AlertKind(alert.kind).label}"), transaction.atomic():
            try:
                with transaction.atomic():
                    StaffingAlert.objects.create(
                        kind=alert.kind,
                        subject=alert.subject,
                        period_key=alert.period_key,
                        recipients=len(addresses),
                        sent_at=now,  # the time the run judged it owed: the digests count from it
                    )
            except IntegrityError:
                return "already_sent"
            EmailMessage(subject=subject, body=body, to=addresses).send()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning(
            "event=email_failed kind=%s subject=%s error=%r; the next run tries again",
            alert.kind,
            alert.subject,
            error,
        )
        return "failed"
    logger.info(
        "event=email_sent kind=%s subject=%s recipients=%d", alert.kind, alert.subject, len(addresses)
    )
    return alert.kind
