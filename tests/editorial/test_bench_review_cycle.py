"""The review-cycle benchmark runs whole reviews to publication and queues nothing on the broker."""

from __future__ import annotations

import pytest

from articles.models import Article, ArticleStatus
from bench.review_cycle import run_cycles
from config.celery import app
from editorial.models import ReviewAssignment


def queued_messages() -> int:
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(
            queue=app.conf.task_default_queue, passive=False
        ).message_count


@pytest.mark.django_db(transaction=True)  # each step of a cycle commits, as in production
def test_each_cycle_publishes_a_new_version_and_nothing_is_queued_for_a_worker():
    before = queued_messages()

    result = run_cycles(cycles=3, warmup=1)
    assert queued_messages() == before

    article = Article.objects.get(slug="bench-article")
    assert article.status == ArticleStatus.APPROVED
    assert article.published_version.number == 5  # the first version, one warm-up, three timed
    assert ReviewAssignment.objects.filter(decision="approve").count() == 8
    assert (result.cycles, len(result.cycle_ms)) == (3, 3)
    assert result.queries_per_cycle > 0
    # Two assignments and two decisions a cycle, owed but held back from the broker.
    assert result.notifications_per_cycle == 4
