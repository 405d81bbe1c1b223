"""The reminder sweep at volume: keyset batches, one claim statement per batch, emails built from
the batch's one query and handed to the outbox, whose consumer sends each once; a run that runs
out of time stops, and the next one resumes."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial import reminders
from editorial.models import ReminderKind, ReminderLog
from editorial.outbox.models import OutboxMessage
from editorial.outbox.publisher import SEND_EMAILS
from editorial.reminders.emails import render_email
from tests.editorial.conftest import assign, submit
from tests.editorial.mail import deliver_queued_emails
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
START = datetime.datetime(2030, 1, 7, 9, 0, tzinfo=datetime.UTC)
LATER = START + 20 * DAY  # past NOTIFICATION_CATCH_UP_DAYS: only the reminders are owed


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def overdue_reviews(count, *, specialty, editor, escalated=False):
    """``count`` open reviews, each due a day (or, ``escalated``, five days) before LATER."""
    member = BoardMemberFactory(specialties=[specialty], max_open_reviews=max(count, 1))
    due_at = LATER - (5 * DAY if escalated else DAY)
    assignments = []
    for _ in range(count):
        article = ArticleFactory(specialty=specialty, actor=editor)
        submit(article)
        assignments.append(assign(article, member, due_at=due_at))
    return assignments


def claim_inserts(queries):
    table = connection.ops.quote_name(ReminderLog._meta.db_table)
    return [query for query in queries if query["sql"].startswith(f"INSERT INTO {table}")]


def test_each_batch_is_claimed_with_one_statement(clock, oncology, editor):
    overdue_reviews(7, specialty=oncology, editor=editor)
    clock.move_to(LATER)

    with CaptureQueriesContext(connection) as captured:
        counts = reminders.send_review_reminders(batch_size=3)

    assert counts["overdue"] == 7
    inserts = claim_inserts(captured.captured_queries)
    assert len(inserts) == 3  # batches of 3, 3 and 1
    assert all("ON CONFLICT DO NOTHING RETURNING" in query["sql"] for query in inserts)
    assert OutboxMessage.objects.filter(topic=SEND_EMAILS).count() == 3
    assert ReminderLog.objects.filter(kind=ReminderKind.OVERDUE).count() == 7


def test_a_batch_of_fifty_costs_the_queries_of_a_batch_of_one(clock, oncology, editor):
    ChiefFactory()
    one = overdue_reviews(1, specialty=oncology, editor=editor, escalated=True)
    clock.move_to(LATER)
    with CaptureQueriesContext(connection) as single:
        counts = reminders.send_review_reminders()
    assert (counts["overdue"], counts["escalation"]) == (1, 1)
    assert len(one) == 1
    deliver_queued_emails()

    clock.move_to(START)
    overdue_reviews(50, specialty=oncology, editor=editor, escalated=True)
    clock.move_to(LATER + DAY)  # a new day: the first review owes its overdue reminder again

    with CaptureQueriesContext(connection) as fifty:
        counts = reminders.send_review_reminders()

    assert (counts["overdue"], counts["escalation"]) == (51, 50)
    assert len(fifty.captured_queries) <= len(single.captured_queries)


def test_the_consumer_sends_each_email_once_to_its_recipients(clock, oncology, editor, mailoutbox):
    chief = ChiefFactory()
    (review,) = overdue_reviews(1, specialty=oncology, editor=editor, escalated=True)
    clock.move_to(LATER)
    reminders.send_review_reminders()
    assert mailoutbox == []  # the sweep only queued them

    messages = OutboxMessage.objects.filter(topic=SEND_EMAILS)
    assert len(messages) == 2  # one batch of each kind
    first = [reminders.send_emails(**message.payload) for message in messages]
    again = [reminders.send_emails(**message.payload) for message in messages]  # published twice

    assert [counts["sent"] for counts in first] == [1, 1]
    assert [(counts["sent"], counts["already_sent"]) for counts in again] == [(0, 1), (0, 1)]
    title = review.round.article.title
    assert sorted((email.to, email.subject.split(":")[0]) for email in mailoutbox) == [
        ([chief.email], "Escalation"),
        ([review.reviewer.user.email], "Review overdue"),
    ]
    (overdue,) = [email for email in mailoutbox if email.subject.startswith("Review overdue")]
    assert overdue.subject == f"Review overdue: {title}"
    assert "is 5 days late" in overdue.body
    assert not ReminderLog.objects.filter(delivered_at__isnull=True).exists()


def test_a_run_out_of_time_stops_between_batches_and_the_next_run_resumes(
    clock, oncology, editor, mailoutbox
):
    overdue_reviews(5, specialty=oncology, editor=editor)
    clock.move_to(LATER)
    seconds = [0]

    def slow_render(item, *, now):
        seconds[0] += 1  # each email takes a second to render
        return render_email(item, now=now)

    # The budget of 3.5 s lets two batches of two start.
    with (
        mock.patch("editorial.reminders.sweep.time.monotonic", side_effect=lambda: seconds[0]),
        mock.patch("editorial.reminders.sweep.render_email", side_effect=slow_render),
    ):
        first = reminders.send_review_reminders(batch_size=2, time_budget=3.5)
    second = reminders.send_review_reminders(batch_size=2)
    deliver_queued_emails()

    assert (first["overdue"], first["more"]) == (4, 1)
    assert (second["overdue"], second["already_sent"], second["more"]) == (1, 0, 0)
    assert len(mailoutbox) == len({tuple(email.to) + (email.subject,) for email in mailoutbox}) == 5
    assert ReminderLog.objects.filter(kind=ReminderKind.OVERDUE).count() == 5


def test_the_task_queues_the_next_run_when_the_budget_ran_out():
    from editorial import tasks

    with (
        mock.patch("editorial.reminders.send_review_reminders", return_value={"overdue": 4, "more": 1}),
        mock.patch.object(tasks.send_review_reminders, "delay") as queued,
    ):
        tasks.send_review_reminders()
    assert queued.call_count == 1
