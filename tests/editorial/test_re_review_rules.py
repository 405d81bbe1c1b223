"""The re-review step of the staleness sweep: what it records, which waiting re-reviews it retries
and in what order, what it counts, and what it refuses."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import ArticleStatus as S
from editorial import services, staleness
from editorial.models import ReviewAssignment, ReviewRound, RoundTrigger
from reviewers.models import BoardMember
from tests.editorial.conftest import assign, refreshed, submit
from tests.editorial.scheduling import approved_long_ago, due_articles
from tests.factories import ArticleFactory, BoardMemberFactory, ConflictOfInterestFactory
from tests.markers import IS_POSTGRES

pytestmark = pytest.mark.django_db

NOTHING_TO_DO = {
    "expired": 0,
    "expiry_batches": 0,
    "re_reviews_opened": 0,
    "re_reviews_without_reviewers": 0,
    "re_reviews_assigned_late": 0,
    "expired_with_newer_version": 0,
    "re_reviews_remaining": 0,
    "re_reviews_retried": 0,
}


@pytest.fixture
def member(oncology):
    return BoardMemberFactory(specialties=[oncology])


def re_review_round(article):
    return ReviewRound.objects.get(article=article, trigger=RoundTrigger.RE_REVIEW)


def reviewers_of(article):
    return [assignment.reviewer for assignment in re_review_round(article).assignments.all()]


def at_capacity(member, *, editor, specialty):
    """``member`` may hold one open review and holds one, of an article in review: returns it."""
    BoardMember.objects.filter(pk=member.pk).update(max_open_reviews=1)
    busy = ArticleFactory(specialty=specialty, actor=editor)
    submit(busy)
    assign(busy, member)
    return busy


def free_one_seat(busy, editor):
    services.withdraw(actor=editor, article=busy, reason="Withdrawn by the author")


def test_the_re_review_records_why_it_was_opened_and_why_its_reviewer_was_assigned(
    oncology, editor, member, system_user
):
    (article,) = due_articles(1, specialty=oncology, editor=editor, member=member)

    staleness.mark_stale_articles()

    rows = article.history.order_by("-history_date", "-history_id")[:3]
    assert [(row.status, row.history_user, row.history_change_reason) for row in reversed(rows)] == [
        (S.EXPIRED, system_user, staleness.expiry_reason(365)),
        (S.SUBMITTED, system_user, "Re-review: the approval's review date has passed"),
        (S.UNDER_REVIEW, system_user, "Reviewers for the re-review of an expired approval"),
    ]


def test_a_re_review_the_workflow_refuses_is_logged_and_the_article_stays_expired(
    oncology, editor, member, system_user, caplog
):
    """The scheduler's account must never sign in: given a password by mistake, it no longer
    counts as the scheduler, so the workflow refuses to submit for it. The sweep logs the refusal
    and goes on; the article waits, expired, for the next run."""
    (article,) = due_articles(1, specialty=oncology, editor=editor, member=member)
    system_user.set_password("a password nobody should have set")
    system_user.save()

    with caplog.at_level(logging.WARNING, logger="editorial.staleness"):
        counts = staleness.mark_stale_articles()

    assert counts == NOTHING_TO_DO | {"expired": 1, "expiry_batches": 1}
    assert refreshed(article).status == S.EXPIRED
    assert not ReviewRound.objects.filter(article=article, trigger=RoundTrigger.RE_REVIEW).exists()
    (record,) = [record for record in caplog.records if record.name == "editorial.staleness.re_review"]
    assert (record.levelno, record.getMessage()) == (
        logging.WARNING,
        f"event=re_review_refused article={article.pk} code=permission_denied "
        "detail=Your role does not allow an article to be submitted for review.",
    )


def test_a_waiting_re_review_retried_without_an_eligible_reviewer_is_counted_and_logged(
    oncology, editor, member, caplog
):
    """The specialty has a free seat, but its only free member declared a conflict with the
    article: the retry finds nobody, says so, and the re-review keeps waiting."""
    (article,) = due_articles(1, specialty=oncology, editor=editor, member=member)
    BoardMember.objects.filter(pk=member.pk).update(is_active=False)
    conflicted = BoardMemberFactory(specialties=[oncology])
    ConflictOfInterestFactory(member=conflicted, article=article)
    assert staleness.mark_stale_articles()["re_reviews_without_reviewers"] == 1
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="editorial.staleness"):
        counts = staleness.mark_stale_articles()

    assert counts == NOTHING_TO_DO | {"re_reviews_without_reviewers": 1, "re_reviews_retried": 1}
    assert refreshed(article).status == S.SUBMITTED
    assert reviewers_of(article) == []
    (record,) = [record for record in caplog.records if record.name == "editorial.staleness.re_review"]
    assert (record.levelno, record.getMessage()) == (
        logging.WARNING,
        f"event=re_review_without_reviewers article={article.pk} detail=No eligible member of "
        f"Medical oncology is free to review “{article.title}”. An editor-in-chief can assign a "
        "member from another specialty with an override.",
    )


def test_a_waiting_re_review_is_retried_only_once_its_specialty_has_a_free_seat_and_then_with_one(
    oncology, editor, member
):
    (article,) = due_articles(1, specialty=oncology, editor=editor, member=member)
    busy = at_capacity(member, editor=editor, specialty=oncology)
    assert staleness.mark_stale_articles()["re_reviews_without_reviewers"] == 1

    assert staleness.mark_stale_articles() == NOTHING_TO_DO

    free_one_seat(busy, editor)
    assert staleness.mark_stale_articles() == NOTHING_TO_DO | {
        "re_reviews_assigned_late": 1,
        "re_reviews_retried": 1,
    }
    assert refreshed(article).status == S.UNDER_REVIEW
    assert reviewers_of(article) == [member]


def test_the_re_review_waiting_longest_gets_the_first_free_seat(oncology, editor, member):
    later, longer = due_articles(2, specialty=oncology, editor=editor, member=member)
    busy = at_capacity(member, editor=editor, specialty=oncology)
    assert staleness.mark_stale_articles()["re_reviews_without_reviewers"] == 2
    # The re-review of the article created second has waited since last week (it was opened by
    # an earlier run), the other since today.
    ReviewRound.objects.filter(pk=re_review_round(longer).pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=7)
    )
    assert re_review_round(longer).pk > re_review_round(later).pk

    free_one_seat(busy, editor)
    counts = staleness.mark_stale_articles()

    assert (counts["re_reviews_assigned_late"], counts["re_reviews_without_reviewers"]) == (1, 1)
    assert (refreshed(longer).status, refreshed(later).status) == (S.UNDER_REVIEW, S.SUBMITTED)
    assert reviewers_of(longer) == [member]


def test_the_sweep_assigns_reviewers_to_re_reviews_only_not_to_what_editors_submitted(
    oncology, editor, member
):
    """An article an editor submitted and left without reviewers is the editors' to staff."""
    submitted = ArticleFactory(specialty=oncology, actor=editor)
    submit(submitted)

    assert staleness.mark_stale_articles() == NOTHING_TO_DO
    assert refreshed(submitted).status == S.SUBMITTED
    assert not ReviewAssignment.objects.filter(round__article=submitted).exists()


def test_a_run_after_every_re_review_has_its_reviewer_does_nothing(oncology, editor, member):
    due_articles(2, specialty=oncology, editor=editor, member=member)
    staleness.mark_stale_articles()

    assert staleness.mark_stale_articles() == NOTHING_TO_DO


def test_a_run_opens_the_oldest_due_re_reviews_first_and_reports_that_more_remain(oncology, editor, member):
    """``re_reviews_remaining`` says that more expired articles wait beyond the run's limit (the
    task queues a follow-up run at once); it is 1 however many wait."""
    # Created in this order, the later the longer ago approved: the last is the most overdue.
    articles = [
        approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), member, days_ago=days_ago)
        for days_ago in (380, 390, 400, 410)
    ]

    counts = staleness.mark_stale_articles(re_review_limit=2)

    assert counts == NOTHING_TO_DO | {
        "expired": 4,
        "expiry_batches": 1,
        "re_reviews_opened": 2,
        "re_reviews_remaining": 1,
    }
    assert [refreshed(article).status for article in articles] == [S.EXPIRED, S.EXPIRED] + [
        S.UNDER_REVIEW
    ] * 2


def test_the_sweep_expires_what_is_due_at_the_time_it_is_given(oncology, editor, member):
    """Approved 400 days ago with a 365-day interval: due 35 days ago, not 40."""
    articles = due_articles(2, specialty=oncology, editor=editor, member=member)

    counts = staleness.mark_stale_articles(now=timezone.now() - datetime.timedelta(days=40))

    assert counts == NOTHING_TO_DO
    assert [refreshed(article).status for article in articles] == [S.APPROVED, S.APPROVED]


@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL analyses: tests/editorial/test_staleness_volume.py")
def test_statistics_are_refreshed_on_postgresql_only():
    """Elsewhere there are no planner statistics to refresh: no statement runs, no table is named."""
    with CaptureQueriesContext(connection) as captured:
        assert staleness.analyze_touched_tables() == []
    assert captured.captured_queries == []
