"""No round stuck in silence: a round's staffing state, seats that follow the people, and alerts
sent exactly once per cause."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from articles.models import ArticleStatus
from config.audit import audit
from editorial import reminders, services
from editorial.exceptions import ActionNotPermitted, AssignmentClosed
from editorial.integrity.revalidation import revalidate_board
from editorial.models import AssignmentState, ReminderLog, ReviewAssignment, ReviewRound
from editorial.reminders import REMINDER_KINDS
from editorial.staffing.models import AlertKind, StaffingAlert
from editorial.staffing.selectors import StaffingState, round_staffing, rounds_with_staffing
from editorial.staffing.services import send_staffing_alerts
from editorial.staleness import mark_stale_articles
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, assign, new_version, refreshed, submit
from tests.editorial.scheduling import approved_long_ago
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory
from tests.helpers import run_at_once
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db


def open_round(article):
    return ReviewRound.objects.get(article=article, closed_at=None)


def staffing_state(article):
    return rounds_with_staffing(ReviewRound.objects.filter(article=article, closed_at=None)).get().staffing


def decline(assignment, reason="Too busy this month"):
    return services.decline(actor=assignment.reviewer.user, assignment=assignment, reason=reason)


def everyone_declines(article, editor):
    """Auto-assign, then every reviewer (replacements included) declines, until nobody is left."""
    services.auto_assign(actor=editor, article=article, reason="Auto")
    while open_reviews := list(
        ReviewAssignment.objects.filter(round__article=article, state=AssignmentState.PENDING)
    ):
        decline(open_reviews[0])


class TestEveryoneDeclines:
    """Seen: every eligible reviewer declined in turn; the last decline returned replacements [],
    the article stayed under review with no open assignment, auto-assign answered 409, and the only
    emails ever sent were the "assigned" ones."""

    def test_the_round_is_short_and_says_why_and_the_chiefs_and_editors_are_told_once(
        self, world, mailoutbox
    ):
        article = world.article  # high risk: two approvals
        submit(article)
        everyone_declines(article, world.editor)
        round = open_round(article)

        staffing = round_staffing(round)
        assert (staffing.state, staffing.missing, staffing.candidates) == (StaffingState.SHORT, 2, [])
        assert staffing.counts_by_rule == {"declined": 3}
        assert staffing.describe().startswith(
            "needs two more reviewers from Medical oncology; nobody eligible is free:"
        )

        mailoutbox.clear()
        counts = send_staffing_alerts()
        assert counts[AlertKind.ROUND_SHORT] == 1
        (email,) = mailoutbox
        assert sorted(email.to) == sorted([world.chief.email, world.editor.email])
        assert email.subject == f"Review stuck: “{article.title}” is short of reviewers"
        assert "declined this review" in email.body

        assert send_staffing_alerts()[AlertKind.ROUND_SHORT] == 0  # once per cause
        assert len(mailoutbox) == 1

    def test_a_digest_follows_each_day_it_stays_stuck(self, world, mailoutbox):
        submit(world.article)
        everyone_declines(world.article, world.editor)
        send_staffing_alerts()
        mailoutbox.clear()

        with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
            counts = send_staffing_alerts()
            assert counts[AlertKind.STUCK_DIGEST] == 2  # the chief and the editor, one each
            assert send_staffing_alerts()[AlertKind.STUCK_DIGEST] == 0
        assert {email.subject for email in mailoutbox} == {"1 review still stuck"}


def test_a_round_short_of_one_reviewer_says_so_in_the_singular_and_a_staffed_one_has_what_it_needs(
    world, oncology
):
    submit(world.article)  # high risk: two approvals
    first = assign(world.article, world.members[0])
    for other in world.members[1:]:
        other.is_active = False
        other.save()

    inactive = sorted(member.display_name for member in world.members[1:])
    assert round_staffing(open_round(world.article)).describe() == (
        "needs one more reviewer from Medical oncology; nobody eligible is free: "
        + " ".join(f"{name} is not an active board member." for name in inactive)
    )
    assign(world.article, BoardMemberFactory(specialties=[oncology]))
    assert round_staffing(first.round).describe() == "has the reviewers it needs"


class TestAHighRiskArticleWhoseOnlySpecialistIsConflicted:
    """Seen: the chief overrode two non-specialists in, both approved, the article stayed under
    review with nothing open, and the editors got two "Approved..." emails that did not say a
    specialist was still needed."""

    @pytest.fixture
    def conflicted(self, oncology, editor, chief):
        specialist = BoardMemberFactory(specialties=[oncology], display_name="Dr Only")
        article = ArticleFactory(specialty=oncology, actor=editor, risk_level="high", slug="only-one")
        with audit(actor=chief, reason="Declared"):
            ConflictOfInterest.objects.create(member=specialist, article=article, reason="Sponsor's adviser")
        cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
        outsiders = [BoardMemberFactory(specialties=[cardiology]) for _ in range(2)]
        submit(article)
        for member in outsiders:
            approve(assign(article, member, actor=chief, override_reason="The oncologist is conflicted"))
        return article, specialist

    def test_the_round_needs_a_specialist_and_says_who_is_excluded_and_why(self, conflicted):
        article, specialist = conflicted
        assert refreshed(article).status == ArticleStatus.UNDER_REVIEW
        staffing = round_staffing(open_round(article))
        assert (staffing.state, staffing.missing, staffing.needs_specialist) == (
            StaffingState.NEEDS_SPECIALIST,
            0,
            True,
        )
        assert staffing.counts_by_rule == {"conflict_of_interest": 1}
        assert "Dr Only has declared a conflict of interest: this article." in staffing.describe()

    def test_the_chiefs_and_editors_are_told_a_specialist_is_needed(
        self, conflicted, editor, chief, mailoutbox
    ):
        article, _ = conflicted
        from tests.editorial.mail import send_review_reminders

        send_review_reminders()  # the decision emails
        send_staffing_alerts()
        (alert,) = [email for email in mailoutbox if email.subject.startswith("Review stuck")]
        assert alert.subject == f"Review stuck: “{article.title}” needs a member of Medical oncology"
        assert sorted(alert.to) == sorted([chief.email, editor.email])
        # The decision emails say what is still missing.
        second = [email for email in mailoutbox if email.subject.startswith("Approved:")][-1]
        assert "needs the approval of a member of Medical oncology" in second.body


class TestSeatsFollowThePeople:
    def test_a_lapsed_credential_releases_the_review_and_its_reminders_stop(self, world):
        submit(world.article)
        assignment = assign(world.article, world.members[0])
        lapse = world.members[0].credentials_verified_until + datetime.timedelta(days=1)
        for other in world.members[1:]:
            other.credentials_verified_until = lapse + datetime.timedelta(days=60)
            other.save()
        with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(1), tzinfo=datetime.UTC)):
            revalidate_board()
            released = refreshed(assignment)
            assert released.state == AssignmentState.CANCELLED
            assert "credential check has lapsed" in released.cancel_reason
            # Its seat went to the next oncologist, and the released member gets no more reminders.
            assert (
                ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
                .exclude(pk=assignment.pk)
                .exists()
            )
        with time_machine.travel(
            datetime.datetime.combine(lapse, datetime.time(1), tzinfo=datetime.UTC)
            + datetime.timedelta(days=30)
        ):
            counts = reminders.send_review_reminders()
        assert counts["overdue"] == 2  # the two reviewers who took its seats
        assert not ReminderLog.objects.filter(assignment=assignment, kind__in=REMINDER_KINDS).exists()

    def test_a_deactivated_member_is_emailed_once_that_the_review_was_released(
        self, world, mailoutbox, django_capture_on_commit_callbacks
    ):
        from tests.editorial.mail import send_review_reminders

        submit(world.article)
        assignment = assign(world.article, world.members[0])
        send_review_reminders()  # the "assigned" email: they know of the review
        member = world.members[0]
        member.is_active = False
        with audit(actor=world.chief, reason="Left the board"):
            member.save()

        send_review_reminders()
        cancelled = [
            email for email in mailoutbox if email.to == [member.user.email] and "cancelled" in email.body
        ]
        assert len(cancelled) == 1
        assert "not an active board member" in cancelled[0].body
        assert refreshed(assignment).state == AssignmentState.CANCELLED


class TestAnExpiredApprovalWithANewerDraft:
    """Seen: an approved article that expired while a newer draft existed was left expired with no
    re-review and no email; the only trace was a counter in the task log."""

    def test_its_editors_are_told_what_to_do_once(self, oncology, editor, board_member, mailoutbox):
        article = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), board_member)
        new_version(article, body="Rewritten for the 2026 guideline.")
        mark_stale_articles()
        assert refreshed(article).status == ArticleStatus.EXPIRED
        mailoutbox.clear()

        assert send_staffing_alerts()[AlertKind.EXPIRED_WITH_DRAFT] == 1
        assert send_staffing_alerts()[AlertKind.EXPIRED_WITH_DRAFT] == 0
        (email,) = mailoutbox
        assert email.to == [editor.email]
        assert email.subject == f"Approval expired: submit the new version of “{article.title}”"
        assert "Submit version 2 for review" in email.body


def test_a_round_with_free_candidates_is_reported_only_after_the_grace_period(world, settings):
    settings.STAFFING_ALERT_GRACE_HOURS = 24
    submit(world.article)  # nobody assigned yet, but three oncologists are free
    assert staffing_state(world.article) == StaffingState.SHORT
    assert send_staffing_alerts()[AlertKind.ROUND_SHORT] == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        assert send_staffing_alerts()[AlertKind.ROUND_SHORT] == 1


def test_auto_assign_that_finds_fewer_reviewers_than_needed_reports_the_round(
    world, outbox_runs_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    """Seen: auto-assign on a high-risk article returned one reviewer when two were needed, with
    no warning."""
    for member in world.members[1:]:
        member.max_open_reviews = 1
        member.save()
        other = ArticleFactory(specialty=world.members[0].specialties.get(), actor=world.editor)
        submit(other)
        assign(other, member)
    submit(world.article)
    with django_capture_on_commit_callbacks(execute=True):
        assigned = services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
    assert len(assigned) == 1
    assert staffing_state(world.article) == StaffingState.SHORT
    assert StaffingAlert.objects.filter(
        kind=AlertKind.ROUND_SHORT, subject=f"round:{open_round(world.article).pk}"
    ).exists()


def test_a_sweep_that_finds_its_alert_recorded_by_another_sends_nothing(world, mailoutbox):
    """Exactly once on any database: another sweep records the alert between this sweep's read of
    what is owed and its own record (the interleaving the PostgreSQL race below produces)."""
    submit(world.article)
    everyone_declines(world.article, world.editor)
    mailoutbox.clear()
    record = f"INSERT INTO {connection.ops.quote_name(StaffingAlert._meta.db_table)}"
    other_sweep = {}

    def another_sweep_records_first(execute, sql, params, many, context):
        if sql.startswith(record) and not other_sweep:
            other_sweep["started"] = True  # its own record then goes straight through
            other_sweep["counts"] = send_staffing_alerts()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(another_sweep_records_first):
        counts = send_staffing_alerts()

    assert other_sweep["counts"][AlertKind.ROUND_SHORT] == 1
    assert (counts[AlertKind.ROUND_SHORT], counts["already_sent"]) == (0, 1)
    assert len([email for email in mailoutbox if email.subject.startswith("Review stuck")]) == 1


def test_an_alert_nobody_active_can_read_is_not_recorded_and_goes_out_once_someone_can(
    world, mailoutbox, caplog
):
    submit(world.article)
    everyone_declines(world.article, world.editor)
    mailoutbox.clear()
    for user in (world.chief, world.editor):
        user.is_active = False
        user.save()

    with caplog.at_level(logging.WARNING, logger="editorial.staffing"):
        counts = send_staffing_alerts()

    assert (counts[AlertKind.ROUND_SHORT], counts["no_recipient"]) == (0, 1)
    assert mailoutbox == []
    assert not StaffingAlert.objects.exists()
    assert "event=staffing_alert_without_recipient kind=round_short" in caplog.text
    world.chief.is_active = True
    world.chief.save()
    assert send_staffing_alerts()[AlertKind.ROUND_SHORT] == 1
    (email,) = mailoutbox
    assert email.to == [world.chief.email]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_alert_once(world, mailoutbox):
    submit(world.article)
    everyone_declines(world.article, world.editor)
    mailoutbox.clear()
    StaffingAlert.objects.all().delete()

    results = run_at_once(send_staffing_alerts, send_staffing_alerts)

    assert not any(isinstance(result, BaseException) for result in results), results
    assert sum(result[AlertKind.ROUND_SHORT] for result in results) == 1
    assert sum(result["already_sent"] for result in results) == 1
    assert len([email for email in mailoutbox if email.subject.startswith("Review stuck")]) == 1


class TestExtendingDueDates:
    def test_a_chief_gives_several_reviews_more_time_with_a_reason(self, world):
        submit(world.article)
        reviews = services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
        later = max(review.due_at for review in reviews) + datetime.timedelta(days=7)

        extended = services.extend_due_dates(
            actor=world.chief, assignments=reviews, due_at=later, reason="Congress week"
        )

        assert [refreshed(review).due_at for review in extended] == [later, later]
        row = (
            ReviewAssignment.history.filter(id=reviews[0].pk).order_by("-history_date", "-history_id").first()
        )
        assert (row.history_user, row.history_change_reason) == (world.chief, "Congress week")

    def test_an_earlier_date_or_a_closed_review_is_refused_and_nothing_changes(self, world):
        submit(world.article)
        first, second = services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
        with pytest.raises(ValidationError):
            services.extend_due_dates(
                actor=world.chief,
                assignments=[first],
                due_at=first.due_at - datetime.timedelta(days=1),
                reason="R",
            )
        decline(second)
        with pytest.raises(AssignmentClosed):
            services.extend_due_dates(
                actor=world.chief,
                assignments=[first, second],
                due_at=first.due_at + datetime.timedelta(days=3),
                reason="R",
            )
        assert refreshed(first).due_at == first.due_at

    def test_a_board_member_cannot(self, world):
        submit(world.article)
        (first, _) = services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
        with pytest.raises(ActionNotPermitted):
            services.extend_due_dates(
                actor=first.reviewer.user,
                assignments=[first],
                due_at=first.due_at + datetime.timedelta(days=1),
                reason="R",
            )
