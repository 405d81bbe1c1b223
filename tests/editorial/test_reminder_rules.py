"""The rules of the review emails, each pinned by what the recipient or the operator sees: the
exact words of each kind of email, who is owed one and when, what a run and a delivery count, the
audit trail of each claim and the log lines an operator reads."""

from __future__ import annotations

import datetime
import itertools
import logging
import smtplib
import zoneinfo
from typing import ClassVar
from unittest import mock

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test import override_settings

from editorial import reminders, services, staleness
from editorial.models import ReminderKind, ReminderLog, ReviewAssignment, RoundTrigger
from editorial.outbox.models import OutboxMessage
from editorial.outbox.publisher import SEND_EMAILS
from reviewers.models import ConflictOfInterest
from reviewers.services import get_system_user
from tests.editorial.conftest import approve, assign, in_review, submit
from tests.editorial.mail import deliver_queued_emails, send_review_reminders
from tests.editorial.scheduling import approved_long_ago
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)
START = datetime.datetime(2030, 1, 7, 9, 0, tzinfo=datetime.UTC)  # a Monday; reviews are due a week later
SIGNATURE = "The Medical Advisory Board's editorial office\n"


@pytest.fixture(autouse=True)
def clock():
    """Time stands still at START unless a test moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


class RefusingBackend(LocmemBackend):
    """Django's test outbox behind a mail server that refuses the addresses in ``refused``; each
    connection is numbered, and ``connections`` lists the one each accepted email went over."""

    refused: ClassVar[set[str]] = set()
    connections: ClassVar[list[int]] = []
    opened: ClassVar[itertools.count] = itertools.count()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = next(self.opened)

    def send_messages(self, messages):
        for message in messages:
            refused = {address for address in message.to if address in self.refused}
            if refused:
                raise smtplib.SMTPRecipientsRefused(dict.fromkeys(refused, (550, b"No such user")))
            self.connections.append(self.number)
        return super().send_messages(messages)


@pytest.fixture
def mail_server(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.refused.clear()
    RefusingBackend.connections.clear()
    return RefusingBackend


def sent(counts):
    return {kind: count for kind, count in counts.items() if kind in ReminderKind.values and count}


def messages_logged(caplog, event):
    return [
        record.getMessage() for record in caplog.records if record.getMessage().startswith(f"event={event} ")
    ]


def overdue_reviews(count, *, specialty, editor, due_at=START + DAY):
    """``count`` open reviews by ``count`` members, due at ``due_at``; their "assigned" emails sent."""
    assignments = []
    for _ in range(count):
        article = ArticleFactory(specialty=specialty, actor=editor)
        submit(article)
        assignments.append(assign(article, BoardMemberFactory(specialties=[specialty]), due_at=due_at))
    send_review_reminders()
    return assignments


# --- What each email says ---------------------------------------------------------------------


def test_a_review_request_says_what_to_review_by_when_and_who_asked(article, board_member, mailoutbox):
    (assignment,) = in_review(article, board_member)
    send_review_reminders()

    (email,) = mailoutbox
    assert email.subject == f"Review requested: {article.title} (version 1)"
    assert email.body == (
        f"Dear {board_member.display_name},\n\n"
        f"You have been asked to review “{article.title}” (version 1, Medical oncology).\n\n"
        "Please decide by Monday 14 January 2030, 09:00 UTC: approve, request changes, reject, or "
        "decline the review. Your review queue in the review desk shows the text, what changed since "
        "the last approved version, and its references.\n\n"
        f"Assigned by {article.created_by.get_full_name()}.\n\n" + SIGNATURE
    )
    assert assignment.round.trigger == RoundTrigger.SUBMISSION


def test_a_re_review_request_says_the_approval_reached_its_review_date(
    oncology, editor, board_member, mailoutbox
):
    article = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), board_member)
    staleness.mark_stale_articles()
    (assignment,) = ReviewAssignment.objects.filter(round__trigger=RoundTrigger.RE_REVIEW)

    send_review_reminders()

    (email,) = [email for email in mailoutbox if email.to == [assignment.reviewer.user.email]]
    assert email.body.startswith(
        f"Dear {assignment.reviewer.display_name},\n\n"
        f"The approval of “{article.title}” has reached its review date, and you have been asked to "
        "review it again (version 1, Medical oncology).\n\n"
    )


def test_an_overdue_reminder_on_the_day_the_review_fell_due_counts_no_days_late(
    clock, article, board_member, mailoutbox
):
    (assignment,) = in_review(article, board_member)
    send_review_reminders()
    mailoutbox.clear()

    clock.move_to(assignment.due_at + 23 * HOUR)
    send_review_reminders()

    (email,) = mailoutbox
    assert email.body == (
        f"Dear {board_member.display_name},\n\n"
        f"Your review of “{article.title}” (version 1) was due on Monday 14 January 2030, 09:00 UTC.\n\n"
        "Please approve, request changes or reject it in the review desk, or decline it so that "
        "another member can take it.\n\n" + SIGNATURE
    )


def test_a_review_released_from_its_member_tells_them_why_in_one_sentence(
    article, specialists, chief, mailoutbox
):
    (assignment,) = in_review(article, specialists[0])
    send_review_reminders()
    mailoutbox.clear()

    ConflictOfInterest.objects.create(member=specialists[0], article=article, reason="New consultancy")
    send_review_reminders()

    assignment.refresh_from_db()
    assert assignment.cancel_reason.endswith(".")
    (email,) = [email for email in mailoutbox if email.to == [specialists[0].user.email]]
    assert email.subject == f"Review no longer needed: {article.title} (version 1)"
    assert email.body == (
        f"Dear {specialists[0].display_name},\n\n"
        f"Your review of “{article.title}” (version 1) has been cancelled: "
        f"{assignment.cancel_reason} There is nothing more for you to do on it.\n\n" + SIGNATURE
    )


def test_an_approval_voided_after_the_round_closed_says_the_articles_approval_was_checked_again(
    article, board_member, editor, mailoutbox
):
    (assignment,) = in_review(article, board_member)
    approve(assignment)
    send_review_reminders()
    mailoutbox.clear()

    ConflictOfInterest.objects.create(member=board_member, article=article, reason="Shares")
    send_review_reminders()

    assignment.refresh_from_db()
    (email,) = [email for email in mailoutbox if email.subject.startswith("Approval no longer counts")]
    assert email.body == (
        f"The approval that {board_member.display_name} (MD) gave to version 1 of “{article.title}” "
        f"on 7 January 2030 no longer counts.\n\n"
        f"Why: {assignment.void_reason}\n\n"
        "The article's approval has been checked again against the board's rules; if the approvals "
        'that still count are not enough, the article has lost its "approved" badge and goes back '
        "for review.\n\n" + SIGNATURE
    )


def test_approvals_of_a_high_risk_article_from_outside_its_specialty_say_a_specialist_is_still_needed(
    clock, high_risk_article, oncology, chief, mailoutbox
):
    """Enough approvals by number but none by a specialist of the article leave it under review,
    and the email about the approval that made up the number says so."""
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
    outsiders = [BoardMemberFactory(specialties=[cardiology]) for _ in range(2)]
    BoardMemberFactory(specialties=[oncology])  # takes the specialist's seat
    submit(high_risk_article)
    first, second = (
        assign(high_risk_article, member, actor=chief, override_reason="Cardiac safety section")
        for member in outsiders
    )
    send_review_reminders()
    mailoutbox.clear()

    approve(first)
    clock.move_to(START + HOUR)
    approve(second)
    send_review_reminders()

    left = "This decision left the article "
    status = {
        email.subject.rsplit(", by ", 1)[1]: email.body.split(left)[1].split("\n")[0]
        for email in mailoutbox
        if email.subject.startswith("Approved:")
    }
    assert status == {
        outsiders[0].display_name: "still under review: 1 of the 2 approvals it needs.",
        outsiders[1].display_name: (
            "still under review: as a high-risk article it needs the approval of a member of Medical "
            "oncology, and none of the 2 approvals so far is one."
        ),
    }


# --- Who is owed an email, and when -------------------------------------------------------------


def test_a_review_declined_before_its_request_went_out_is_never_announced(article, specialists, mailoutbox):
    (declined,) = in_review(article, specialists[0])
    services.decline(actor=specialists[0].user, assignment=declined, reason="On leave this month")

    counts = send_review_reminders()

    assert counts["assigned"] == 1  # to the member who took the seat
    (email,) = mailoutbox
    assert email.to != [specialists[0].user.email]
    assert [kind for (kind,) in ReminderLog.objects.filter(assignment=declined).values_list("kind")] == []


def test_cancellations_older_than_the_catch_up_window_are_not_announced_late(
    clock, oncology, editor, specialists, mailoutbox
):
    old, recent = (ArticleFactory(specialty=oncology, actor=editor) for _ in range(2))
    in_review(old, specialists[0])
    in_review(recent, specialists[1])
    send_review_reminders()  # both reviewers are told of their reviews
    mailoutbox.clear()
    services.withdraw(actor=editor, article=old, reason="Not ready after all")
    clock.move_to(START + 2 * DAY)
    services.withdraw(actor=editor, article=recent, reason="Not ready after all")

    clock.move_to(START + 8 * DAY)  # NOTIFICATION_CATCH_UP_DAYS (7) after the first, not the second
    counts = send_review_reminders()

    assert counts["cancelled"] == 1
    assert [email.subject for email in mailoutbox] == [f"Review no longer needed: {recent.title} (version 1)"]


def test_decisions_older_than_the_catch_up_window_are_not_announced_late(
    clock, oncology, editor, specialists, mailoutbox
):
    old, recent = (ArticleFactory(specialty=oncology, actor=editor) for _ in range(2))
    (old_review,) = in_review(old, specialists[0])
    (recent_review,) = in_review(recent, specialists[1])
    send_review_reminders()
    mailoutbox.clear()
    approve(old_review)
    clock.move_to(START + 2 * DAY)
    approve(recent_review)

    clock.move_to(START + 8 * DAY)
    counts = send_review_reminders()

    assert counts["decided"] == 1
    assert [email.subject for email in mailoutbox] == [
        f"Approved: {recent.title} (version 1), by {specialists[1].display_name}"
    ]


@override_settings(TIME_ZONE="America/New_York")
def test_an_overdue_review_is_reminded_once_per_utc_day_whatever_the_sites_time_zone(
    clock, article, board_member
):
    (assignment,) = in_review(article, board_member)
    send_review_reminders()
    new_york = zoneinfo.ZoneInfo("America/New_York")

    # The same evening in New York: 23:30 UTC one day and 01:30 UTC the next.
    clock.move_to(datetime.datetime(2030, 1, 14, 18, 30, tzinfo=new_york))
    first = send_review_reminders()
    clock.move_to(datetime.datetime(2030, 1, 14, 20, 30, tzinfo=new_york))
    second = send_review_reminders()

    assert (sent(first), sent(second)) == ({"overdue": 1}, {"overdue": 1})
    overdue = ReminderLog.objects.filter(assignment=assignment, kind="overdue").order_by("pk")
    assert list(overdue.values_list("period_key", flat=True)) == ["2030-01-14", "2030-01-15"]


def test_escalations_skip_a_chief_without_an_address_and_say_so_and_leave_former_chiefs_out(
    clock, article, board_member, mailoutbox, caplog
):
    active, no_email, _former = ChiefFactory(), ChiefFactory(email=""), ChiefFactory(is_active=False)
    (assignment,) = in_review(article, board_member)
    send_review_reminders()
    mailoutbox.clear()

    clock.move_to(assignment.due_at + 3 * DAY + HOUR)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="editorial.reminders"):
        send_review_reminders()

    (escalation,) = [email for email in mailoutbox if email.subject.startswith("Escalation")]
    assert escalation.to == [active.email]
    assert messages_logged(caplog, "email_recipient_skipped") == [
        f"event=email_recipient_skipped kind=escalation assignment={assignment.pk} user={no_email.pk} "
        "why=no_email_address"
    ]


# --- The sweep: claiming and queuing --------------------------------------------------------------


def test_reviewers_without_an_address_do_not_hold_back_the_rest_of_the_batch(
    clock, oncology, editor, mailoutbox, caplog
):
    reviews = overdue_reviews(3, specialty=oncology, editor=editor)
    for review in reviews[:2]:
        review.reviewer.user.email = ""
        review.reviewer.user.save()
    mailoutbox.clear()

    clock.move_to(START + DAY + HOUR)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="editorial.reminders"):
        counts = send_review_reminders()

    assert counts == {
        "assigned": 0,
        "cancelled": 0,
        "decided": 0,
        "voided": 0,
        "due_soon": 0,
        "overdue": 1,
        "escalation": 0,
        "already_sent": 0,
        "no_recipient": 2,
        "requeued": 0,
        "more": 0,
    }
    assert [email.to for email in mailoutbox] == [[reviews[2].reviewer.user.email]]
    assert messages_logged(caplog, "emails_queued") == [
        f"event=emails_queued count=1 requeued=False first_assignment={reviews[0].pk} "
        f"last_assignment={reviews[2].pk}"
    ]


def test_keys_another_run_claimed_first_do_not_hold_back_the_rest_of_the_batch(
    clock, oncology, editor, mailoutbox
):
    """Another run claims the first two of the batch's three reminders between this run's read
    of what is owed and its claim: this run queues the third and counts the two."""
    reviews = overdue_reviews(3, specialty=oncology, editor=editor)
    mailoutbox.clear()
    clock.move_to(START + DAY + HOUR)
    claim = f"INSERT INTO {connection.ops.quote_name(ReminderLog._meta.db_table)}"
    other_run = {}

    def another_run_claims_two_first(execute, sql, params, many, context):
        if sql.startswith(claim) and not other_run:
            other_run["started"] = True
            ReminderLog.objects.bulk_create(
                ReminderLog(assignment=review, kind=ReminderKind.OVERDUE, period_key="2030-01-08")
                for review in reviews[:2]
            )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(another_run_claims_two_first):
        counts = reminders.send_review_reminders()
    deliver_queued_emails()

    assert (sent(counts), counts["already_sent"]) == ({"overdue": 1}, 2)
    assert [email.to for email in mailoutbox] == [[reviews[2].reviewer.user.email]]


def test_a_run_whose_time_budget_is_spent_as_it_starts_queues_nothing_and_says_there_is_more(
    article, board_member
):
    in_review(article, board_member)

    with mock.patch("editorial.reminders.sweep.time.monotonic", return_value=100.0):
        counts = reminders.send_review_reminders(time_budget=0)

    assert (sent(counts), counts["more"]) == ({}, 1)
    assert not ReminderLog.objects.exists()


def test_each_claim_is_recorded_in_the_audit_trail_as_the_creation_of_that_email(article, board_member):
    (assignment,) = in_review(article, board_member)

    with time_machine.travel(START + HOUR, tick=True):
        reminders.send_review_reminders()

    log = ReminderLog.objects.get()
    (row,) = log.history.all()
    assert (
        row.id,
        row.assignment_id,
        row.kind,
        row.period_key,
        row.sent_at,
        row.history_date,
        row.get_history_type_display(),
        row.history_user,
        row.history_change_reason,
    ) == (
        log.pk,
        assignment.pk,
        "assigned",
        "once",
        log.sent_at,
        log.sent_at,
        "Created",
        get_system_user(),
        "Email sent: Review assigned",
    )


def test_the_first_email_claimed_and_refused_is_handed_over_again_and_each_batch_is_logged(
    clock, article, board_member, mail_server, mailoutbox, caplog, settings
):
    (assignment,) = in_review(article, board_member)
    mail_server.refused.add(board_member.user.email)
    with caplog.at_level(logging.INFO, logger="editorial.reminders"):
        assert send_review_reminders()["assigned"] == 1
        mail_server.refused.clear()
        clock.move_to(START + datetime.timedelta(minutes=settings.REMINDERS_REDELIVER_AFTER_MINUTES))
        counts = send_review_reminders()

    assert (sent(counts), counts["requeued"]) == ({}, 1)
    assert [email.subject for email in mailoutbox] == [f"Review requested: {article.title} (version 1)"]
    assert messages_logged(caplog, "emails_queued") == [
        f"event=emails_queued count=1 requeued={requeued} first_assignment={assignment.pk} "
        f"last_assignment={assignment.pk}"
        for requeued in (False, True)
    ]


# --- The outbox's consumer: sending ---------------------------------------------------------------


def test_the_emails_of_one_message_go_over_one_connection_and_each_is_counted(
    clock, oncology, editor, mail_server, mailoutbox, caplog
):
    reviews = overdue_reviews(2, specialty=oncology, editor=editor)
    clock.move_to(START + DAY + HOUR)
    reminders.send_review_reminders()
    (message,) = OutboxMessage.objects.filter(topic=SEND_EMAILS, published_at__isnull=True)
    mail_server.connections.clear()
    caplog.clear()

    with caplog.at_level(logging.INFO, logger="editorial.reminders"):
        first = reminders.send_emails(**message.payload)
    again = reminders.send_emails(**message.payload)  # the message published twice

    assert first == {"sent": 2, "already_sent": 0, "failed": 0}
    assert again == {"sent": 0, "already_sent": 2, "failed": 0}
    assert len(mail_server.connections) == 2 and len(set(mail_server.connections)) == 1
    title = {review.pk: review.round.article.title for review in reviews}
    logs = ReminderLog.objects.filter(kind="overdue").order_by("pk")
    assert messages_logged(caplog, "email_sent") == [
        f"event=email_sent log={log.pk} subject='Review overdue: {title[log.assignment_id]}' recipients=1"
        for log in logs
    ]


def test_an_email_the_mail_server_refuses_does_not_hold_back_the_rest_of_its_message(
    clock, oncology, editor, mail_server, mailoutbox, caplog
):
    reviews = overdue_reviews(3, specialty=oncology, editor=editor)
    clock.move_to(START + DAY + HOUR)
    reminders.send_review_reminders()
    (message,) = OutboxMessage.objects.filter(topic=SEND_EMAILS, published_at__isnull=True)
    address = [review.reviewer.user.email for review in reviews]
    log = {email["to"][0]: email["log"] for email in message.payload["emails"]}
    mailoutbox.clear()

    mail_server.refused.update({address[0], address[2]})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="editorial.reminders"):
        refused = reminders.send_emails(**message.payload)
    mail_server.refused.clear()
    again = reminders.send_emails(**message.payload)  # published again: what failed goes out
    refusal = (550, b"No such user")

    assert refused == {"sent": 1, "already_sent": 0, "failed": 2}
    assert again == {"sent": 2, "already_sent": 1, "failed": 0}
    assert [email.to for email in mailoutbox] == [[address[1]], [address[0]], [address[2]]]
    assert messages_logged(caplog, "email_failed") == [
        f"event=email_failed log={log[to]} error={smtplib.SMTPRecipientsRefused({to: refusal})!r}; "
        "the sweep hands it over again"
        for to in (address[0], address[2])
    ]
