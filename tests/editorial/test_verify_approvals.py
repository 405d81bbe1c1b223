"""verify_approvals: every article showing an approval, re-checked from the stored records. Each
violation is seeded directly in the database, as only a change outside the application could."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ArticleVersion, RiskLevel
from editorial import tasks
from editorial.integrity.audit import Violation, verify_approvals
from editorial.models import ReviewAssignment, ReviewRound, RoundOutcome
from reviewers.models import BoardMember, ConflictOfInterest
from tests.editorial.conftest import approve, in_review
from tests.factories import ArticleFactory, ChiefFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(article, specialists):
    """A standard oncology article approved by one oncologist; returns the approval."""
    (assignment,) = in_review(article, specialists[0])
    approve(assignment)
    assignment.refresh_from_db()
    return assignment


def rules_found():
    return sorted({violation.rule for violation in verify_approvals().violations})


def test_a_clean_record_passes(approved, capsys):
    report = verify_approvals()
    assert (report.checked, report.violations) == (1, [])
    call_command("verify_approvals")
    assert "1 article(s) showing an approval checked; 0 violation(s)" in capsys.readouterr().out


def test_an_unvoided_approval_by_a_member_with_a_conflict_about_the_article(approved, article):
    # bulk_create sends no signal: as if the row had been written by hand.
    ConflictOfInterest.objects.bulk_create(
        [
            ConflictOfInterest(
                member=approved.reviewer, article=article, reason="Shares", declared_on=timezone.localdate()
            )
        ]
    )
    assert rules_found() == ["conflict_of_interest", "quorum"]


def test_text_changed_after_it_was_approved(approved, article):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ArticleVersion._meta.db_table} SET body = %s WHERE id = %s",  # noqa: S608
            ["Double the dose.", approved.round.version_id],
        )
    assert rules_found() == ["text_tampered"]


def test_an_approval_naming_another_text(approved):
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)
    assert rules_found() == ["quorum", "text_changed"]


def test_a_risk_level_raised_without_the_approvals_it_needs(approved, article):
    Article.objects.filter(pk=article.pk).update(risk_level=RiskLevel.HIGH)
    assert rules_found() == ["quorum"]


def test_a_specialty_changed_under_the_approval(approved, article):
    Article.objects.filter(pk=article.pk).update(specialty=SpecialtyFactory(name="Cardiology"))
    assert rules_found() == ["quorum", "specialty_changed"]


def test_an_approval_by_a_non_specialist_without_an_override(approved):
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_as_specialist=False)
    assert rules_found() == ["not_a_specialist", "quorum"]


def test_a_high_risk_approval_without_a_specialist(high_risk_article, specialists):
    assignments = in_review(high_risk_article, *specialists[:2])
    for assignment in assignments:
        approve(assignment)
    ReviewAssignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        decided_as_specialist=False, override_reason="Chief's override"
    )
    assert rules_found() == ["needs_specialist"]


def test_an_approval_by_an_author_of_the_text(approved, article):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ArticleVersion._meta.db_table} SET author_id = %s WHERE id = %s",  # noqa: S608
            [approved.reviewer.user_id, approved.round.version_id],
        )
    assert rules_found() == ["author", "quorum"]


def test_a_voided_approval_leaves_the_badge_without_enough_approvals(approved):
    ReviewAssignment.objects.filter(pk=approved.pk).update(voided_at=timezone.now(), void_reason="By hand")
    assert rules_found() == ["quorum"]


def test_no_round_approved_the_version_shown(approved):
    ReviewRound.objects.filter(pk=approved.round_id).update(outcome=RoundOutcome.WITHDRAWN)
    assert rules_found() == ["no_approving_round"]


def test_a_reviewer_who_was_inactive_or_unverified_when_they_approved(approved):
    BoardMember.history.filter(id=approved.reviewer_id, history_date__lte=approved.decided_at).update(
        is_active=False, credentials_verified_until=approved.decided_at.date() - datetime.timedelta(days=1)
    )
    assert rules_found() == ["credentials_lapsed_when_deciding", "inactive_when_deciding", "quorum"]


def test_articles_not_showing_an_approval_are_not_audited(approved, article):
    Article.objects.filter(pk=article.pk).update(review_due_at=timezone.now() - datetime.timedelta(days=1))
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)
    assert verify_approvals().checked == 0


def test_the_command_prints_each_violation_and_exits_non_zero(approved, article, capsys):
    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)

    with pytest.raises(CommandError) as refused:
        call_command("verify_approvals")

    assert refused.value.returncode == 1
    assert "1 violation(s)" not in str(refused.value)
    assert "2 violation(s) on 1 article(s)" in str(refused.value)
    out = capsys.readouterr().out
    assert f"{article.slug}: text_changed: " in out
    assert f"{article.slug}: quorum: 0 of the 1 approvals its risk level needs count." in out


def test_the_daily_task_emails_the_editors_in_chief_when_it_finds_something(approved, article):
    chief = ChiefFactory(email="chief@example.org")
    assert tasks.verify_approvals() == {"checked": 1, "violations": 0, "emailed": 0}
    assert mail.outbox == []

    ReviewAssignment.objects.filter(pk=approved.pk).update(decided_content_hash="0" * 64)
    assert tasks.verify_approvals() == {"checked": 1, "violations": 2, "emailed": 1}

    (email,) = mail.outbox
    assert email.to == [chief.email]
    assert email.subject == "Approval audit: 2 problems on 1 article showing the board's approval"
    assert f"- {article.slug}: text_changed: " in email.body


def test_the_audit_reads_a_fixed_number_of_queries_per_chunk(specialists, oncology):
    def approve_one():
        (assignment,) = in_review(ArticleFactory(specialty=oncology), specialists[0])
        approve(assignment)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            verify_approvals()
        return len(captured.captured_queries)

    approve_one()
    one = queries()
    for _ in range(4):
        approve_one()
    assert verify_approvals().checked == 5
    assert queries() == one


def test_each_article_of_a_chunk_is_checked_on_its_own_and_named_in_its_violations(specialists, oncology):
    """Three approved articles in chunks of two: the first has lost its approving round, the
    second's text was changed, the third is clean; each violation names its article and says what
    is wrong, and every article is counted."""
    articles = []
    for _ in range(3):
        article = ArticleFactory(specialty=oncology)
        (assignment,) = in_review(article, specialists[0])
        approve(assignment)
        articles.append((article, assignment))
    (lost, lost_approval), (tampered, tampered_approval), _ = articles
    ReviewRound.objects.filter(pk=lost_approval.round_id).update(outcome=RoundOutcome.WITHDRAWN)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ArticleVersion._meta.db_table} SET body = %s WHERE id = %s",  # noqa: S608
            ["Double the dose.", tampered_approval.round.version_id],
        )

    report = verify_approvals(chunk_size=2)

    assert report.checked == 3
    assert report.violations == [
        Violation(
            lost.pk,
            lost.slug,
            "no_approving_round",
            "No review round approved version 1, which the site shows.",
        ),
        Violation(
            tampered.pk,
            tampered.slug,
            "text_tampered",
            "The stored text of version 1 no longer matches the content hash its approvals name: it was "
            "changed after it was approved.",
        ),
    ]
