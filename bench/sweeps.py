"""The scheduled sweeps at volume: the reminder sweep (notifications, reminders, escalations), the
staleness sweep's expiry and its re-review opening, on N articles loaded with bulk inserts.

``build`` loads N articles under review, each with its first version, an open round and one open
assignment, made long before the notification catch-up window (so only reminders are owed): each
is overdue and every tenth is also past the escalation delay, so N assignments owe N overdue
reminders and N / 10 escalations. Besides them it loads ``expired`` approved articles whose review
date has passed, for the staleness sweep. The board's members (one per 500 assignments) have free
seats, so the re-reviews can be assigned.

What the runs measure:

- the reminder sweep (``editorial.reminders.send_review_reminders``) with the outbox held back
  (nothing is published; the emails stay in the outbox as a worker would find them): seconds,
  microseconds and statements per email; then, its claims deleted, the same sweep again under
  ``tracemalloc`` for the peak of the Python heap it allocated;
- the outbox's consumer (``editorial.reminders.send_emails``) on the first messages, to Django's
  in-memory mail backend: milliseconds per email;
- the expiry (``editorial.staleness.expire_due_articles``), the ANALYZE ``mark_stale_articles``
  runs after it, and one bounded run of the re-review step (``open_re_reviews``): the
  candidate query and the statements per article.
"""

from __future__ import annotations

import datetime
import hashlib
import resource
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test import override_settings
from django.utils import timezone

from articles.models import Article, ArticleStatus, ArticleVersion
from bench.scratch_db import QueryCounter
from editorial import notifications, reminders, staleness
from editorial.models import AssignmentState, ReminderLog, ReviewAssignment, ReviewRound, RoundTrigger
from editorial.outbox import publisher
from editorial.outbox.models import OutboxMessage
from editorial.outbox.publisher import SEND_EMAILS
from reviewers.models import BoardMember, Specialty
from reviewers.roles import Role

CHUNK = 5000
PER_MEMBER = 500
DAY = datetime.timedelta(days=1)


@dataclass
class World:
    articles: int
    expired: int
    now: datetime.datetime


def build(*, articles: int, expired: int) -> World:
    """Load the articles under review with their rounds and assignments, and the due approvals."""
    User = get_user_model()
    now = timezone.now()
    editor = User.objects.create_user(username="bench-editor", password=None, email="editor@example.org")
    editor.groups.add(Group.objects.get_or_create(name=Role.EDITOR)[0])
    chief = User.objects.create_user(username="bench-chief", password=None, email="chief@example.org")
    chief.groups.add(Group.objects.get_or_create(name=Role.EDITOR_IN_CHIEF)[0])
    specialty = Specialty.objects.create(name="Medical oncology", slug="medical-oncology")
    board = Group.objects.get_or_create(name=Role.BOARD_MEMBER)[0]
    members = []
    for index in range(max(1, -(-articles // PER_MEMBER))):
        user = User.objects.create_user(
            username=f"bench-reviewer-{index}", password=None, email=f"reviewer-{index}@example.org"
        )
        user.groups.add(board)
        member = BoardMember.objects.create(
            user=user,
            display_name=f"Dr Reviewer {index}",
            credentials="MD",
            credentials_verified_until=(now + 365 * DAY).date(),
            max_open_reviews=PER_MEMBER + 100,
        )
        member.specialties.add(specialty)
        members.append(member)

    assigned_at = now - 30 * DAY
    for start in range(0, articles, CHUNK):
        indexes = range(start, min(start + CHUNK, articles))
        created = _articles(indexes, "review", specialty, editor, status=ArticleStatus.UNDER_REVIEW)
        versions = _versions(created, editor)
        rounds = ReviewRound.objects.bulk_create(
            ReviewRound(
                article=article,
                version=version,
                opened_by=editor,
                required_approvals=1,
                opened_at=assigned_at,
                trigger=RoundTrigger.SUBMISSION,
            )
            for article, version in zip(created, versions, strict=True)
        )
        ReviewAssignment.objects.bulk_create(
            ReviewAssignment(
                round=round,
                reviewer=members[index // PER_MEMBER],
                assigned_by=editor,
                assigned_at=assigned_at,
                # Every tenth is past the escalation delay (3 days); the others a day late.
                due_at=now - (5 * DAY if index % 10 == 0 else DAY),
                state=AssignmentState.PENDING,
            )
            for index, round in zip(indexes, rounds, strict=True)
        )
    long_ago = now - 400 * DAY
    for start in range(0, expired, CHUNK):
        created = _articles(
            range(start, min(start + CHUNK, expired)),
            "due",
            specialty,
            editor,
            status=ArticleStatus.APPROVED,
            reviewed=long_ago,
        )
        _versions(created, editor)
    version = ArticleVersion.objects.filter(article_id=OuterRef("pk")).values("pk")[:1]
    Article.objects.update(current_version=Subquery(version))
    Article.objects.filter(status=ArticleStatus.APPROVED).update(
        published_version=Subquery(version), last_decided_version=Subquery(version)
    )
    _analyse()
    return World(articles=articles, expired=expired, now=now)


def _articles(indexes, prefix, specialty, editor, *, status, reviewed=None) -> list[Article]:
    interval = datetime.timedelta(days=365)
    return Article.objects.bulk_create(
        Article(
            slug=f"bench-{prefix}-{index}",
            title=f"Benchmark question {prefix} {index}?",
            specialty=specialty,
            status=status,
            last_reviewed_at=reviewed,
            review_due_at=reviewed + interval if reviewed else None,
            created_by=editor,
        )
        for index in indexes
    )


def _versions(articles: list[Article], editor) -> list[ArticleVersion]:
    return ArticleVersion.objects.bulk_create(
        ArticleVersion(
            article=article,
            number=1,
            title=article.title,
            body=f"The answer to question {article.slug}, with its evidence.",
            author=editor,
            content_hash=hashlib.sha256(article.slug.encode()).hexdigest(),
        )
        for article in articles
    )


def _analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def autovacuum() -> str:
    """The server's autovacuum setting ("on"/"off"), or "n/a" off PostgreSQL."""
    if connection.vendor != "postgresql":
        return "n/a"
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0]


# --- The reminder sweep ------------------------------------------------------------------------------


@dataclass
class SweepFigures:
    emails: int
    seconds: float
    statements: int
    batches: int
    peak_heap_mb: float
    rss_growth_mb: float
    consumer_emails: int
    consumer_ms_per_email: float

    @property
    def us_per_email(self) -> float:
        return self.seconds / self.emails * 1e6 if self.emails else 0.0

    @property
    def statements_per_email(self) -> float:
        return self.statements / self.emails if self.emails else 0.0


def _forget_claims() -> None:
    ReminderLog.history.all().delete()
    ReminderLog.objects.all().delete()
    OutboxMessage.objects.filter(topic=SEND_EMAILS).delete()


@contextmanager
def _unpublished() -> Iterator[None]:
    """Nothing the outbox receives is published (a worker on the configured broker would look the
    ids up in the real database), as ``notifications.held_back`` does, but without keeping the
    messages in a list: a task run lets each batch's message go once it is committed, and so must
    the benchmark, or the memory it measures grows with the outbox payloads it holds."""
    with mock.patch.object(publisher.inline, "publish", lambda messages: []):
        yield


def reminder_sweep(world: World, *, consumer_emails: int = 2000, memory: bool = True) -> SweepFigures:
    """Time the sweep (statements counted), run it again under tracemalloc (unless not
    ``memory``), then feed the first ``consumer_emails`` queued emails to the consumer."""
    counter = QueryCounter()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with _unpublished(), connection.execute_wrapper(counter):
        started = time.perf_counter()
        counts = reminders.send_review_reminders(now=world.now, time_budget=10**9)
        seconds = time.perf_counter() - started
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    emails = sum(counts[kind] for kind in ("due_soon", "overdue", "escalation"))
    expected = world.articles + -(-world.articles // 10)
    if emails != expected or counts[reminders.MORE]:
        raise RuntimeError(f"The sweep queued {emails} reminders ({counts}); expected {expected}.")
    batches = OutboxMessage.objects.filter(topic=SEND_EMAILS).count()

    peak = 0
    if memory:
        _forget_claims()
        tracemalloc.start()
        with _unpublished():
            reminders.send_review_reminders(now=world.now, time_budget=10**9)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    sent, consumer_seconds = 0, 0.0
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for message in OutboxMessage.objects.filter(topic=SEND_EMAILS).order_by("pk").iterator():
            if sent >= consumer_emails:
                break
            started = time.perf_counter()
            sent += reminders.send_emails(**message.payload)["sent"]
            consumer_seconds += time.perf_counter() - started
    return SweepFigures(
        emails=emails,
        seconds=seconds,
        statements=counter.count,
        batches=batches,
        peak_heap_mb=peak / 2**20,
        rss_growth_mb=rss_growth,
        consumer_emails=sent,
        consumer_ms_per_email=consumer_seconds / sent * 1000 if sent else 0.0,
    )


# --- Expiry and re-review opening -----------------------------------------------------------------------


@dataclass
class StalenessFigures:
    expired: int
    expiry_seconds: float
    analyze_seconds: float
    re_review_limit: int
    re_review_seconds: float
    re_reviews_opened: int
    re_review_statements: int
    candidate_ms: float
    waiting_retried_with_full_board: int


def staleness_sweep(world: World, *, re_review_limit: int = 100) -> StalenessFigures:
    """Expire the due approvals, then ANALYZE (each timed), open up to
    ``re_review_limit`` re-reviews, then fill every seat and check that the waiting re-reviews
    are left alone."""
    with notifications.held_back():
        started = time.perf_counter()
        expiry = staleness.expire_due_articles(now=world.now)
        expiry_seconds = time.perf_counter() - started
        # What mark_stale_articles runs between the expiry and the re-reviews.
        started = time.perf_counter()
        staleness.analyze_touched_tables()
        analyze_seconds = time.perf_counter() - started

        # The re-review step's candidate query, as open_re_reviews runs it.
        started = time.perf_counter()
        staleness.re_review_candidates(limit=re_review_limit)
        candidate_ms = (time.perf_counter() - started) * 1000

        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = staleness.open_re_reviews(limit=re_review_limit)
            re_review_seconds = time.perf_counter() - started

        # A full board: every member's limit down to their open reviews. The re-reviews opened
        # now wait for a reviewer, and none of the waiting ones is retried.
        open_states = (AssignmentState.PENDING, AssignmentState.ACCEPTED)
        # (By update: a member's save() re-checks the standing of every review they hold.)
        for member in BoardMember.objects.all():
            held = ReviewAssignment.objects.filter(reviewer=member, state__in=open_states).count()
            BoardMember.objects.filter(pk=member.pk).update(max_open_reviews=max(1, held))
        # (A few: with no seat free, each opening weighs every member of the board in vain.)
        staleness.open_re_reviews(limit=5)
        full = staleness.open_re_reviews(limit=5)
    return StalenessFigures(
        expired=expiry.expired,
        expiry_seconds=expiry_seconds,
        analyze_seconds=analyze_seconds,
        re_review_limit=re_review_limit,
        re_review_seconds=re_review_seconds,
        re_reviews_opened=result.opened,
        re_review_statements=counter.count,
        candidate_ms=candidate_ms,
        waiting_retried_with_full_board=full.retried,
    )
