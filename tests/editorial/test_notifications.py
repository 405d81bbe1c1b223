"""Emails about workflow steps: owed through the outbox with the step, published once it commits;
the sweep sends what never got through."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from editorial import services, staleness, tasks
from editorial.exceptions import NotEligible
from editorial.models import ReminderLog, ReviewAssignment, RoundTrigger
from editorial.outbox import publisher
from editorial.outbox.models import OutboxMessage
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, assign, in_review, submit
from tests.editorial.mail import send_notifications, send_review_reminders
from tests.editorial.scheduling import approved_long_ago
from tests.factories import ArticleFactory, EditorFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Stands in for the broker and a worker: what the outbox publishes after a commit runs at
    once, in this process (not on the publisher's thread, which has no view of the test's
    transaction), and is recorded."""
    calls = []

    def publish(messages):
        for _, topic, payload in messages:
            if topic == publisher.SEND_EMAILS:  # the emails the notifications' task queued
                tasks.send_emails(**payload)
                continue
            calls.append(payload["assignment_ids"])
            tasks.deliver_notifications(**payload)
        return [pk for pk, _, _ in messages]

    monkeypatch.setattr(publisher.inline, "publish", publish)
    return calls


@pytest.fixture
def broker_down(monkeypatch):
    def send(topic, payload, log_context=None):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(publisher, "send", send)


def subjects(outbox):
    return [email.subject for email in outbox]


def test_the_reviewer_is_emailed_once_the_assignment_commits(
    article, board_member, queued, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://review.example.org"
    submit(article)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = assign(article, board_member)

    assert queued == [[assignment.pk]]
    (email,) = mailoutbox
    assert email.to == [board_member.user.email]
    assert email.subject == f"Review requested: {article.title} (version 1)"
    assert f"Dear {board_member.display_name}," in email.body
    assert f"Please decide by {assignment.due_at:%A %-d %B %Y, %H:%M} UTC" in email.body
    review_page = f"https://review.example.org/admin/editorial/reviewassignment/{assignment.pk}/change/"
    assert f"Open the review: {review_page}" in email.body


def test_nothing_is_queued_for_a_step_that_fails_or_rolls_back(
    article, board_member, queued, mailoutbox, django_capture_on_commit_callbacks
):
    submit(article)
    ConflictOfInterest.objects.create(member=board_member, article=article, reason="Speaker fees")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(NotEligible):
            assign(article, board_member)
        ConflictOfInterest.objects.all().delete()
        with pytest.raises(RuntimeError), transaction.atomic():
            assign(article, board_member)
            raise RuntimeError("the request failed after the step")

    assert (callbacks, queued, mailoutbox) == ([], [], [])


def test_auto_assign_emails_each_reviewer_it_picks(
    high_risk_article, specialists, editor, queued, mailoutbox, django_capture_on_commit_callbacks
):
    submit(high_risk_article)
    with django_capture_on_commit_callbacks(execute=True):
        picked = services.auto_assign(actor=editor, article=high_risk_article, reason="Pick two")

    assert sorted(email.to[0] for email in mailoutbox) == sorted(a.reviewer.user.email for a in picked)
    assert len(mailoutbox) == 2


def test_a_withdrawal_tells_the_reviewer_the_review_is_off(
    article, board_member, editor, queued, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        in_review(article, board_member)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(actor=editor, article=article, reason="Needs more work")

    assert subjects(mailoutbox) == [
        f"Review requested: {article.title} (version 1)",
        f"Review no longer needed: {article.title} (version 1)",
    ]
    assert "cancelled: the editors withdrew the article from review." in mailoutbox[1].body


def test_a_reviewer_never_told_of_an_assignment_is_not_told_of_its_cancellation(
    article, board_member, editor, queued, mailoutbox, django_capture_on_commit_callbacks
):
    in_review(article, board_member)  # its notification never went out
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(actor=editor, article=article, reason="Needs more work")

    assert len(queued) == 1
    assert mailoutbox == []
    assert send_review_reminders()["cancelled"] == 0


def test_a_decision_is_emailed_to_the_articles_author_and_whoever_submitted_it(
    high_risk_article, specialists, queued, mailoutbox, django_capture_on_commit_callbacks
):
    author, submitter = high_risk_article.created_by, EditorFactory()
    services.submit(actor=submitter, article=high_risk_article, reason="Ready")
    first, second = (assign(high_risk_article, member, actor=submitter) for member in specialists[:2])
    send_review_reminders()  # both reviewers are told of their assignments
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.decide(
            actor=first.reviewer.user,
            assignment=first,
            decision="request_changes",
            comment="Cite the 2024 guideline.",
        )

    decision, cancellation = sorted(mailoutbox, key=lambda email: email.subject)
    assert decision.to == [author.email, submitter.email]
    assert decision.subject == (
        f"Changes requested: {high_risk_article.title} (version 1), by {first.reviewer.display_name}"
    )
    assert "Cite the 2024 guideline." in decision.body
    assert "This decision left the article with changes requested." in decision.body
    assert cancellation.to == [second.reviewer.user.email]
    assert "another reviewer requested changes, which closed the review round" in cancellation.body


def test_reassigning_tells_the_old_reviewer_it_is_off_and_the_new_one_it_is_theirs(
    article, specialists, chief, queued, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (assignment,) = in_review(article, specialists[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.reassign(actor=chief, assignment=assignment, reviewer=specialists[1], reason="Away")

    assert [(email.to[0], email.subject.split(":")[0]) for email in mailoutbox] == [
        (specialists[0].user.email, "Review requested"),
        (specialists[0].user.email, "Review no longer needed"),
        (specialists[1].user.email, "Review requested"),
    ]
    assert (
        "has been cancelled: the review was given to another member. "
        "There is nothing more for you to do on it."
    ) in mailoutbox[1].body


def test_with_the_broker_down_the_request_succeeds_and_the_sweep_sends_the_email(
    world, broker_down, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    submit(world.article)
    member = world.members[0]

    with (
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.WARNING, logger="editorial.outbox.publisher"),
    ):
        response = client_for(world.editor).post(
            "/api/v1/articles/phesgo/assignments/", {"reviewer": member.pk}, format="json"
        )

    assert response.status_code == 201
    assert "event=outbox_publish_failed" in caplog.text and "Connection refused" in caplog.text
    (message,) = OutboxMessage.objects.all()
    assert (message.payload, message.published_at) == ({"assignment_ids": [response.json()["id"]]}, None)
    assert mailoutbox == []

    assert send_review_reminders()["assigned"] == 1
    assert send_review_reminders()["assigned"] == 0
    (email,) = mailoutbox
    assert (email.to, email.subject) == (
        [member.user.email],
        f"Review requested: {world.article.title} (version 1)",
    )


def test_an_unexpected_error_while_queuing_does_not_fail_the_request(
    world, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def send(topic, payload, log_context=None):
        raise RuntimeError("something no one expected")

    monkeypatch.setattr(publisher, "send", send)
    submit(world.article)

    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        response = client_for(world.editor).post(
            "/api/v1/articles/phesgo/assignments/", {"reviewer": world.members[0].pk}, format="json"
        )

    assert response.status_code == 201
    assert "something no one expected" in caplog.text
    assert OutboxMessage.objects.filter(published_at=None).count() == 1  # left for the relay


def test_the_fast_path_sends_only_what_the_given_assignments_are_owed(
    article, oncology, board_member, editor
):
    other = ArticleFactory(specialty=oncology, actor=editor)
    (mine,) = in_review(article, board_member)
    in_review(other, board_member)

    counts = send_notifications(assignment_ids=[mine.pk])

    assert counts["assigned"] == 1
    assert list(ReminderLog.objects.values_list("assignment_id", "kind")) == [(mine.pk, "assigned")]


def test_steps_older_than_the_catch_up_window_are_not_announced_late(article, board_member, mailoutbox):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=8)):
        in_review(article, board_member)
    recent = ArticleFactory(specialty=article.specialty, actor=article.created_by)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=6)):
        in_review(recent, board_member)

    counts = send_review_reminders()

    assert counts["assigned"] == 1
    assert subjects(mailoutbox)[0] == f"Review requested: {recent.title} (version 1)"


def test_a_decision_on_a_re_review_goes_to_the_author_and_not_to_the_scheduler(
    oncology, editor, board_member, mailoutbox, caplog
):
    article = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), board_member)
    staleness.mark_stale_articles()
    assignment = ReviewAssignment.objects.get(round__trigger=RoundTrigger.RE_REVIEW)
    send_review_reminders()
    mailoutbox.clear()
    approve(assignment)

    with caplog.at_level(logging.WARNING, logger="editorial.reminders"):
        counts = send_review_reminders()

    assert (counts["decided"], counts["no_recipient"]) == (1, 0)
    (email,) = mailoutbox
    assert (email.to, email.subject) == (
        [editor.email],
        f"Approved: {article.title} (version 1), by {board_member.display_name}",
    )
    assert "This decision left the article approved" in email.body
    assert "email_recipient_skipped" not in caplog.text


def test_each_decision_email_says_what_that_decision_did_whenever_it_is_sent(
    high_risk_article, specialists, broker_down, mailoutbox
):
    """Seen: the email about the first of two approvals, sent after the second had approved the
    article, said "The article's status is now: approved"."""
    first, second = in_review(high_risk_article, *specialists[:2])
    approve(first)
    approve(second)  # the broker is down: both emails wait for the sweep

    send_review_reminders()

    decided = {email.subject: email.body for email in mailoutbox if email.subject.startswith("Approved:")}
    first_email = decided[
        f"Approved: {high_risk_article.title} (version 1), by {specialists[0].display_name}"
    ]
    second_email = decided[
        f"Approved: {high_risk_article.title} (version 1), by {specialists[1].display_name}"
    ]
    assert "This decision left the article still under review: 1 of the 2 approvals it needs." in first_email
    assert "This decision left the article approved: this version is now the one readers see." in second_email


def test_the_reviewer_and_the_editors_are_told_when_an_approval_no_longer_counts(
    high_risk_article, specialists, editor, chief, queued, mailoutbox, django_capture_on_commit_callbacks
):
    first, _ = in_review(high_risk_article, *specialists[:2])
    approve(first)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ConflictOfInterest.objects.create(member=specialists[0], article=high_risk_article, reason="Shares")

    voided = [email for email in mailoutbox if email.subject.startswith("Approval no longer counts")]
    (email,) = voided
    assert sorted(email.to) == sorted([specialists[0].user.email, editor.email])
    assert "declared a conflict of interest" in email.body
    assert (
        "The review round is still open: the seat has been offered to another eligible member." in email.body
    )
