"""The staleness sweep: due approvals expire with their history rows, and re-reviews open."""

from __future__ import annotations

import datetime
import logging
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from articles.models import Article
from articles.models import ArticleStatus as S
from editorial import services, staleness
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound, RoundTrigger
from reviewers.models import BoardMember
from tests.editorial.conftest import new_version, refreshed
from tests.editorial.scheduling import approved_long_ago, due_articles
from tests.factories import ArticleFactory, BoardMemberFactory
from tests.helpers import run_at_once
from tests.markers import requires_postgres


def expiry_rows(article):
    return list(article.history.filter(status=S.EXPIRED).order_by("history_id"))


def re_review_rounds(article):
    return list(ReviewRound.objects.filter(article=article, trigger=RoundTrigger.RE_REVIEW))


@pytest.fixture
def member(oncology):
    return BoardMemberFactory(specialties=[oncology])


@pytest.fixture
def due(oncology, editor, member):
    """Three approved oncology articles whose review date passed 35 days ago."""
    return due_articles(3, specialty=oncology, editor=editor, member=member)


@pytest.mark.django_db
class TestExpiry:
    def test_due_approvals_expire_each_with_one_history_row_by_the_system_user(self, due, system_user):
        result = staleness.expire_due_articles(batch_size=2)

        assert (result.expired, result.batches) == (3, 2)
        for article in due:
            assert refreshed(article).status == S.EXPIRED
            (row,) = expiry_rows(article)
            assert (row.history_user, row.history_type) == (system_user, "~")
            assert row.history_change_reason == (
                "Review date passed: an approval of this article stands for 365 days "
                "(its review interval), so it must be reviewed again"
            )

    def test_the_history_row_is_the_article_as_it_is_after_expiry(self, due):
        before = Article.objects.get(pk=due[0].pk)
        now = timezone.now()

        staleness.expire_due_articles(now=now)

        after = Article.objects.get(pk=due[0].pk)
        (row,) = expiry_rows(after)
        for field in Article._meta.concrete_fields:
            assert getattr(row, field.attname) == getattr(after, field.attname), field.name
        assert (after.updated_at, row.history_date) == (now, now)
        assert after.published_version_id == before.published_version_id
        assert after.review_due_at == before.review_due_at

    def test_the_sweep_expires_exactly_as_the_workflow_service_does(self, due, system_user):
        by_sweep, by_service = due[0], due[1]
        fields = [f.attname for f in Article._meta.concrete_fields if f.name != "updated_at"]

        def changes(article, before):
            after = Article.objects.get(pk=article.pk)
            return {f: getattr(after, f) for f in fields if getattr(after, f) != getattr(before, f)}

        before_sweep, before_service = (Article.objects.get(pk=a.pk) for a in (by_sweep, by_service))
        Article.objects.filter(pk=by_service.pk).update(
            review_due_at=timezone.now() + datetime.timedelta(days=1)
        )
        staleness.expire_due_articles()
        Article.objects.filter(pk=by_service.pk).update(review_due_at=before_service.review_due_at)
        reason = staleness.expiry_reason(365)
        services.expire(actor=system_user, article=by_service, reason=reason)

        assert changes(by_sweep, before_sweep) == changes(by_service, before_service) == {"status": S.EXPIRED}
        (swept_row,), (served_row,) = expiry_rows(by_sweep), expiry_rows(by_service)
        assert (swept_row.history_user, swept_row.history_type, swept_row.history_change_reason) == (
            served_row.history_user,
            served_row.history_type,
            served_row.history_change_reason,
        )

    def test_an_approval_due_this_very_moment_is_expired_as_the_public_page_already_says(self, due):
        article = due[0]
        now = timezone.now()
        Article.objects.filter(pk=article.pk).update(review_due_at=now)
        assert refreshed(article).review_is_due(now)

        staleness.expire_due_articles(now=now)

        assert refreshed(article).status == S.EXPIRED

    def test_the_reason_names_the_interval_that_applies_to_the_article(self, oncology, editor, member):
        oncology.review_interval_days = 200
        oncology.save()
        by_specialty = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), member)
        own = ArticleFactory(specialty=oncology, actor=editor)
        Article.objects.filter(pk=own.pk).update(review_interval_days=90)
        own = approved_long_ago(own, member)

        staleness.expire_due_articles()

        assert "stands for 200 days" in expiry_rows(by_specialty)[0].history_change_reason
        assert "stands for 90 days" in expiry_rows(own)[0].history_change_reason

    def test_approvals_not_yet_due_and_other_statuses_are_left_alone(self, oncology, editor, member):
        recent = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), member, days_ago=300)
        draft = ArticleFactory(specialty=oncology, actor=editor)
        rows_before = {article.pk: article.history.count() for article in (recent, draft)}

        assert staleness.expire_due_articles().expired == 0

        assert (refreshed(recent).status, refreshed(draft).status) == (S.APPROVED, S.DRAFT)
        assert {article.pk: article.history.count() for article in (recent, draft)} == rows_before

    def test_a_second_run_expires_nothing_more(self, due):
        staleness.expire_due_articles()

        assert staleness.expire_due_articles().expired == 0
        assert [len(expiry_rows(article)) for article in due] == [1, 1, 1]


@pytest.mark.django_db
class TestReReview:
    def test_the_sweep_opens_a_re_review_of_the_same_version_and_assigns_a_reviewer(
        self, due, member, system_user
    ):
        counts = staleness.mark_stale_articles(batch_size=2)

        assert counts == {
            "expired": 3,
            "expiry_batches": 2,
            "re_reviews_opened": 3,
            "re_reviews_without_reviewers": 0,
            "re_reviews_assigned_late": 0,
            "expired_with_newer_version": 0,
            "re_reviews_remaining": 0,
            "re_reviews_retried": 0,
        }
        for article in due:
            article.refresh_from_db()
            assert article.status == S.UNDER_REVIEW
            (round,) = re_review_rounds(article)
            assert (round.version_id, round.opened_by, round.is_open) == (
                article.published_version_id,
                system_user,
                True,
            )
            (assignment,) = round.assignments.all()
            assert (assignment.reviewer, assignment.assigned_by, assignment.state) == (
                member,
                system_user,
                AssignmentState.PENDING,
            )
            statuses = [row.status for row in article.history.order_by("history_date", "history_id")]
            assert statuses[-3:] == [S.EXPIRED, S.SUBMITTED, S.UNDER_REVIEW]

    def test_the_public_version_stays_published_during_the_re_review(self, due):
        published = {article.pk: article.published_version_id for article in due}

        staleness.mark_stale_articles()

        assert {article.pk: refreshed(article).published_version_id for article in due} == published

    def test_a_second_run_changes_nothing(self, due):
        staleness.mark_stale_articles()
        rounds, assignments = ReviewRound.objects.count(), ReviewAssignment.objects.count()

        counts = staleness.mark_stale_articles()

        assert (counts["expired"], counts["re_reviews_opened"]) == (0, 0)
        assert (ReviewRound.objects.count(), ReviewAssignment.objects.count()) == (rounds, assignments)

    def test_an_article_expired_before_a_crash_gets_its_re_review_on_the_next_run(self, due):
        staleness.expire_due_articles()  # the crash: expiry committed, the re-reviews never opened

        counts = staleness.mark_stale_articles()

        assert (counts["expired"], counts["re_reviews_opened"]) == (0, 3)
        assert all(refreshed(article).status == S.UNDER_REVIEW for article in due)
        assert [len(expiry_rows(article)) for article in due] == [1, 1, 1]

    def test_without_an_eligible_reviewer_the_article_waits_submitted_and_is_assigned_later(
        self, due, member, caplog
    ):
        BoardMember.objects.filter(pk=member.pk).update(is_active=False)

        with caplog.at_level(logging.WARNING, logger="editorial.staleness"):
            counts = staleness.mark_stale_articles()

        assert (counts["re_reviews_opened"], counts["re_reviews_without_reviewers"]) == (3, 3)
        assert all(refreshed(article).status == S.SUBMITTED for article in due)
        assert caplog.text.count("event=re_review_without_reviewers") == 3

        BoardMember.objects.filter(pk=member.pk).update(is_active=True)
        counts = staleness.mark_stale_articles()

        assert (counts["re_reviews_assigned_late"], counts["re_reviews_without_reviewers"]) == (3, 0)
        assert all(refreshed(article).status == S.UNDER_REVIEW for article in due)
        assert [len(re_review_rounds(article)) for article in due] == [1, 1, 1]

    def test_an_expired_article_with_a_newer_version_is_left_to_its_editors(self, oncology, editor, member):
        article = approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), member)
        new_version(article)

        counts = staleness.mark_stale_articles()

        assert (counts["expired"], counts["re_reviews_opened"], counts["expired_with_newer_version"]) == (
            1,
            0,
            1,
        )
        assert refreshed(article).status == S.EXPIRED
        assert re_review_rounds(article) == []

    def test_re_reviews_beyond_the_limit_of_a_run_are_counted_and_opened_by_the_next(self, due):
        counts = staleness.mark_stale_articles(re_review_limit=2)

        assert (counts["re_reviews_opened"], counts["re_reviews_remaining"]) == (2, 1)
        assert staleness.mark_stale_articles(re_review_limit=2)["re_reviews_opened"] == 1
        assert all(refreshed(article).status == S.UNDER_REVIEW for article in due)


@pytest.mark.django_db
def test_the_task_returns_its_counts_and_logs_them_on_one_line(due, caplog):
    from editorial.tasks import mark_stale_articles

    with caplog.at_level(logging.INFO, logger="editorial.tasks"):
        counts = mark_stale_articles()

    assert (counts["expired"], counts["re_reviews_opened"]) == (3, 3)
    (line,) = [record for record in caplog.records if record.name == "editorial.tasks"]
    assert line.getMessage().startswith("task=mark_stale_articles seconds=")
    assert "expired=3 expiry_batches=1 re_reviews_opened=3" in line.getMessage()
    assert line.counts == counts


@pytest.mark.django_db
def test_a_backlog_larger_than_a_run_continues_in_a_follow_up_run(due):
    from unittest import mock

    from editorial import tasks

    with (
        override_settings(STALENESS_RE_REVIEWS_PER_RUN=2),
        mock.patch.object(tasks.mark_stale_articles, "delay") as follow_up,
    ):
        counts = tasks.mark_stale_articles()
        assert (counts["re_reviews_opened"], counts["re_reviews_remaining"]) == (2, 1)
        follow_up.assert_called_once_with()
        follow_up.reset_mock()

        assert tasks.mark_stale_articles()["re_reviews_remaining"] == 0
        follow_up.assert_not_called()


# --- Two workers at once (PostgreSQL) -------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_sharing_the_sweep_expire_and_re_review_each_article_once(oncology, editor, attempt):
    members = [BoardMemberFactory(specialties=[oncology], max_open_reviews=20) for _ in range(2)]
    articles = [
        approved_long_ago(ArticleFactory(specialty=oncology, actor=editor), members[index % 2])
        for index in range(16)
    ]

    results = run_at_once(
        lambda: staleness.mark_stale_articles(batch_size=3),
        lambda: staleness.mark_stale_articles(batch_size=3),
    )

    assert not any(isinstance(result, BaseException) for result in results), results
    assert sum(result["expired"] for result in results) == 16
    assert sum(result["re_reviews_opened"] for result in results) == 16
    for article in articles:
        article.refresh_from_db()
        assert article.status == S.UNDER_REVIEW
        assert len(expiry_rows(article)) == 1
        (round,) = re_review_rounds(article)
        assert round.assignments.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_an_article_locked_by_a_request_is_skipped_without_waiting_and_expired_next_run(oncology, editor):
    member = BoardMemberFactory(specialties=[oncology])
    locked, *others = due_articles(3, specialty=oncology, editor=editor, member=member)
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                Article.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        first = staleness.expire_due_articles()
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert first.expired == 2
    assert waited < 5
    assert [refreshed(article).status for article in (locked, *others)] == [S.APPROVED, S.EXPIRED, S.EXPIRED]
    assert staleness.expire_due_articles(now=timezone.now() + datetime.timedelta(seconds=1)).expired == 1
    assert len(expiry_rows(refreshed(locked))) == 1
