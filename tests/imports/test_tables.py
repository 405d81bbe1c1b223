"""On PostgreSQL a batch is written by COPY with ids taken from the sequences; elsewhere by
bulk_create. Both write the same rows and history rows (articles.imports.tables)."""

from __future__ import annotations

import pytest

from articles.imports import tables
from articles.imports.writer import import_articles
from articles.models import Article, ArticleVersion, Reference
from tests.imports.conftest import line
from tests.markers import IS_POSTGRES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL: COPY and the sequences are its own (SQLite takes bulk_create, which "
        "the other import tests cover). Run with DATABASE_URL=postgres://... (bash .ci/run does).",
    ),
]

SKIPPED = {
    "id",
    "history_id",
    "slug",
    "article",
    "version",
    "current_version",
    "created_at",
    "updated_at",
    "history_date",
}


def run(actor, lines, batch_size=3):
    return [
        (result.outcome, result.version)
        for batch in import_articles(actor=actor, lines=enumerate(lines, 1), batch_size=batch_size)
        for result in batch
    ]


def written(prefix):
    """Every row an import of ``prefix``'s articles wrote, without ids, slugs and times, in order."""

    def values(row):
        fields = row._meta.concrete_fields
        return tuple(
            (field.attname, getattr(row, field.attname))
            for field in fields
            if field.name not in SKIPPED and field.attname not in SKIPPED
        )

    articles = Article.objects.filter(slug__startswith=prefix).order_by("slug")
    versions = ArticleVersion.objects.filter(article__in=articles).order_by("article__slug", "number")
    references = Reference.objects.filter(version__in=versions).order_by(
        "version__article__slug", "version__number", "position"
    )
    histories = [
        Article.history.filter(slug__startswith=prefix).order_by("slug", "history_date", "history_id"),
        ArticleVersion.history.filter(article_id__in=articles).order_by("id", "history_date", "history_id"),
        Reference.history.filter(version_id__in=versions).order_by("id", "history_date", "history_id"),
    ]
    pointers = [
        (article.current_version.number, article.current_version.article_id == article.pk)
        for article in articles
    ]
    first_history = [
        row.current_version_id is None
        for row in Article.history.filter(slug__startswith=prefix, history_type="+").order_by("slug")
    ]
    return (
        [values(row) for row in articles],
        [values(row) for row in versions],
        [values(row) for row in references],
        [[values(row) for row in history] for history in histories],
        pointers,
        first_history,
    )


def test_copy_and_bulk_create_write_the_same_rows(importer, cardiology, monkeypatch):
    def lines(prefix, body=""):
        return [
            line(
                f"{prefix}{n}",
                title=f"Question {n}",
                source_reference=f"job-{n}",
                body=body or f"Body {n}\twith\\ \r\n escapes",
                references=[{"citation": f"R{n}", "year": "2019"}] * (n % 3),
            )
            for n in range(7)
        ]

    by_copy = run(importer, lines("c-")) + run(importer, lines("c-", body="Second"))
    monkeypatch.setattr(tables, "copies", lambda: False)
    by_bulk_create = run(importer, lines("b-")) + run(importer, lines("b-", body="Second"))

    assert by_copy == by_bulk_create
    assert {outcome for outcome, _ in by_copy} == {"created", "new_version"}
    assert written("c-") == written("b-")


def test_ids_come_from_the_sequences_in_one_statement(importer, cardiology, django_assert_num_queries):
    with django_assert_num_queries(1):
        ids = tables.reserve_ids({Article: 3, ArticleVersion: 0, Reference: 5})

    assert len(ids[Article]) == 3 and ids[Article] == sorted(set(ids[Article]))
    assert ids[ArticleVersion] == []
    assert len(set(ids[Reference])) == 5
    run(importer, [line("after")])
    assert Article.objects.get(slug="after").pk > max(ids[Article])
