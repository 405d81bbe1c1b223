"""verify_approvals, the finer rules: which board record was in force when an approval was given,
which round stands behind the page, the order and wording of what it reports, the day it judges
for, and whom it emails. Violations are seeded directly in the database, as only a change outside
the application could make them."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, RiskLevel
from editorial.integrity.audit import Violation, email_editors_in_chief, verify_approvals
from editorial.models import ReviewAssignment, ReviewRound, RoundOutcome
from reviewers.models import BoardMember, ConflictOfInterest
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import ArticleFactory, ChiefFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(article, specialists):
    """A standard oncology article approved by one oncologist, whose board record was saved twice
    before the review (three history rows); returns the approval."""
    member = specialists[0]
    for _ in range(2):
        member.save()
    (assignment,) = in_review(article, member)
    approve(assignment)
    return refreshed(assignment)


def records_before(approval):
    """The reviewer's board history rows up to the decision, oldest first."""
    return BoardMember.history.filter(
        id=approval.reviewer_id, history_date__lte=approval.decided_at
    ).order_by("history_date", "history_id")


def quorum(article, needed=1):
    return Violation(
        article.pk, article.slug, "quorum", f"0 of the {needed} approvals its risk level needs count."
    )


def needs_specialist(article):
    return Violation(
        article.pk,
        article.slug,
        "needs_specialist",
        "A high-risk article needs the approval of a member of Medical oncology.",
    )


class TestTheBoardRecordWhenDeciding:
    def test_only_the_latest_record_before_the_decision_counts(self, approved):
        """Earlier records said inactive and unverified; the one in force when they approved did not."""
        rows = list(records_before(approved))
        assert len(rows) >= 3
        decided_on = timezone.localdate(approved.decided_at)
        BoardMember.history.filter(history_id__in=[row.history_id for row in rows[:-1]]).update(
            is_active=False, credentials_verified_until=decided_on - datetime.timedelta(days=1)
        )

        assert verify_approvals().violations == []

    def test_a_record_made_at_the_moment_of_the_decision_counts(self, approved, article):
        member = approved.reviewer
        member.is_active = False
        member.save()  # a closed approval stays: the audit reads the record's history
        latest = BoardMember.history.filter(id=member.pk).order_by("-history_date", "-history_id").first()
        BoardMember.history.filter(history_id=latest.history_id).update(history_date=approved.decided_at)

        assert verify_approvals().violations == [
            Violation(
                article.pk,
                article.slug,
                "inactive_when_deciding",
                f"{member.display_name} was not an active member when they approved.",
            ),
            quorum(article),
        ]

    def test_credentials_checked_until_the_day_of_the_decision_were_current(self, approved):
        decided_on = timezone.localdate(approved.decided_at)
        records_before(approved).update(credentials_verified_until=decided_on)

        with time_machine.travel(approved.decided_at + datetime.timedelta(days=30)):
            assert verify_approvals().violations == []

    def test_a_lapsed_check_is_reported_with_the_day_of_the_decision_not_of_the_audit(
        self, approved, article
    ):
        decided_on = timezone.localdate(approved.decided_at)
        records_before(approved).update(credentials_verified_until=decided_on - datetime.timedelta(days=1))

        with time_machine.travel(approved.decided_at + datetime.timedelta(days=30)):
            violations = verify_approvals().violations

        name = approved.reviewer.display_name
        assert violations == [
            Violation(
                article.pk,
                article.slug,
                "credentials_lapsed_when_deciding",
                f"{name}'s credential check had lapsed when they approved on {decided_on:%Y-%m-%d}.",
            ),
            quorum(article),
        ]

    def test_standing_lost_after_the_approval_is_no_violation(self, approved):
        """A review given in good standing stays given: leaving the board, or a credential check
        running out, later does not undo it."""
        member = approved.reviewer
        member.is_active = False
        member.credentials_verified_until = timezone.localdate() - datetime.timedelta(days=1)
        member.save()

        assert verify_approvals().violations == []

    def test_without_any_record_from_before_the_decision_the_standing_is_not_judged(self, approved):
        """The board's history is kept only since it was turned on: an approval from before then
        is judged by the other rules alone."""
        BoardMember.history.filter(id=approved.reviewer_id).delete()

        assert verify_approvals().violations == []


def test_an_older_version_s_approving_round_does_not_stand_behind_the_page(article, specialists):
    """Version 2 is shown; its approving round withdrawn by hand, the round that approved version 1
    is no stand-in."""
    (first,) = in_review(article, specialists[0])
    approve(first)
    new_version(article)
    submit(article)
    second = assign(article, specialists[1])
    approve(second)
    assert refreshed(article).published_version.number == 2
    ReviewRound.objects.filter(pk=second.round_id).update(outcome=RoundOutcome.WITHDRAWN)

    assert verify_approvals().violations == [
        Violation(
            article.pk,
            article.slug,
            "no_approving_round",
            "No review round approved version 2, which the site shows.",
        )
    ]


def test_an_article_s_approvals_are_reported_in_the_order_they_were_given(high_risk_article, specialists):
    assigned_first, assigned_second = in_review(high_risk_article, *specialists[:2])
    approve(assigned_second)
    approve(assigned_first)
    ReviewAssignment.objects.filter(round_id=assigned_first.round_id).update(decided_content_hash="0" * 64)

    article = high_risk_article
    text_changed = [
        Violation(
            article.pk,
            article.slug,
            "text_changed",
            f"{member.display_name} approved other text than the version's content hash.",
        )
        for member in (assigned_second.reviewer, assigned_first.reviewer)
    ]
    assert verify_approvals().violations == [
        *text_changed,
        quorum(article, needed=2),
        needs_specialist(article),
    ]


def test_with_no_approval_counting_the_quorum_named_is_the_new_risk_level_s(approved, article):
    """The approval was given at the standard level; the article was made high-risk behind the
    application's back and the approved text changed: the quorum now owed is the high level's."""
    Article.objects.filter(pk=article.pk).update(risk_level=RiskLevel.HIGH)
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)

    assert verify_approvals().violations == [
        Violation(
            article.pk,
            article.slug,
            "text_changed",
            f"{approved.reviewer.display_name} approved other text than the version's content hash.",
        ),
        quorum(article, needed=2),
        needs_specialist(article),
    ]


def test_the_audit_judges_the_conflicts_in_force_at_the_time_it_is_run_for(approved, article):
    """A conflict declared to start in ten days: not a violation now, one as of that day."""
    starts = timezone.localdate() + datetime.timedelta(days=10)
    ConflictOfInterest.objects.create(
        member=approved.reviewer, article=article, reason="Joins the sponsor", declared_on=starts
    )
    assert verify_approvals().violations == []

    then = timezone.make_aware(datetime.datetime.combine(starts, datetime.time(12)))
    report = verify_approvals(now=then)

    name = approved.reviewer.display_name
    assert (report.checked, report.violations) == (
        1,
        [
            Violation(
                article.pk,
                article.slug,
                "conflict_of_interest",
                f"{name} has declared a conflict of interest: this article.",
            ),
            quorum(article),
        ],
    )


def test_the_queries_per_chunk_stay_fixed_when_every_article_has_a_violation(specialists, oncology):
    """The specialty named in each "not a specialist" violation is read with its article."""

    def approve_one():
        (assignment,) = in_review(ArticleFactory(specialty=oncology), specialists[0])
        approve(assignment)
        ReviewAssignment.objects.filter(pk=assignment.pk).update(decided_as_specialist=False)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            report = verify_approvals()
        assert {violation.rule for violation in report.violations} == {"not_a_specialist", "quorum"}
        return len(captured.captured_queries)

    approve_one()
    one = queries()
    for _ in range(4):
        approve_one()
    assert queries() == one


def test_the_email_goes_to_every_active_editor_in_chief_with_an_address_and_says_it_all(
    approved, article, settings, caplog
):
    settings.SITE_URL = "https://board.example.org"
    reachable = [ChiefFactory(email=f"{name}@example.org") for name in ("zoe", "ann")]
    ChiefFactory(email="")
    ChiefFactory(email="gone@example.org", is_active=False)
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)
    report = verify_approvals()

    with caplog.at_level(logging.WARNING, logger="editorial.integrity.audit"):
        assert email_editors_in_chief(report) == 2

    (email,) = mail.outbox
    assert email.to == sorted(chief.email for chief in reachable)
    assert email.subject == "Approval audit: 2 problems on 1 article showing the board's approval"
    name = approved.reviewer.display_name
    assert email.body == (
        "The daily approval audit checked the 1 article whose public page says "
        '"approved by the Medical Advisory Board" and found 2 problems. Each line names the article, '
        "the rule and what is wrong:\n"
        "\n"
        f"- {article.slug}: text_changed: {name} approved other text than the version's content hash.\n"
        f"- {article.slug}: quorum: 0 of the 1 approvals its risk level needs count.\n"
        "\n"
        "The workflow keeps these rules as it goes, so a problem here usually means the records were "
        "changed outside the application. Check the article's history in the admin "
        "(https://board.example.org/admin/), then withdraw its approval by having it reviewed again. "
        "To run the audit yourself: python manage.py verify_approvals\n"
        "\n"
        "The Medical Advisory Board's editorial office\n"
    )
    assert [record.getMessage() for record in caplog.records] == [
        "event=approval_integrity_violations violations=2 articles=1 recipients=2"
    ]


def test_no_email_when_there_is_no_editor_in_chief_to_reach(approved):
    ChiefFactory(email="")
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)

    assert email_editors_in_chief(verify_approvals()) == 0
    assert mail.outbox == []
