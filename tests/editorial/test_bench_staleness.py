"""The staleness benchmark compares like with like: every method expires exactly the due articles,
from the same starting state, and all but the floor write one history row each."""

from __future__ import annotations

import pytest
from django.db import connection

from articles.models import Article
from articles.models import ArticleStatus as S
from bench.staleness import build, methods, run, server_settings


@pytest.mark.django_db(transaction=True)  # VACUUM, between runs on PostgreSQL, needs autocommit
def test_every_method_expires_the_same_due_articles_from_the_same_state():
    data = build(articles=60, due_fraction=0.25)
    history_before = Article.history.count()

    results = run(data=data, names=list(methods(batch_size=4)), repeat=2, batch_size=4)

    assert data.due == 15
    assert [(result.name, result.rows, len(result.seconds)) for result in results] == [
        ("per-row .save() loop", 15, 2),
        ("bulk_update_with_history", 15, 2),
        ("project sweep", 15, 2),
        ("bare UPDATE (floor)", 15, 2),
    ]
    # Each run was checked as it finished; afterwards the data is back where it started.
    assert not Article.objects.exclude(status=S.APPROVED).exists()
    assert Article.history.count() == history_before == 120


def test_the_figures_name_the_server_settings_they_depend_on(db):
    if connection.vendor != "postgresql":
        assert server_settings() == ""
        return
    line = server_settings()
    assert line.startswith("autovacuum ") and "max_wal_size " in line and "shared_buffers " in line
    assert " MB" in line.split("shared_buffers ")[1]
