"""Submitting the top of the triage queue to the board's free capacity: nothing while the setting is
off; with it on, exactly as many articles as the free seats allow, in rank order, through the
workflow services as the system user with the rank in the reason; never an article another worker
already took."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from articles.models import Article, ArticleStatus, RiskLevel
from articles.provenance import Provenance
from editorial.models import ReviewAssignment, ReviewRound
from editorial.triage import services, tasks
from reviewers.services import get_system_user
from tests.factories import BoardMemberFactory
from tests.helpers import run_at_once
from tests.markers import requires_postgres
from tests.triage.conftest import pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_submit_on(settings):
    settings.TRIAGE_AUTO_SUBMIT = True


def statuses() -> dict[str, str]:
    return dict(Article.objects.values_list("slug", "status"))


def test_auto_submission_is_off_by_default_and_the_task_does_nothing_and_says_so(oncology, editor, caplog):
    BoardMemberFactory(specialties=[oncology])
    pending(oncology, editor, slug="waiting")

    with caplog.at_level(logging.INFO, logger="editorial.tasks"):
        counts = tasks.auto_submit_triage.apply().get()

    assert counts["enabled"] == 0 and counts["submitted"] == 0
    assert statuses() == {"waiting": ArticleStatus.DRAFT}
    assert not ReviewRound.objects.exists()
    assert any("task=auto_submit_triage" in line and "enabled=0" in line for line in caplog.messages)


def test_it_submits_the_top_of_the_queue_while_the_board_has_free_seats(oncology, editor, auto_submit_on):
    members = [BoardMemberFactory(specialties=[oncology], max_open_reviews=1) for _ in range(3)]
    for slug, age in [("fifth", 1), ("fourth", 2), ("third", 3), ("second", 4), ("first", 5)]:
        pending(oncology, editor, slug=slug, age_days=age)

    counts = tasks.auto_submit_triage.apply().get()

    assert counts == {
        "enabled": 1,
        "submitted": 3,
        "skipped": 0,
        "without_reviewers": 0,
        "free_seats_before": 3,
        "free_seats_after": 0,
    }
    assert statuses() == {
        "first": ArticleStatus.UNDER_REVIEW,
        "second": ArticleStatus.UNDER_REVIEW,
        "third": ArticleStatus.UNDER_REVIEW,
        "fourth": ArticleStatus.DRAFT,
        "fifth": ArticleStatus.DRAFT,
    }
    assert set(ReviewAssignment.objects.values_list("reviewer_id", flat=True)) == {m.pk for m in members}
    system = get_system_user()
    for rank, slug in enumerate(["first", "second", "third"], start=1):
        submitted = Article.history.filter(slug=slug, status=ArticleStatus.SUBMITTED).get()
        assert submitted.history_user == system
        assert submitted.history_change_reason.startswith(f"Triage: auto-submitted at rank {rank} (score ")
        round = ReviewRound.objects.get(article__slug=slug)
        assert round.opened_by == system
        assignment = ReviewAssignment.history.filter(round=round).get()
        assert (assignment.history_user, assignment.history_change_reason) == (system, services.ASSIGN_REASON)


def test_a_run_with_no_free_seat_submits_nothing(oncology, editor, auto_submit_on):
    member = BoardMemberFactory(specialties=[oncology], max_open_reviews=1)
    first = pending(oncology, editor, slug="first", age_days=2)
    pending(oncology, editor, slug="second", age_days=1)
    services.auto_submit()

    run = services.auto_submit()

    assert (run.submitted, run.free_seats_before) == (0, 0)
    assert statuses() == {"first": ArticleStatus.UNDER_REVIEW, "second": ArticleStatus.DRAFT}
    assert ReviewAssignment.objects.get().reviewer == member and first.review_rounds.count() == 1


def test_an_article_needing_more_seats_than_its_specialty_has_free_waits_and_the_next_goes(
    oncology, editor, auto_submit_on
):
    BoardMemberFactory(specialties=[oncology], max_open_reviews=1)
    pending(oncology, editor, slug="high", risk=RiskLevel.HIGH, provenance=Provenance.AI_GENERATED)
    pending(oncology, editor, slug="standard")

    run = services.auto_submit()

    assert run.submitted == 1
    assert statuses() == {"high": ArticleStatus.DRAFT, "standard": ArticleStatus.UNDER_REVIEW}


def test_an_article_nobody_free_may_review_is_left_pending_with_nothing_written(
    oncology, editor, auto_submit_on
):
    author = BoardMemberFactory(specialties=[oncology], max_open_reviews=5)
    own = pending(oncology, author.user, slug="own-text", age_days=3)  # nobody reviews their own text
    history_before = Article.history.filter(pk=own.pk).count()

    run = services.auto_submit()

    assert (run.submitted, run.without_reviewers) == (0, 1)
    assert statuses() == {"own-text": ArticleStatus.DRAFT}
    assert not ReviewRound.objects.exists()
    assert Article.history.filter(pk=own.pk).count() == history_before


def test_a_run_stops_at_its_limit(oncology, editor, auto_submit_on, settings):
    settings.TRIAGE_AUTO_SUBMIT_MAX_PER_RUN = 2
    BoardMemberFactory(specialties=[oncology], max_open_reviews=10)
    for number in range(4):
        pending(oncology, editor, slug=f"article-{number}", age_days=number)

    assert services.auto_submit().submitted == 2
    assert sorted(slug for slug, status in statuses().items() if status == ArticleStatus.UNDER_REVIEW) == [
        "article-2",
        "article-3",
    ]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_submit_each_article_once_and_fill_no_seat_twice(oncology, editor, settings):
    settings.TRIAGE_AUTO_SUBMIT = True
    members = [BoardMemberFactory(specialties=[oncology], max_open_reviews=2) for _ in range(3)]
    for number in range(10):
        pending(oncology, editor, slug=f"article-{number}", age_days=number)
    assert connection.vendor == "postgresql"

    first, second = run_at_once(services.auto_submit, services.auto_submit)

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert first.submitted + second.submitted == 6  # three members, two seats each
    assert not set(first.submitted_ids) & set(second.submitted_ids)
    assert ReviewRound.objects.count() == 6
    for slug in (f"article-{number}" for number in range(4, 10)):
        assert Article.history.filter(slug=slug, status=ArticleStatus.SUBMITTED).count() == 1
    for member in members:
        assert ReviewAssignment.objects.filter(reviewer=member).count() == 2
