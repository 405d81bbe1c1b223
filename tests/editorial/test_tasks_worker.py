"""The scheduled work end to end: real Celery workers (subprocesses) on the Redis broker and the
PostgreSQL test database, killed mid-run, running in pairs, and a broker that is down.

Workers run at the real time, so the tests build their data in the past with time-machine.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from contextlib import contextmanager
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from kombu.pools import ProducerPool

from articles.models import ArticleStatus as S
from config.celery import app
from editorial.models import ReminderLog, ReviewRound, RoundTrigger
from editorial.tasks import mark_stale_articles, send_review_reminders
from reviewers.services import get_system_user
from tests.editorial.conftest import assign, refreshed, submit
from tests.editorial.scheduling import approved_long_ago, due_articles
from tests.editorial.workers import Workers, purge_default_queue
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory
from tests.helpers import client_for
from tests.markers import requires_postgres, requires_redis

pytestmark = [requires_postgres, requires_redis, pytest.mark.django_db(transaction=True)]

HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)


@pytest.fixture
def workers(tmp_path):
    purge_default_queue()
    yield Workers(tmp_path)
    purge_default_queue()


@pytest.fixture
def member(oncology):
    return BoardMemberFactory(specialties=[oncology], max_open_reviews=20)


def review_made(article, member, *, ago: datetime.timedelta, due_in: datetime.timedelta):
    """Submit ``article`` and assign ``member``, ``ago`` before now, due ``due_in`` from now."""
    now = timezone.now()
    with time_machine.travel(now - ago):
        submit(article)
        return assign(article, member, due_at=now + due_in)


def kinds_sent(workers):
    """(recipient, first word of the subject, article title) of each email sent."""
    return Counter(
        (email["to"][0], email["subject"].split(":")[0], email["subject"]) for email in workers.emails
    )


def expiry_rows(article):
    return article.history.filter(status=S.EXPIRED).count()


# --- Each task end to end ---------------------------------------------------------------------------


def test_a_worker_sends_the_reminders_and_notifications_owed_and_a_second_run_nothing(
    workers, oncology, editor, member
):
    chief = ChiefFactory()
    overdue, due_soon, escalated = (ArticleFactory(specialty=oncology, actor=editor) for _ in range(3))
    review_made(overdue, member, ago=8 * DAY, due_in=-DAY)
    review_made(due_soon, member, ago=2 * DAY, due_in=30 * HOUR)
    review_made(escalated, member, ago=6 * DAY, due_in=-4 * DAY)
    reviewer = member.user.email

    with workers.running():
        send_review_reminders.delay()
        workers.wait_for(lambda: len(workers.task_lines("send_review_reminders")) == 1, what="the sweep")
        workers.wait_for(lambda: len(workers.emails) >= 6, what="six emails")
        send_review_reminders.delay()
        workers.wait_for(lambda: len(workers.task_lines("send_review_reminders")) == 2, what="a second sweep")

    assert sorted((to, kind) for to, kind, _ in kinds_sent(workers)) == sorted(
        [
            (reviewer, "Review overdue"),  # made too long ago for its assignment to be announced
            (reviewer, "Review requested"),
            (reviewer, f"Review due {(timezone.now() + 30 * HOUR):%-d %B}"),
            (reviewer, "Review requested"),
            (reviewer, "Review overdue"),
            (chief.email, "Escalation"),
        ]
    )
    assert max(kinds_sent(workers).values()) == 1
    second = workers.task_lines("send_review_reminders")[1]
    assert {
        kind: second[kind] for kind in ("assigned", "due_soon", "overdue", "escalation")
    } == dict.fromkeys(("assigned", "due_soon", "overdue", "escalation"), "0")
    assert ReminderLog.objects.count() == 6


def test_a_worker_expires_due_approvals_opens_their_re_reviews_and_tells_the_reviewers(
    workers, oncology, editor, member
):
    due = due_articles(3, specialty=oncology, editor=editor, member=member)
    not_due = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), member, days_ago=300)
    purge_default_queue()

    with workers.running():
        mark_stale_articles.delay()
        workers.wait_for(lambda: workers.task_lines("mark_stale_articles"), what="the sweep")
        workers.wait_for(lambda: len(workers.emails) == 3, what="three emails")

    (line,) = workers.task_lines("mark_stale_articles")
    assert (line["expired"], line["re_reviews_opened"], line["re_reviews_remaining"]) == ("3", "3", "0")
    system = get_system_user()
    for article in due:
        article = refreshed(article)
        assert article.status == S.UNDER_REVIEW
        (row,) = article.history.filter(status=S.EXPIRED)
        assert row.history_user == system and "Review date passed" in row.history_change_reason
        (round,) = ReviewRound.objects.filter(article=article, trigger=RoundTrigger.RE_REVIEW)
        assert round.assignments.get().reviewer == member
    assert refreshed(not_due).status == S.APPROVED
    assert sorted(email["subject"] for email in workers.emails) == sorted(
        f"Review requested: {article.title} (version 1)" for article in due
    )
    assert (
        "has reached its review date, and you have been asked to review it again" in workers.emails[0]["body"]
    )
    # The re-reviews' notifications went through the queue, not the next reminder sweep.
    assert sum(int(line["assigned"]) for line in workers.task_lines("deliver_notifications")) == 3


def test_an_assignment_made_through_the_api_reaches_the_reviewer_through_the_worker(workers, world):
    submit(world.article)
    member = world.members[0]

    with workers.running():
        response = client_for(world.editor).post(
            "/api/v1/articles/phesgo/assignments/", {"reviewer": member.pk}, format="json"
        )
        assert response.status_code == 201
        workers.wait_for(lambda: workers.emails, what="the email")

    (email,) = workers.emails
    assert (email["to"], email["subject"]) == (
        [member.user.email],
        f"Review requested: {world.article.title} (version 1)",
    )


# --- Two workers at once ------------------------------------------------------------------------------


def test_two_workers_running_the_reminders_at_once_send_each_email_once(workers, oncology, editor, member):
    for _ in range(4):
        review_made(ArticleFactory(specialty=oncology, actor=editor), member, ago=2 * DAY, due_in=-HOUR)
    purge_default_queue()  # no fast path: both sweeps find all eight emails owed

    with workers.running(2, EMAIL_SEND_SECONDS="0.1"):
        send_review_reminders.delay()
        send_review_reminders.delay()
        workers.wait_for(lambda: len(workers.task_lines("send_review_reminders")) == 2, what="both sweeps")
        # The sweeps queue the emails; the send_emails tasks send them after.
        workers.wait_for(lambda: len(workers.emails) >= 8, what="eight emails")

    lines = workers.task_lines("send_review_reminders")
    assert sum(int(line["assigned"]) + int(line["overdue"]) for line in lines) == 8
    assert len(workers.emails) == len(kinds_sent(workers)) == 8
    assert ReminderLog.objects.count() == 8


def test_two_workers_sharing_the_sweep_expire_and_re_review_each_article_once(workers, oncology, editor):
    members = [BoardMemberFactory(specialties=[oncology], max_open_reviews=20) for _ in range(2)]
    due = [
        approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), members[index % 2])
        for index in range(10)
    ]
    purge_default_queue()

    with workers.running(2, STALENESS_BATCH_SIZE="2"):
        mark_stale_articles.delay()
        mark_stale_articles.delay()
        workers.wait_for(lambda: len(workers.task_lines("mark_stale_articles")) == 2, what="both sweeps")
        workers.wait_for(lambda: len(workers.emails) == 10, what="ten emails")

    lines = workers.task_lines("mark_stale_articles")
    assert sum(int(line["expired"]) for line in lines) == 10
    for article in due:
        assert refreshed(article).status == S.UNDER_REVIEW
        assert expiry_rows(article) == 1
        (round,) = ReviewRound.objects.filter(article=article, trigger=RoundTrigger.RE_REVIEW)
        assert round.assignments.count() == 1
    assert len(kinds_sent(workers)) == 10


# --- A worker killed mid-run -------------------------------------------------------------------------


def test_a_reminder_run_killed_mid_run_is_run_again_with_no_duplicate_and_nothing_missing(
    workers, oncology, editor, member
):
    for _ in range(5):
        review_made(ArticleFactory(specialty=oncology, actor=editor), member, ago=8 * DAY, due_in=-HOUR)
    purge_default_queue()

    with workers.running(CRASH_AT_EMAIL="3"):
        send_review_reminders.delay()
        workers.wait_for(lambda: workers.task_lines("send_emails"), what="the run after the crash")

    assert workers.crash_marker.exists()
    assert "WorkerLostError" in workers.log  # the pool process died mid-run; the task went back on the queue
    (sweep,) = workers.task_lines("send_review_reminders")
    assert sweep["overdue"] == "5"  # claimed and queued in one outbox message
    (line,) = workers.task_lines("send_emails")  # the run after the crash; the killed one logged nothing
    assert (line["sent"], line["already_sent"]) == ("3", "2")  # the two sent before the crash: not again
    assert len(workers.emails) == len(kinds_sent(workers)) == 5
    assert ReminderLog.objects.filter(kind="overdue").count() == 5


def test_a_run_whose_worker_vanished_is_taken_over_by_another_worker(workers, oncology, editor, member):
    for _ in range(5):
        review_made(ArticleFactory(specialty=oncology, actor=editor), member, ago=8 * DAY, due_in=-HOUR)
    purge_default_queue()

    # The whole worker dies mid-run (the task runs in its own process), leaving the task taken
    # but unacknowledged; once the visibility timeout passes the broker hands it to another.
    with workers.running(pool="solo", CRASH_AT_EMAIL="3") as (lost,):
        send_review_reminders.delay()
        workers.wait_for(lambda: lost.process.poll() is not None, what="the worker to die")
    with workers.running():
        workers.wait_for(lambda: workers.task_lines("send_emails"), what="the run taken over")

    assert workers.crash_marker.exists()
    (line,) = workers.task_lines("send_emails")
    assert (line["sent"], line["already_sent"]) == ("3", "2")
    assert len(workers.emails) == len(kinds_sent(workers)) == 5
    assert ReminderLog.objects.filter(kind="overdue").count() == 5


@pytest.mark.parametrize(
    "crash_after",
    [
        pytest.param("editorial.staleness.expiry:_expire_batch:1", id="after-the-first-expiry-batch"),
        pytest.param("editorial.staleness.re_review:_open_re_review:2", id="after-two-re-reviews"),
    ],
)
def test_a_sweep_killed_mid_run_is_run_again_with_no_duplicate_and_nothing_missing(
    workers, oncology, editor, member, crash_after
):
    due = due_articles(5, specialty=oncology, editor=editor, member=member)
    purge_default_queue()

    with workers.running(CRASH_AFTER=crash_after, STALENESS_BATCH_SIZE="2"):
        mark_stale_articles.delay()
        workers.wait_for(lambda: workers.task_lines("mark_stale_articles"), what="the run after the crash")
        workers.wait_for(lambda: len(workers.emails) == 5, what="five emails")

    assert workers.crash_marker.exists()
    assert "WorkerLostError" in workers.log
    for article in due:
        assert refreshed(article).status == S.UNDER_REVIEW
        assert expiry_rows(article) == 1
        (round,) = ReviewRound.objects.filter(article=article, trigger=RoundTrigger.RE_REVIEW)
        assert round.assignments.count() == 1
    assert len(kinds_sent(workers)) == 5


# --- The broker down during a workflow step -------------------------------------------------------------


@contextmanager
def broker_unreachable():
    """Publishing goes to a port where no broker listens, as when Redis is down."""
    dead = app.connection_for_write("redis://127.0.0.1:1/0")
    pool = ProducerPool(dead.Pool(limit=1), limit=1)
    try:
        with mock.patch.object(app.amqp, "_producer_pool", pool):
            yield
    finally:
        pool.force_close_all()


def test_with_the_broker_down_the_api_call_succeeds_and_the_next_sweep_sends_the_email(
    workers, world, caplog
):
    submit(world.article)
    member = world.members[0]
    purge_default_queue()

    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="editorial.outbox.publisher"):
        response = client_for(world.editor).post(
            "/api/v1/articles/phesgo/assignments/", {"reviewer": member.pk}, format="json"
        )

    assert response.status_code == 201
    # Refused, or still retrying when the budget ran out: either way left to the relay.
    assert "event=outbox_publish_failed" in caplog.text or "event=outbox_publish_over_budget" in caplog.text
    with workers.running():
        send_review_reminders.delay()
        workers.wait_for(lambda: workers.task_lines("send_review_reminders"), what="the sweep")
        # The sweep queues the email to the outbox; a second task sends it, so the worker must
        # stay up until it has.
        workers.wait_for(lambda: workers.task_lines("send_emails"), what="the email's delivery")

    (line,) = workers.task_lines("send_review_reminders")
    assert line["assigned"] == "1"
    assert workers.task_lines("deliver_notifications") == []
    (email,) = workers.emails
    assert (email["to"], email["subject"]) == (
        [member.user.email],
        f"Review requested: {world.article.title} (version 1)",
    )
