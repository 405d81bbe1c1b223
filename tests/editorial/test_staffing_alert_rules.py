"""Staffing alerts: who is told about a stuck round and when, what the emails say, what each run
counts, and what is recorded for each email sent."""

from __future__ import annotations

import datetime
import logging
import smtplib
import zoneinfo
from unittest import mock

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from articles.models import ArticleStatus
from editorial import services, staleness
from editorial.models import ReviewRound
from editorial.staffing.models import AlertKind, StaffingAlert
from editorial.staffing.selectors import round_staffing
from editorial.staffing.services import send_staffing_alerts
from reviewers.models import BoardMember
from reviewers.services import get_system_user
from tests.editorial.conftest import everyone_declines, new_version, refreshed, submit
from tests.editorial.scheduling import approved_long_ago
from tests.factories import ArticleFactory, ChiefFactory, EditorFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

SITE = "https://review.example.org"
DAY = datetime.timedelta(days=1)
# A set time today (members' credentials are current from the real date): 09:30 UTC.
T0 = datetime.datetime.combine(datetime.datetime.now(datetime.UTC).date(), datetime.time(9, 30), datetime.UTC)
NOTHING = {
    AlertKind.ROUND_SHORT: 0,
    AlertKind.ROUND_NEEDS_SPECIALIST: 0,
    AlertKind.STUCK_DIGEST: 0,
    AlertKind.EXPIRED_WITH_DRAFT: 0,
    "already_sent": 0,
    "no_recipient": 0,
    "failed": 0,
}


def counts(**sent):
    """What a run returns: every kind and outcome, zero unless given."""
    return {**NOTHING, **sent}


def open_round(article):
    return ReviewRound.objects.get(article=article, closed_at=None)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cardiology():
    """A specialty nobody on the board holds: its rounds are stuck as soon as they open."""
    return SpecialtyFactory(name="Cardiology", slug="cardiology")


@pytest.fixture
def stuck_world(world, clock):
    """The world's high-risk article, every oncologist having declined it, at ``T0``."""
    submit(world.article)
    everyone_declines(world.article, world.editor)
    return open_round(world.article)


def stuck_in(specialty, editor, **kwargs):
    article = ArticleFactory(specialty=specialty, actor=editor, **kwargs)
    submit(article)
    return open_round(article)


@override_settings(SITE_URL=SITE)
def test_a_stuck_round_email_says_what_is_missing_who_cannot_take_it_and_links_to_the_round(
    world, stuck_world, mailoutbox
):
    round, article = stuck_world, world.article
    names = sorted(member.display_name for member in world.members)

    assert send_staffing_alerts() == counts(round_short=1)

    (email,) = mailoutbox
    assert email.to == sorted([world.chief.email, world.editor.email])
    assert email.subject == f"Review stuck: “{article.title}” is short of reviewers"
    declined = " ".join(f"{name} declined this review." for name in names)
    assert email.body == (
        f"The review of version 1 of “{article.title}” (Medical oncology, High (dosing, procedures) risk) "
        f"needs two more reviewers from Medical oncology; nobody eligible is free: {declined}\n"
        "\n"
        "It has 0 of the 2 reviewers it needs.\n"
        "Members of Medical oncology who cannot take it:\n"
        + "".join(f"- {name}: {name} declined this review.\n" for name in names)
        + "\n"
        "What can be done: an editor-in-chief can assign a member from another specialty with an "
        "override reason (editors can ask for one through the API), or a member of Medical oncology "
        "can be given more capacity.\n"
        "\n"
        f"The review round: {SITE}/admin/editorial/reviewround/{round.pk}/change/\n"
        "\n"
        "The Medical Advisory Board's editorial office\n"
    )


def test_each_alert_sent_is_recorded_once_with_its_recipients_by_the_scheduler(world, stuck_world, caplog):
    """The record is what makes it go out once: its kind, what it is about, its period and how
    many people it went to, written by the scheduler's account with the email's kind as reason."""
    with caplog.at_level(logging.INFO, logger="editorial.staffing"):
        send_staffing_alerts()

    alert = StaffingAlert.objects.get()
    assert (alert.kind, alert.subject, alert.period_key, alert.recipients, alert.sent_at) == (
        AlertKind.ROUND_SHORT,
        f"round:{stuck_world.pk}",
        "once",
        2,
        T0,
    )
    (row,) = alert.history.all()
    assert (row.history_user, row.history_change_reason) == (
        get_system_user(),
        "Email sent: Round short of reviewers",
    )
    assert [
        record.getMessage() for record in caplog.records if record.name == "editorial.staffing.services"
    ] == [f"event=email_sent kind=round_short subject=round:{stuck_world.pk} recipients=2"]
    assert send_staffing_alerts() == counts(already_sent=1)


def test_the_daily_digest_starts_the_day_after_the_first_alert_and_lists_each_persons_rounds(
    world, stuck_world, clock, mailoutbox
):
    article = world.article
    assert send_staffing_alerts() == counts(round_short=1)
    assert send_staffing_alerts() == counts(already_sent=1)  # no digest on the day of the alert
    mailoutbox.clear()

    clock.move_to(T0 + DAY)
    assert send_staffing_alerts() == counts(stuck_digest=2, already_sent=1)
    assert send_staffing_alerts() == counts(already_sent=3)
    (to_editor,) = [email for email in mailoutbox if email.to == [world.editor.email]]
    assert to_editor.subject == "1 review still stuck"
    assert to_editor.body == (
        f"Dear {world.editor.get_full_name()},\n"
        "\n"
        "These reviews are still stuck, as they were yesterday:\n"
        "\n"
        f"- “{article.title}” (version 1, Medical oncology): {round_staffing(stuck_world).describe()}\n"
        "\n"
        "You will get this digest each day while any of them stays stuck.\n"
        "\n"
        "The Medical Advisory Board's editorial office\n"
    )

    clock.move_to(T0 + 2 * DAY)
    assert send_staffing_alerts() == counts(stuck_digest=2, already_sent=1)
    digests = StaffingAlert.objects.filter(kind=AlertKind.STUCK_DIGEST)
    day_one, day_two = (T0 + DAY).date().isoformat(), (T0 + 2 * DAY).date().isoformat()
    assert sorted(digests.values_list("subject", "period_key", "recipients")) == sorted(
        [
            (f"user:{world.chief.pk}", day_one, 1),
            (f"user:{world.editor.pk}", day_one, 1),
            (f"user:{world.chief.pk}", day_two, 1),
            (f"user:{world.editor.pk}", day_two, 1),
        ]
    )


def test_a_run_for_a_given_time_records_its_alerts_at_that_time(world, stuck_world, clock):
    """A run told the time (a re-run for a missed day) records each alert as sent then, so its
    first alert and the next day's digest do not go out together."""
    assert send_staffing_alerts(now=T0 + DAY) == counts(round_short=1)
    assert StaffingAlert.objects.get().sent_at == T0 + DAY
    assert send_staffing_alerts(now=T0 + 2 * DAY) == counts(stuck_digest=2, already_sent=1)


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_the_digest_day_is_the_utc_day_whatever_the_sites_time_zone(world, stuck_world, clock):
    send_staffing_alerts()
    next_day = T0 + DAY + datetime.timedelta(hours=3)  # 12:30 UTC: already the day after in Auckland
    clock.move_to(next_day.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland")))  # the server's zone too
    assert timezone.localdate() != next_day.date()

    assert send_staffing_alerts() == counts(stuck_digest=2, already_sent=1)
    assert set(
        StaffingAlert.objects.filter(kind=AlertKind.STUCK_DIGEST).values_list("period_key", flat=True)
    ) == {next_day.date().isoformat()}


def test_the_digest_lists_the_rounds_in_the_order_they_opened(editor, chief, cardiology, clock, mailoutbox):
    """By opening time, and rounds opened at the same instant in the order they were created."""
    written_first = ArticleFactory(specialty=cardiology, actor=editor, title="Opened third?")
    later = stuck_in(cardiology, editor, title="Opened second?")
    submit(written_first)  # at the same instant as the one before
    clock.move_to(T0 - datetime.timedelta(hours=1))
    earlier = stuck_in(cardiology, editor, title="Opened first?")
    assert earlier.pk > open_round(written_first).pk > later.pk
    clock.move_to(T0)
    send_staffing_alerts()
    mailoutbox.clear()

    clock.move_to(T0 + DAY)
    assert send_staffing_alerts() == counts(stuck_digest=2, already_sent=3)
    (digest, _) = sorted(mailoutbox, key=lambda email: email.to != [editor.email])
    assert digest.subject == "3 reviews still stuck"
    listed = [line for line in digest.body.splitlines() if line.startswith("- ")]
    assert listed == [
        f"- “Opened {order}?” (version 1, Cardiology): needs one more reviewer from Cardiology; "
        "nobody eligible is free."
        for order in ("first", "second", "third")
    ]


def test_an_inactive_editor_in_chief_is_neither_told_nor_counted(world, stuck_world, clock, mailoutbox):
    ChiefFactory(username="retired-chief", is_active=False)

    assert send_staffing_alerts() == counts(round_short=1)
    clock.move_to(T0 + DAY)
    assert send_staffing_alerts() == counts(stuck_digest=2, already_sent=1)
    assert {address for email in mailoutbox for address in email.to} == {
        world.chief.email,
        world.editor.email,
    }


def test_the_editor_who_submitted_the_round_is_told_as_well_as_the_articles_editor(
    world, chief, cardiology, mailoutbox
):
    submitter = EditorFactory(username="submitter")
    article = ArticleFactory(specialty=cardiology, actor=world.editor)
    services.submit(actor=submitter, article=article, reason="Ready for review")

    assert send_staffing_alerts() == counts(round_short=1)

    (email,) = mailoutbox
    assert email.to == sorted([world.chief.email, chief.email, world.editor.email, submitter.email])
    assert StaffingAlert.objects.get().recipients == 4


def test_a_re_review_the_scheduler_opened_is_reported_to_people_not_to_the_scheduler(
    oncology, editor, chief, board_member, clock, mailoutbox
):
    article = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), board_member)
    BoardMember.objects.filter(pk=board_member.pk).update(is_active=False)
    staleness.mark_stale_articles()  # the re-review opens, with nobody to assign
    assert open_round(article).opened_by == get_system_user()
    mailoutbox.clear()

    assert send_staffing_alerts() == counts(round_short=1)
    clock.move_to(T0 + DAY)
    assert send_staffing_alerts() == counts(stuck_digest=2, already_sent=1)
    assert sorted(tuple(email.to) for email in mailoutbox) == sorted(
        [
            tuple(sorted([chief.email, editor.email])),
            (chief.email,),
            (editor.email,),
        ]
    )


def test_a_round_with_free_candidates_is_stuck_from_the_moment_the_grace_period_ends(world, clock, settings):
    settings.STAFFING_ALERT_GRACE_HOURS = 24
    submit(world.article)  # three oncologists are free, nobody assigned yet
    grace_ends = T0 + datetime.timedelta(hours=24)

    clock.move_to(grace_ends - datetime.timedelta(microseconds=1))
    assert send_staffing_alerts() == counts()
    clock.move_to(grace_ends)
    assert send_staffing_alerts() == counts(round_short=1)


def test_a_round_still_in_its_grace_period_does_not_hide_a_later_stuck_round(
    world, cardiology, clock, mailoutbox
):
    submit(world.article)  # opened first, free candidates, within the grace period
    clock.move_to(T0 + datetime.timedelta(minutes=5))
    stuck = stuck_in(cardiology, world.editor)

    assert send_staffing_alerts() == counts(round_short=1)
    assert list(StaffingAlert.objects.values_list("subject", flat=True)) == [f"round:{stuck.pk}"]


def test_the_check_after_a_step_alerts_only_for_the_rounds_it_names(
    editor, chief, cardiology, clock, mailoutbox
):
    first = stuck_in(cardiology, editor, title="First?")
    second = stuck_in(cardiology, editor, title="Second?")

    assert send_staffing_alerts(round_ids=[first.pk]) == counts(round_short=1)
    assert [email.subject for email in mailoutbox] == ["Review stuck: “First?” is short of reviewers"]
    assert send_staffing_alerts() == counts(round_short=1, already_sent=1)
    assert StaffingAlert.objects.filter(subject=f"round:{second.pk}").exists()


def test_an_email_the_mail_server_refused_is_not_recorded_and_goes_out_on_the_next_run(
    world, stuck_world, mailoutbox, caplog
):
    refused = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=refused),
        caplog.at_level(logging.WARNING, logger="editorial.staffing"),
    ):
        assert send_staffing_alerts() == counts(failed=1)

    assert not StaffingAlert.objects.exists()
    assert [record.getMessage() for record in caplog.records] == [
        f"event=email_failed kind=round_short subject=round:{stuck_world.pk} "
        "error=SMTPServerDisconnected('Connection unexpectedly closed'); the next run tries again"
    ]
    assert send_staffing_alerts() == counts(round_short=1)
    assert len(mailoutbox) == 1


def test_an_alert_nobody_can_read_is_logged_with_its_kind_and_subject(world, stuck_world, caplog):
    for user in (world.chief, world.editor):
        user.is_active = False
        user.save()

    with caplog.at_level(logging.WARNING, logger="editorial.staffing"):
        assert send_staffing_alerts() == counts(no_recipient=1)

    assert [record.getMessage() for record in caplog.records] == [
        f"event=staffing_alert_without_recipient kind=round_short subject=round:{stuck_world.pk}"
    ]


class TestExpiredApprovals:
    def test_the_alert_is_keyed_to_the_day_the_approval_expired(
        self, oncology, editor, board_member, mailoutbox
    ):
        article = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), board_member)
        new_version(article, body="Rewritten for the 2026 guideline.")
        staleness.mark_stale_articles()
        article = refreshed(article)
        assert article.status == ArticleStatus.EXPIRED
        assert article.review_due_at.date() != timezone.now().date()

        assert send_staffing_alerts() == counts(expired_with_draft=1)

        alert = StaffingAlert.objects.get()
        assert (alert.kind, alert.subject, alert.period_key, alert.recipients) == (
            AlertKind.EXPIRED_WITH_DRAFT,
            f"article:{article.pk}",
            article.review_due_at.date().isoformat(),
            1,
        )

    def test_no_alert_for_an_expired_article_without_a_newer_draft_or_an_approved_one_with_a_draft(
        self, oncology, editor, board_member, mailoutbox
    ):
        expired = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), board_member)
        staleness.expire_due_articles()
        assert refreshed(expired).status == ArticleStatus.EXPIRED
        approved = approved_long_ago(
            ArticleFactory(specialty=oncology, actor=editor), board_member, days_ago=10
        )
        new_version(approved, body="A revision in progress.")
        assert refreshed(approved).status == ArticleStatus.APPROVED
        mailoutbox.clear()

        assert send_staffing_alerts() == counts()
        assert mailoutbox == []
