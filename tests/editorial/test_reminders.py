"""Review reminders: due soon (once), overdue (once a day), escalation (once), each exactly once."""

from __future__ import annotations

import datetime
import logging
import smtplib
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from editorial import reminders, services
from editorial.models import ReminderKind, ReminderLog
from editorial.outbox.models import OutboxMessage
from editorial.outbox.publisher import SEND_EMAILS
from reviewers.services import get_system_user
from tests.editorial.conftest import approve, assign, in_review, submit
from tests.editorial.mail import deliver_queued_emails, send_review_reminders
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory
from tests.helpers import run_at_once
from tests.markers import requires_postgres

HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)
START = datetime.datetime(2030, 1, 7, 9, 0, tzinfo=datetime.UTC)  # a Monday; reviews are due a week later


@pytest.fixture(autouse=True)
def clock():
    """Time stands still at START unless a test moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def review(article, board_member, mailoutbox):
    """An assignment made at START, due a week later; its "assigned" email already sent."""
    (assignment,) = in_review(article, board_member)
    send_review_reminders()
    mailoutbox.clear()
    return assignment


def sent(counts):
    """The kinds of email a run sent, with how many of each."""
    return {kind: count for kind, count in counts.items() if kind in ReminderKind.values and count}


def logged(assignment):
    return list(
        ReminderLog.objects.filter(assignment=assignment).order_by("pk").values_list("kind", "period_key")
    )


@pytest.mark.django_db
class TestDueSoon:
    def test_the_reviewer_is_reminded_once_when_the_due_date_is_48_hours_away(
        self, clock, review, mailoutbox
    ):
        clock.move_to(review.due_at - 49 * HOUR)
        assert sent(send_review_reminders()) == {}

        clock.move_to(review.due_at - 47 * HOUR)
        first, second = send_review_reminders(), send_review_reminders()

        assert (sent(first), sent(second)) == ({"due_soon": 1}, {})
        (email,) = mailoutbox
        assert email.to == [review.reviewer.user.email]
        assert email.subject == f"Review due 14 January: {review.round.article.title}"
        assert "is due by Monday 14 January 2030, 09:00 UTC, in about 47 hours" in email.body
        assert logged(review)[-1] == ("due_soon", "once")

    @pytest.mark.parametrize(
        ("before_due", "words"),
        [
            (90 * MINUTE, "in about 1 hour."),
            (59 * MINUTE, "in less than an hour."),
        ],
    )
    def test_a_reminder_sent_late_says_how_little_time_is_left_in_words(
        self, clock, review, mailoutbox, before_due, words
    ):
        """A sweep that did not run for two days still sends the reminder; it does not say
        "in about 0 hours" or "1 hours"."""
        clock.move_to(review.due_at - before_due)
        send_review_reminders()

        (email,) = mailoutbox
        assert f"is due by Monday 14 January 2030, 09:00 UTC, {words}\n" in email.body

    def test_a_reviewer_given_less_notice_than_that_is_not_reminded_before_the_due_date(
        self, clock, article, board_member, mailoutbox
    ):
        submit(article)
        assignment = assign(article, board_member, due_at=START + 24 * HOUR)
        send_review_reminders()
        assert [email.subject.split(":")[0] for email in mailoutbox] == ["Review requested"]

        clock.move_to(START + 23 * HOUR)
        assert sent(send_review_reminders()) == {}
        clock.move_to(START + 25 * HOUR)
        assert sent(send_review_reminders()) == {"overdue": 1}
        assert [kind for kind, _ in logged(assignment)] == ["assigned", "overdue"]

    @override_settings(REVIEW_DUE_SOON_HOURS=24)
    def test_the_window_comes_from_the_settings(self, clock, review):
        clock.move_to(review.due_at - 47 * HOUR)
        assert sent(send_review_reminders()) == {}
        clock.move_to(review.due_at - 23 * HOUR)
        assert sent(send_review_reminders()) == {"due_soon": 1}


@pytest.mark.django_db
class TestOverdue:
    def test_an_overdue_review_is_reminded_once_a_day(self, clock, review, mailoutbox):
        clock.move_to(review.due_at + HOUR)
        assert [sent(send_review_reminders()) for _ in range(3)] == [{"overdue": 1}, {}, {}]
        clock.move_to(review.due_at + DAY + 2 * HOUR)
        assert [sent(send_review_reminders()) for _ in range(2)] == [{"overdue": 1}, {}]

        assert [email.subject for email in mailoutbox] == [
            f"Review overdue: {review.round.article.title}"
        ] * 2
        assert "was due on Monday 14 January 2030, 09:00 UTC and is 1 day late" in mailoutbox[1].body
        assert logged(review)[-2:] == [("overdue", "2030-01-14"), ("overdue", "2030-01-15")]

    def test_a_decided_or_cancelled_review_is_not_reminded(self, clock, oncology, editor, mailoutbox):
        decided, cancelled = (ArticleFactory(specialty=oncology, actor=editor) for _ in range(2))
        member = BoardMemberFactory(specialties=[oncology])
        (to_decide,) = in_review(decided, member)
        in_review(cancelled, member)
        approve(to_decide)
        services.withdraw(actor=editor, article=cancelled, reason="Not ready after all")
        send_review_reminders()
        mailoutbox.clear()

        clock.move_to(START + 30 * DAY)
        counts = send_review_reminders()

        assert sent(counts) == {}
        assert mailoutbox == []


@pytest.mark.django_db
class TestEscalation:
    @pytest.fixture
    def chiefs(self):
        return {
            "active": ChiefFactory(),
            "no_email": ChiefFactory(email=""),
            "inactive": ChiefFactory(is_active=False),
        }

    def test_the_editors_in_chief_are_told_once_a_review_is_three_days_overdue(
        self, clock, review, chiefs, mailoutbox, caplog
    ):
        clock.move_to(review.due_at + 3 * DAY - HOUR)
        assert "escalation" not in sent(send_review_reminders())

        clock.move_to(review.due_at + 3 * DAY + HOUR)
        with caplog.at_level(logging.WARNING, logger="editorial.reminders"):
            first = send_review_reminders()
        second = send_review_reminders()

        assert (first["escalation"], second["escalation"]) == (1, 0)
        (email,) = [email for email in mailoutbox if email.subject.startswith("Escalation")]
        assert email.to == [chiefs["active"].email]
        reviewer, title = review.reviewer.display_name, review.round.article.title
        assert email.subject == f"Escalation: {reviewer}'s review of {title} is 3 days overdue"
        assert review.reviewer.display_name in email.body
        assert f"user={chiefs['no_email'].pk} why=no_email_address" in caplog.text
        assert ("escalation", "once") in logged(review)

    @override_settings(REVIEW_ESCALATE_AFTER_DAYS=1)
    def test_the_delay_comes_from_the_settings(self, clock, review, chiefs):
        clock.move_to(review.due_at + DAY + HOUR)
        assert send_review_reminders()["escalation"] == 1

    def test_without_any_editor_in_chief_to_tell_nothing_is_recorded(self, clock, review):
        clock.move_to(review.due_at + 4 * DAY)
        counts = send_review_reminders()
        assert (counts["escalation"], counts["no_recipient"]) == (0, 1)
        assert ("escalation", "once") not in logged(review)


@pytest.mark.django_db
class TestDelivery:
    def test_each_email_is_recorded_in_the_audit_trail_as_sent_by_the_scheduler(self, clock, review):
        clock.move_to(review.due_at + HOUR)
        send_review_reminders()

        log = ReminderLog.objects.get(assignment=review, kind=ReminderKind.OVERDUE)
        (row,) = log.history.all()
        assert (row.history_user, row.history_change_reason) == (get_system_user(), "Email sent: Overdue")
        assert log.sent_at == review.due_at + HOUR

    def test_a_reviewer_without_an_email_address_is_skipped_logged_and_not_recorded(
        self, clock, review, mailoutbox, caplog
    ):
        user = review.reviewer.user
        user.email = ""
        user.save()
        clock.move_to(review.due_at + HOUR)

        with caplog.at_level(logging.WARNING, logger="editorial.reminders"):
            counts = send_review_reminders()

        assert (counts["overdue"], counts["no_recipient"]) == (0, 1)
        assert mailoutbox == []
        assert ("overdue", "2030-01-14") not in logged(review)
        assert f"event=email_recipient_skipped kind=overdue assignment={review.pk}" in caplog.text

    def test_an_editor_whose_account_was_deactivated_is_not_emailed_and_it_is_logged(
        self, clock, article, board_member, mailoutbox, caplog
    ):
        author, submitter = article.created_by, EditorFactory()
        services.submit(actor=submitter, article=article, reason="Ready for review")
        assignment = assign(article, board_member, actor=submitter)
        send_review_reminders()
        mailoutbox.clear()
        author.is_active = False
        author.save()

        approve(assignment)
        with caplog.at_level(logging.WARNING, logger="editorial.reminders"):
            counts = send_review_reminders()

        assert counts["decided"] == 1
        (email,) = mailoutbox
        assert email.to == [submitter.email]
        assert f"assignment={assignment.pk} user={author.pk} why=inactive" in caplog.text

    def test_an_email_the_mail_server_refused_is_not_delivered_and_goes_out_on_a_later_run(
        self, clock, review, mailoutbox, caplog, settings
    ):
        clock.move_to(review.due_at + HOUR)
        refused = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        with (
            mock.patch("django.core.mail.EmailMessage.send", side_effect=refused),
            caplog.at_level(logging.WARNING, logger="editorial.reminders"),
        ):
            queued = reminders.send_review_reminders()
            consumed = deliver_queued_emails()

        assert (queued["overdue"], consumed) == (1, {"sent": 0, "already_sent": 0, "failed": 1})
        assert "event=email_failed" in caplog.text
        log = ReminderLog.objects.get(assignment=review, kind="overdue")
        assert log.delivered_at is None
        # Not handed over again while the first message may still be on its way...
        assert sent(send_review_reminders()) == {} and mailoutbox == []

        # ...but once REMINDERS_REDELIVER_AFTER_MINUTES have passed.
        clock.move_to(
            review.due_at + HOUR + datetime.timedelta(minutes=settings.REMINDERS_REDELIVER_AFTER_MINUTES)
        )
        counts = send_review_reminders()
        assert (counts["requeued"], counts["overdue"]) == (1, 0)
        (email,) = mailoutbox
        assert email.subject == f"Review overdue: {review.round.article.title}"
        log.refresh_from_db()
        assert log.delivered_at == timezone.now()
        assert send_review_reminders()["requeued"] == 0

    def test_an_email_refused_longer_ago_than_the_catch_up_window_is_not_handed_over_again(
        self, clock, review, mailoutbox, settings
    ):
        clock.move_to(review.due_at + HOUR)
        refused = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused):
            reminders.send_review_reminders()
            deliver_queued_emails()

        clock.move_to(
            review.due_at + HOUR + datetime.timedelta(days=settings.NOTIFICATION_CATCH_UP_DAYS, minutes=1)
        )
        counts = reminders.send_review_reminders()

        assert counts["requeued"] == 0
        assert (
            ReminderLog.objects.get(assignment=review, kind="overdue", period_key="2030-01-14").delivered_at
            is None
        )

    @override_settings(SITE_URL="https://review.example.org")
    def test_reminders_link_to_the_review_page_in_the_review_desk(self, clock, review, mailoutbox, client):
        ChiefFactory()
        clock.move_to(review.due_at + 3 * DAY + HOUR)
        send_review_reminders()

        link = f"https://review.example.org/admin/editorial/reviewassignment/{review.pk}/change/"
        assert {email.subject.split(":")[0] for email in mailoutbox} == {"Review overdue", "Escalation"}
        assert all(f"Open the review: {link}" in email.body for email in mailoutbox)
        client.force_login(review.reviewer.user)
        page = client.get(link.removeprefix("https://review.example.org"))
        assert page.status_code == 200
        assert review.round.article.title in page.content.decode()

    @override_settings(SITE_URL="")
    def test_without_a_site_url_the_emails_carry_no_link(self, clock, review, mailoutbox):
        clock.move_to(review.due_at + HOUR)
        send_review_reminders()
        (email,) = mailoutbox
        assert "Open the review" not in email.body
        assert "in the review desk" in email.body


@pytest.mark.django_db
def test_a_run_that_finds_its_key_claimed_by_another_run_queues_nothing(clock, review, mailoutbox):
    """Exactly once on any database: another run claims the overdue reminder between this run's
    read of what is owed and its own claim (the interleaving two concurrent runs produce, which
    the PostgreSQL test below races for real). The claim finds the key taken, so this run queues
    nothing and says so."""
    clock.move_to(review.due_at + HOUR)
    claim = f"INSERT INTO {connection.ops.quote_name(ReminderLog._meta.db_table)}"
    other_run = {}

    def another_run_claims_first(execute, sql, params, many, context):
        if sql.startswith(claim) and not other_run:
            other_run["started"] = True  # its own claim then goes straight through
            other_run["counts"] = reminders.send_review_reminders()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(another_run_claims_first):
        counts = reminders.send_review_reminders()
    deliver_queued_emails()

    assert sent(other_run["counts"]) == {"overdue": 1}
    assert (sent(counts), counts["already_sent"]) == ({}, 1)
    queued = [
        email
        for message in OutboxMessage.objects.filter(topic=SEND_EMAILS)
        for email in message.payload["emails"]
    ]
    assert [email["subject"] for email in queued].count(f"Review overdue: {review.round.article.title}") == 1
    assert [email.subject for email in mailoutbox] == [f"Review overdue: {review.round.article.title}"]
    assert logged(review)[-1:] == [("overdue", "2030-01-14")]


@requires_postgres
@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.editorial.mail.SlowLocmemBackend")
@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_at_once_send_each_reminder_once(clock, oncology, editor, mailoutbox, request, attempt):
    members = [BoardMemberFactory(specialties=[oncology]) for _ in range(3)]
    assignments = []
    for member in members:
        for _ in range(2):
            article = ArticleFactory(specialty=oncology, actor=editor)
            submit(article)
            assignments.append(assign(article, member, due_at=START + DAY))
    ChiefFactory()
    clock.move_to(START + 4 * DAY + HOUR)  # each review: "assigned", "overdue" and an escalation owed
    # From now on what the outbox publishes is consumed at once, in the thread that committed it.
    request.getfixturevalue("outbox_runs_tasks")

    results = run_at_once(send_review_reminders, send_review_reminders)

    assert not any(isinstance(result, BaseException) for result in results), results
    total = {kind: sum(result[kind] for result in results) for kind in ("assigned", "overdue", "escalation")}
    assert total == {"assigned": 6, "overdue": 6, "escalation": 6}
    keys = [(tuple(email.to), email.subject) for email in mailoutbox]
    assert len(keys) == len(set(keys)) == 18
    assert ReminderLog.objects.count() == 18
