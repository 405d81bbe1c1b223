"""The staleness sweep after a bulk expiry: statistics refreshed, rows locked by primary key, and
re-reviews waiting for a reviewer retried only when a seat is free."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import ArticleStatus as S
from editorial import staleness
from editorial.webhooks.models import EventType, WebhookEvent
from editorial.webhooks.services.events import article_data
from reviewers.models import BoardMember
from tests.editorial.conftest import refreshed
from tests.editorial.scheduling import due_articles
from tests.factories import BoardMemberFactory
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(oncology):
    return BoardMemberFactory(specialties=[oncology], max_open_reviews=3)


@pytest.fixture
def due(oncology, editor, member):
    return due_articles(3, specialty=oncology, editor=editor, member=member)


def analyzed(queries):
    return [query["sql"] for query in queries if query["sql"].startswith("ANALYZE")]


@requires_postgres
def test_a_large_expiry_refreshes_the_statistics_before_the_re_reviews(due, monkeypatch):
    monkeypatch.setattr(staleness, "ANALYZE_AFTER_EXPIRING", 3)

    with CaptureQueriesContext(connection) as captured:
        counts = staleness.mark_stale_articles()

    assert counts["expired"] == 3
    (statement,) = analyzed(captured.captured_queries)
    assert '"articles_article"' in statement and '"articles_historicalarticle"' in statement


def test_a_small_expiry_does_not(due, monkeypatch):
    monkeypatch.setattr(staleness, "ANALYZE_AFTER_EXPIRING", 4)
    with CaptureQueriesContext(connection) as captured:
        assert staleness.mark_stale_articles()["expired"] == 3
    assert analyzed(captured.captured_queries) == []


@requires_postgres
def test_each_article_is_locked_by_its_primary_key_alone(due):
    with CaptureQueriesContext(connection) as captured:
        staleness.mark_stale_articles()
    locks = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "articles_article"') and "FOR UPDATE" in q["sql"]
    ]
    assert locks
    assert not [sql for sql in locks if '"status"' in sql.split("WHERE", 1)[1]]


def test_waiting_re_reviews_are_retried_only_once_a_seat_is_free(due, member, oncology, editor):
    BoardMember.objects.filter(pk=member.pk).update(max_open_reviews=1)
    busy = BoardMemberFactory(specialties=[oncology], max_open_reviews=1)
    # The member holds one open review (their limit): the three re-reviews wait for a reviewer.
    due_articles(0, specialty=oncology, editor=editor, member=busy)
    first = staleness.mark_stale_articles()
    assert first["re_reviews_opened"] == 3
    waiting = [article for article in due if refreshed(article).status == S.SUBMITTED]
    assert waiting  # the board filled up before every re-review had a reviewer

    full = staleness.mark_stale_articles()
    assert (full["re_reviews_retried"], full["re_reviews_assigned_late"]) == (0, 0)

    BoardMember.objects.filter(pk=member.pk).update(max_open_reviews=10)
    freed = staleness.mark_stale_articles()
    assert freed["re_reviews_retried"] == freed["re_reviews_assigned_late"] == len(waiting)
    assert all(refreshed(article).status == S.UNDER_REVIEW for article in due)


def test_the_bulk_expiry_records_the_same_webhook_payload_as_a_single_transition(due, settings):
    settings.SITE_URL = "https://review.example.org"
    staleness.expire_due_articles()

    for article in due:
        article = refreshed(article)
        (event,) = WebhookEvent.objects.filter(article=article, type=EventType.ARTICLE_EXPIRED)
        assert event.payload == article_data(article, article.published_version)
        assert (
            event.payload["article"]["url"]
            == f"https://review.example.org/api/v1/public/articles/{article.slug}/"
        )
        assert event.version_id == article.published_version_id
