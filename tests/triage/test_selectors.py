"""What the triage queue counts as pending, the order each part of the score gives, the board's free
capacity, and the forecast from a constructed history."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from articles.models import Article, RiskLevel
from articles.provenance import Provenance
from editorial import services
from editorial.models import ReviewRound
from editorial.triage import selectors
from reviewers.services import get_system_user
from tests.editorial.conftest import approve, assign, new_version, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory
from tests.triage.conftest import days_ago, pending, views

pytestmark = pytest.mark.django_db


def order() -> list[str]:
    return [entry.slug for entry in selectors.queue()]


def entry(slug: str):
    return next(entry for entry in selectors.queue(limit=200) if entry.slug == slug)


# --- Pending ----------------------------------------------------------------------------------


def test_pending_is_what_an_editor_could_submit_now_and_nobody_has(oncology, editor, chief, specialists):
    ArticleFactory(slug="new-draft", specialty=oncology, actor=editor)
    in_review = ArticleFactory(slug="in-review", specialty=oncology, actor=editor)
    submit(in_review)
    rejected = ArticleFactory(slug="rejected", specialty=oncology, actor=editor)
    submit(rejected)
    services.decide(
        actor=specialists[0].user,
        assignment=assign(rejected, specialists[0]),
        decision="reject",
        comment="No",
    )
    sent_back = ArticleFactory(slug="sent-back", specialty=oncology, actor=editor)
    submit(sent_back)
    services.decide(
        actor=specialists[1].user,
        assignment=assign(sent_back, specialists[1]),
        decision="request_changes",
        comment="Dose",
    )
    revised = ArticleFactory(slug="revised", specialty=oncology, actor=editor)
    submit(revised)
    services.decide(
        actor=specialists[2].user,
        assignment=assign(revised, specialists[2]),
        decision="request_changes",
        comment="Dose",
    )
    new_version(revised)
    approved = ArticleFactory(slug="approved", specialty=oncology, actor=editor)
    submit(approved)
    approve(assign(approved, specialists[0]))
    approved_then_revised = ArticleFactory(slug="approved-then-revised", specialty=oncology, actor=editor)
    submit(approved_then_revised)
    approve(assign(approved_then_revised, specialists[1]))
    new_version(approved_then_revised)
    retired = ArticleFactory(slug="retired", specialty=oncology, actor=editor)
    services.retire(actor=chief, article=retired, reason="Off the site")

    assert set(selectors.pending_articles().values_list("slug", flat=True)) == {
        "new-draft",  # never decided on
        "revised",  # a newer version after changes were requested
        "approved-then-revised",  # a newer version than the approved one
    }


def test_an_expired_approval_is_left_to_the_re_review_unless_a_newer_version_waits(
    oncology, editor, specialists
):
    same_text = ArticleFactory(slug="same-text", specialty=oncology, actor=editor)
    newer = ArticleFactory(slug="newer", specialty=oncology, actor=editor)
    for article, member in ((same_text, specialists[0]), (newer, specialists[1])):
        submit(article)
        approve(assign(article, member))
    new_version(newer)
    system = get_system_user()
    with time_machine.travel(days_ago(-400), tick=False):
        for article in (same_text, newer):
            services.expire(
                actor=system, article=Article.objects.get(pk=article.pk), reason="Review date passed"
            )

    assert list(selectors.pending_articles().values_list("slug", flat=True)) == ["newer"]


def test_the_statuses_come_from_the_submit_transition():
    assert selectors.submittable_statuses() == ("approved", "changes_requested", "draft", "expired")


# --- Rank ---------------------------------------------------------------------------------------


def test_a_high_risk_article_comes_first_all_else_equal(oncology, editor):
    pending(oncology, editor, slug="standard", age_days=3)
    pending(oncology, editor, slug="high", risk=RiskLevel.HIGH, age_days=3)

    assert order() == ["high", "standard"]
    assert entry("high").risk_points == 30 and entry("standard").risk_points == 0


def test_machine_drafted_text_comes_before_assisted_and_human_text(oncology, editor):
    pending(oncology, editor, slug="human", age_days=2)
    pending(oncology, editor, slug="assisted", provenance=Provenance.AI_ASSISTED, age_days=2)
    pending(oncology, editor, slug="generated", provenance=Provenance.AI_GENERATED, age_days=2)

    assert order() == ["generated", "assisted", "human"]
    assert [entry(slug).provenance_points for slug in order()] == [40, 15, 0]
    assert entry("generated").provenance == Provenance.AI_GENERATED


def test_the_longer_an_article_waits_the_higher_it_goes_up_to_the_cap(oncology, editor):
    pending(oncology, editor, slug="fresh", age_days=1)
    pending(oncology, editor, slug="week", age_days=7)
    pending(oncology, editor, slug="ancient", age_days=400)

    assert order() == ["ancient", "week", "fresh"]
    assert entry("week").days_waiting == pytest.approx(7, abs=0.01)
    assert entry("week").waiting_points == pytest.approx(7, abs=0.01)
    assert entry("ancient").waiting_points == 60  # TRIAGE_MAX_DAYS_WAITING


def test_recent_page_views_raise_an_article_logarithmically(oncology, editor, chief, today):
    quiet = pending(oncology, editor, slug="quiet", age_days=2)
    read = pending(oncology, editor, slug="read", age_days=2)
    popular = pending(oncology, editor, slug="popular", age_days=2)
    long_ago = today - datetime.timedelta(days=40)
    views(
        chief,
        (read, today, 60),
        (read, today - datetime.timedelta(days=1), 39),
        (popular, today, 9999),
        (quiet, long_ago, 10**9),  # outside TRIAGE_PAGE_VIEWS_DAYS: does not count
    )

    assert order() == ["popular", "read", "quiet"]
    assert (entry("read").recent_views, entry("read").views_points) == (99, pytest.approx(20))
    assert entry("popular").views_points == pytest.approx(40)
    assert (entry("quiet").recent_views, entry("quiet").views_points) == (0, 0)


def test_the_score_is_the_sum_of_its_parts_and_the_weights_are_settings(oncology, editor, settings):
    pending(oncology, editor, slug="high", risk=RiskLevel.HIGH, age_days=1)
    pending(oncology, editor, slug="generated", provenance=Provenance.AI_GENERATED, age_days=1)
    settings.TRIAGE_WEIGHTS = {**settings.TRIAGE_WEIGHTS, "high_risk": 50}

    high = entry("high")
    assert order() == ["high", "generated"]
    assert high.score == pytest.approx(
        high.risk_points + high.provenance_points + high.waiting_points + high.views_points
    )
    assert high.score == pytest.approx(51, abs=0.01)


def test_ties_go_to_the_longest_waiting(oncology, editor, settings):
    settings.TRIAGE_WEIGHTS = {**settings.TRIAGE_WEIGHTS, "per_day_waiting": 0}
    pending(oncology, editor, slug="later", age_days=1)
    pending(oncology, editor, slug="earlier", age_days=5)

    assert order() == ["earlier", "later"]


def test_the_queue_is_cut_at_its_limit_with_ranks(oncology, editor):
    for number in range(4):
        pending(oncology, editor, slug=f"article-{number}", age_days=number)

    top = selectors.queue(limit=2)
    assert [(entry.rank, entry.slug) for entry in top] == [(1, "article-3"), (2, "article-2")]


# --- Capacity -----------------------------------------------------------------------------------


def test_free_capacity_is_each_assignable_members_limit_minus_their_open_reviews(oncology, editor):
    busy = BoardMemberFactory(specialties=[oncology], max_open_reviews=2)
    BoardMemberFactory(specialties=[oncology], max_open_reviews=3)
    BoardMemberFactory(specialties=[oncology], is_active=False)
    BoardMemberFactory(specialties=[oncology], user__is_active=False)
    BoardMemberFactory(specialties=[oncology], user__roles=[])
    BoardMemberFactory(
        specialties=[oncology], credentials_verified_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)
    assign(article, busy)
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")

    capacity = selectors.board_capacity()
    assert (capacity.free_seats, capacity.members_with_room) == (1 + 3, 2)
    assert (capacity.free_in(oncology.pk), capacity.free_in(cardiology.pk)) == (4, 0)


# --- Forecast -----------------------------------------------------------------------------------


def closed_round(specialty, editor, member, *, weeks_ago: float, decision: str = "approve"):
    with time_machine.travel(days_ago(weeks_ago * 7), tick=False):
        article = ArticleFactory(specialty=specialty, actor=editor)
        submit(article)
        assignment = assign(article, member)
        comment = "" if decision == "approve" else "Fix it"
        services.decide(actor=member.user, assignment=assignment, decision=decision, comment=comment)


def test_the_forecast_divides_the_backlog_by_the_rounds_completed_a_week(oncology, editor):
    member = BoardMemberFactory(specialties=[oncology], max_open_reviews=50)
    for weeks_ago, decision in [(0.5, "approve"), (1, "reject"), (2, "request_changes"), (3.5, "approve")]:
        closed_round(oncology, editor, member, weeks_ago=weeks_ago, decision=decision)
    closed_round(oncology, editor, member, weeks_ago=5)  # before the last four weeks
    withdrawn = ArticleFactory(specialty=oncology, actor=editor)
    submit(withdrawn)
    services.withdraw(actor=editor, article=withdrawn, reason="Not ready")  # not the board's work
    for number in range(3):
        pending(oncology, editor, slug=f"waiting-{number}")
    submit(ArticleFactory(specialty=oncology, actor=editor))  # one round open
    # 4 pending (3 and the withdrawn draft), 1 in review: 5 at 1 a week.
    summary = selectors.summary()

    assert (summary.throughput.rounds_completed, summary.throughput.per_week) == (4, 1.0)
    assert (summary.forecast.pending, summary.forecast.in_review, summary.forecast.backlog) == (4, 1, 5)
    assert summary.forecast.weeks == 5
    assert summary.forecast.text == (
        "At current throughput (1.0 rounds completed a week over the last 4 weeks) the backlog "
        "(4 articles waiting and 1 round in review) clears in 5 weeks."
    )
    assert ReviewRound.objects.filter(closed_at__isnull=True).count() == 1


def test_weeks_are_rounded_up(settings):
    rate = selectors.Throughput(weeks=4, rounds_completed=6)  # 1.5 a week
    assert selectors.forecast(pending=7, in_review=0, throughput=rate).weeks == 5


def test_without_throughput_the_forecast_says_so_in_a_sentence():
    result = selectors.forecast(pending=12, in_review=2, throughput=selectors.Throughput(4, 0))

    assert result.weeks is None
    assert result.text == (
        "The board completed no review round in the last 4 weeks, so there is no throughput to forecast "
        "from: the backlog (12 articles waiting and 2 rounds in review) does not clear at this rate."
    )


def test_an_empty_backlog_is_clear():
    result = selectors.forecast(pending=0, in_review=0, throughput=selectors.Throughput(4, 0))
    assert (result.weeks, result.text) == (0, "Nothing is waiting for the board: the backlog is clear.")
