"""A review round records, when it opens, the version its reviewers compare against (its base),
and the migration that filled it for rounds opened before it was recorded."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial import services
from editorial.models import ReviewRound, RoundTrigger
from tests.editorial.conftest import approve, in_review, new_version, refreshed, submit
from tests.factories import ArticleFactory


def _approved_twice(article, member):
    """Version 1 approved, then version 2 approved: returns the two rounds, oldest first."""
    (first,) = in_review(article, member)
    approve(first)
    new_version(article, body="Monitor cardiac function during treatment.")
    (second,) = in_review(article, member)
    approve(second)
    return list(ReviewRound.objects.order_by("opened_at", "pk"))


@pytest.mark.django_db
def test_a_round_keeps_the_version_published_when_it_opened_after_a_later_one_is_published(
    article, specialists
):
    first, second = _approved_twice(article, specialists[0])

    assert first.base_version is None  # the first review: nothing was published
    assert second.base_version.number == 1
    assert refreshed(article).published_version.number == 2  # published since; the base stays
    row = second.history.earliest()
    assert row.base_version_id == second.base_version_id  # recorded with the round, in its history


@pytest.mark.django_db
def test_a_re_review_of_the_approved_text_compares_it_with_itself(article, specialists, system_user):
    (assignment,) = in_review(article, specialists[0])
    approve(assignment)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400)):
        services.expire(actor=system_user, article=refreshed(article), reason="Review date passed")
        round = submit(refreshed(article))

    assert round.trigger == RoundTrigger.RE_REVIEW
    assert round.base_version_id == round.version_id == refreshed(article).published_version_id


BEFORE = ("editorial", "0008_round_base_version")


def _migrate(target=None):
    """Migrate to ``target``, or forward to the latest migration of every app (apps whose
    migrations depend on this one's are unapplied by the step back and must come back)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_each_round_s_base_from_the_article_s_history(article, specialists, system_user):
    first, second = _approved_twice(article, specialists[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400)):
        services.expire(actor=system_user, article=refreshed(article), reason="Review date passed")
        re_review = submit(refreshed(article))
    recorded = {r.pk: r.base_version_id for r in (first, second, re_review)}
    historical_rows = ReviewRound.history.count()
    # As the rounds were before the base was recorded.
    ReviewRound.objects.update(base_version=None)
    ReviewRound.history.update(base_version=None)
    _migrate(BEFORE)

    _migrate()

    filled = dict(ReviewRound.objects.values_list("pk", "base_version_id"))
    assert filled == recorded
    assert filled[second.pk] == first.version_id  # version 1, though version 2 is published now
    assert filled[re_review.pk] == re_review.version_id
    historical = set(ReviewRound.history.filter(id=second.pk).values_list("base_version_id", flat=True))
    assert historical == {first.version_id}
    assert ReviewRound.history.count() == historical_rows  # filled in place, no new history


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_a_round_without_article_history_no_base(article, specialists):
    first, second = _approved_twice(article, specialists[0])
    ReviewRound.objects.update(base_version=None)
    article.history.all().delete()  # rounds imported without their article's history
    _migrate(BEFORE)

    _migrate()

    assert list(ReviewRound.objects.values_list("base_version_id", flat=True)) == [None, None]


def _changelist_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:editorial_reviewround_changelist"))
    return len(queries), response.content.decode()


@pytest.mark.django_db
def test_the_rounds_admin_shows_what_each_round_is_compared_against(article, specialists, chief, oncology):
    first, second = _approved_twice(article, specialists[0])
    client = Client()
    client.force_login(chief)

    few, changelist = _changelist_queries(client)
    page = client.get(reverse("admin:editorial_reviewround_change", args=[second.pk])).content.decode()
    for _ in range(3):
        _approved_twice(ArticleFactory(specialty=oncology, actor=article.created_by), specialists[1])
    many, _ = _changelist_queries(client)

    assert "Compared against" in changelist
    assert "Nothing published (a first review)" in changelist
    assert "Version 1" in page
    assert many == few  # 8 rounds cost what 2 do
