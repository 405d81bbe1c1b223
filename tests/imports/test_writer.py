"""The batch writer (articles.imports.writer): what each line becomes, batches written whole or not
at all, and the same rows and history as the services write one by one."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from articles import services
from articles.imports import batch
from articles.imports.lines import Outcome
from articles.imports.writer import ImportForbidden, import_articles
from articles.models import Article, ArticleStatus, ArticleVersion, Reference
from articles.provenance import VersionProvenance
from editorial import services as workflow
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory
from tests.imports.conftest import line
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db


def run(actor, lines, batch_size=100, **kwargs):
    return [
        result
        for batch in import_articles(actor=actor, lines=enumerate(lines, 1), batch_size=batch_size, **kwargs)
        for result in batch
    ]


def outcomes(results):
    return [(result.slug, result.outcome, result.version) for result in results]


def rows():
    """Every count an import could change."""
    return tuple(
        model.objects.count()
        for model in (
            Article,
            ArticleVersion,
            Reference,
            Article.history.model,
            ArticleVersion.history.model,
            Reference.history.model,
        )
    )


def test_each_line_is_created_a_new_version_or_unchanged(importer, cardiology):
    run(importer, [line("aspirin"), line("statins")])

    results = run(importer, [line("aspirin"), line("statins", body="Statins lower LDL."), line("warfarin")])

    assert outcomes(results) == [
        ("aspirin", Outcome.UNCHANGED, 1),
        ("statins", Outcome.NEW_VERSION, 2),
        ("warfarin", Outcome.CREATED, 1),
    ]
    statins = Article.objects.get(slug="statins")
    assert statins.current_version.number == 2
    assert statins.current_version.body == "Statins lower LDL."
    assert statins.current_version.provenance == "ai_generated"
    assert statins.current_version.references.get().citation == "ESC Guidelines 2023"


def test_importing_the_same_file_again_writes_nothing(importer, cardiology):
    lines = [line(f"drug-{n}") for n in range(7)]
    run(importer, lines, batch_size=3)
    before = rows()

    results = run(importer, lines, batch_size=3)

    assert {result.outcome for result in results} == {Outcome.UNCHANGED}
    assert rows() == before


def test_an_imported_article_is_the_one_the_service_creates(importer, cardiology):
    fields = line("imported")
    run(importer, [fields], reason="Import of the October drafts")
    service = services.create_article(
        actor=importer,
        slug="by-service",
        title=fields["title"],
        specialty=cardiology,
        body=fields["body"],
        reason="Import of the October drafts",
        change_summary=fields["change_summary"],
        references=fields["references"],
        provenance=VersionProvenance(
            kind="ai_generated",
            generator="drafting-pipeline",
            model_version="model-2026-10",
            source_reference="job-imported",
        ),
    )
    imported = Article.objects.get(slug="imported")

    def article_fields(article):
        return {
            name: getattr(article, name)
            for name in (
                "title",
                "specialty_id",
                "risk_level",
                "status",
                "created_by_id",
                "review_interval_days",
            )
        }

    def version_fields(version):
        skip = {"id", "article", "created_at", "source_reference"}
        return {
            f.attname: getattr(version, f.attname)
            for f in ArticleVersion._meta.concrete_fields
            if f.name not in skip
        }

    def history(model, **filters):
        return [
            (row.history_type, row.history_user_id, row.history_change_reason)
            for row in model.history.filter(**filters).order_by("history_date", "history_id")
        ]

    assert article_fields(imported) == article_fields(service)
    assert version_fields(imported.current_version) == version_fields(service.current_version)
    assert imported.current_version.content_hash == service.current_version.content_hash
    assert [r.content() for r in imported.current_version.references.all()] == [
        r.content() for r in service.current_version.references.all()
    ]
    assert (
        history(Article, id=imported.pk)
        == history(Article, id=service.pk)
        == [
            ("+", importer.pk, "Import of the October drafts"),
            ("~", importer.pk, "Import of the October drafts"),
        ]
    )
    first, second = Article.history.filter(id=imported.pk).order_by("history_date", "history_id")
    assert (first.current_version_id, second.current_version_id) == (None, imported.current_version_id)
    assert history(ArticleVersion, article_id=imported.pk) == history(ArticleVersion, article_id=service.pk)
    assert (
        history(Reference, version_id=imported.current_version_id)
        == history(Reference, version_id=service.current_version_id)
        == [("+", importer.pk, "Import of the October drafts")]
    )


def test_a_new_version_has_the_history_of_create_version(importer, cardiology):
    run(importer, [line("aspirin")])
    run(importer, [line("aspirin", body="Changed.", reason="Corrected dose")])

    article = Article.objects.get(slug="aspirin")
    assert [
        (row.history_type, row.current_version_id, row.history_change_reason)
        for row in Article.history.filter(id=article.pk).order_by("history_date", "history_id")
    ] == [
        ("+", None, "Bulk import"),
        ("~", article.versions.get(number=1).pk, "Bulk import"),
        ("~", article.versions.get(number=2).pk, "Corrected dose"),
    ]
    assert ArticleVersion.history.filter(article_id=article.pk, number=2).get().history_user_id == importer.pk


def test_a_refused_line_keeps_its_batch_out_while_other_batches_are_written(importer, cardiology):
    bad_year = [{"citation": "x", "year": 1200}]
    lines = [line("a"), line("b"), line("c", title=""), line("d", references=bad_year), line("e"), line("f")]

    results = run(importer, lines, batch_size=4)

    assert [(r.line, r.outcome) for r in results] == [
        (1, Outcome.NOT_WRITTEN),
        (2, Outcome.NOT_WRITTEN),
        (3, Outcome.REFUSED),
        (4, Outcome.REFUSED),
        (5, Outcome.CREATED),
        (6, Outcome.CREATED),
    ]
    assert results[0].detail == (
        "Not written: lines 3, 4 of this batch were refused, and a batch is written whole or not at all."
    )
    assert results[2].fields == {"title": ["This field is required."]}
    assert results[3].fields == {
        "references": ["Reference 1, year: Ensure this value is greater than or equal to 1800."]
    }
    assert set(Article.objects.values_list("slug", flat=True)) == {"e", "f"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"specialty": "astrology"}, "specialty", "There is no specialty “astrology”."),
        ({"provenance": "ai_generated", "generator": ""}, "generator", "must name its generator"),
        ({"provenance": "not_recorded"}, "provenance", "is not a provenance"),
        ({"slug": "not a slug"}, "slug", "Enter a valid “slug”"),
        ({"slug": "bulk"}, "slug", "is reserved"),
        ({"risk_level": "extreme"}, "risk_level", "is not a risk level"),
        ({"title": "x" * 301}, "title", "at most 300 characters"),
        ({"colour": "red"}, "colour", "There is no such field here."),
        ({"body": 3}, "body", "Must be a string."),
        ({"reason": "x" * 2001}, "reason", "under 2000 characters"),
    ],
)
def test_a_refused_line_says_why(importer, cardiology, changes, field, message):
    (result,) = run(importer, [{**line("aspirin"), **changes}])

    assert result.outcome == Outcome.REFUSED
    assert message in " ".join(result.fields[field])
    assert not Article.objects.exists()


def test_a_slug_given_twice_is_refused_on_its_later_line(importer, cardiology):
    results = run(importer, [line("a"), line("b"), line("a", body="Other")], batch_size=2)

    assert [(r.line, r.outcome) for r in results] == [
        (1, Outcome.CREATED),
        (2, Outcome.CREATED),
        (3, Outcome.REFUSED),
    ]
    assert results[2].fields == {
        "slug": ["“a” is already on line 1 of this import; give each article one line."]
    }


def test_a_new_version_of_an_article_in_review_or_retired_is_refused(importer, cardiology):
    chief = ChiefFactory()
    BoardMemberFactory(specialties=[cardiology])
    in_review = ArticleFactory(slug="in-review", specialty=cardiology, actor=importer)
    workflow.submit(actor=importer, article=in_review, reason="r")
    retired = ArticleFactory(slug="retired", specialty=cardiology, actor=importer)
    workflow.retire(actor=chief, article=retired, reason="r")
    before = rows()

    results = run(importer, [line("in-review"), line("retired")], batch_size=1)

    assert [r.outcome for r in results] == [Outcome.REFUSED, Outcome.REFUSED]
    assert results[0].fields["slug"] == [
        "“in-review” is in review (submitted): a new version would close the board's review round. "
        "Withdraw it first, or import after the board has decided."
    ]
    assert results[1].fields["slug"] == ["“retired” is retired: restore it before importing a new version."]
    assert rows() == before
    in_review.refresh_from_db()
    assert in_review.status == ArticleStatus.SUBMITTED


def test_a_line_whose_text_is_already_current_is_unchanged_even_in_review(importer, cardiology):
    run(importer, [line("aspirin")])
    workflow.submit(actor=importer, article=Article.objects.get(slug="aspirin"), reason="r")

    (result,) = run(importer, [line("aspirin", change_summary="another summary")])

    assert (result.outcome, result.version) == (Outcome.UNCHANGED, 1)


def test_another_classification_is_refused(importer, cardiology):
    run(importer, [line("aspirin")])

    (result,) = run(importer, [line("aspirin", body="New", risk_level="high")])

    assert result.outcome == Outcome.REFUSED
    assert "change it with PATCH /api/v1/articles/aspirin/" in result.fields["specialty"][0]


def test_only_editors_import(cardiology):
    member = BoardMemberFactory(specialties=[cardiology])

    with pytest.raises(ImportForbidden):
        run(member.user, [line("aspirin")])


def test_a_database_failure_rolls_the_whole_batch_back(importer, cardiology, monkeypatch):
    real = batch.insert_history

    def failing(model, **kwargs):
        if model is Reference:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(model, **kwargs)

    monkeypatch.setattr(batch, "insert_history", failing)
    before = rows()

    results = run(importer, [line("a"), line("b")])

    assert [r.outcome for r in results] == [Outcome.NOT_WRITTEN, Outcome.NOT_WRITTEN]
    assert "the database refused this batch" in results[0].detail
    assert rows() == before


def test_a_batch_costs_the_same_queries_whatever_its_size(
    importer, cardiology, django_assert_max_num_queries
):
    run(importer, [line("seed")])
    for size in (2, 40):
        lines = [line(f"s{size}-{n}") for n in range(size)] + [line("seed", body=f"v{size}")]
        with django_assert_max_num_queries(14):
            run(importer, lines, batch_size=size + 1)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_write_each_version_once(cardiology):
    from tests.factories import EditorFactory
    from tests.helpers import run_at_once

    editors = [EditorFactory(), EditorFactory()]
    run(editors[0], [line(f"old-{n}") for n in range(20)])
    lines = [line(f"old-{n}", body="Second text") for n in range(20)] + [line(f"new-{n}") for n in range(20)]

    first, second = run_at_once(*(lambda e=e: run(e, lines, batch_size=10) for e in editors))

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert ArticleVersion.objects.filter(article__slug__startswith="old-").count() == 40
    assert ArticleVersion.objects.filter(article__slug__startswith="new-").count() == 20
    # Each line was written by one import and found unchanged by the other.
    pairs = {tuple(sorted((a.outcome, b.outcome))) for a, b in zip(first, second, strict=True)}
    assert pairs == {(Outcome.CREATED, Outcome.UNCHANGED), (Outcome.NEW_VERSION, Outcome.UNCHANGED)}
    assert Article.history.count() == 20 * 2 + 20 + 20 * 2
