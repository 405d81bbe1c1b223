from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from articles.models import Article, ArticleStatus, ArticleVersion, Reference, RiskLevel
from articles.services import create_article, create_version, update_article
from tests.factories import ArticleFactory, EditorFactory
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db

REFERENCES = [
    {"citation": "ESMO guideline.", "source": "ESMO", "year": 2021},
    {"citation": "CLEOPATRA.", "source": "N Engl J Med", "year": "2012", "doi": "10.1056/NEJMoa1113216"},
]


def test_create_article_writes_the_article_its_first_version_and_references(editor, oncology):
    article = create_article(
        actor=editor,
        slug="phesgo-cycles",
        title="  How many cycles?  ",
        specialty=oncology,
        risk_level=RiskLevel.HIGH,
        body="Six cycles.\r\n",
        change_summary="First draft.",
        references=REFERENCES,
        reason="New article requested by the board",
    )

    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    assert article.created_by == editor
    version = article.current_version
    assert (version.number, version.title, version.body, version.author) == (
        1,
        "How many cycles?",
        "Six cycles.",
        editor,
    )
    assert article.published_version is None
    assert [(r.position, r.citation, r.year) for r in version.references.all()] == [
        (1, "ESMO guideline.", 2021),
        (2, "CLEOPATRA.", 2012),
    ]
    assert version.recompute_content_hash() == version.content_hash


def test_create_article_records_actor_and_reason_on_every_history_row(editor, oncology):
    article = create_article(
        actor=editor,
        slug="a",
        title="T",
        specialty=oncology,
        body="B",
        references=REFERENCES,
        reason="New article requested by the board",
    )
    rows = [
        *article.history.all(),
        *ArticleVersion.history.filter(article_id=article.pk),
        *Reference.history.filter(version_id=article.current_version_id),
    ]
    assert len(rows) == 2 + 1 + 2
    assert {(row.history_user, row.history_change_reason) for row in rows} == {
        (editor, "New article requested by the board")
    }
    assert article.history.earliest().history_type == "+"


def test_update_article_records_actor_and_reason(chief):
    article = ArticleFactory()
    update_article(
        actor=chief, article=article, reason="Dosing content: high risk", risk_level=RiskLevel.HIGH
    )

    latest = article.history.latest()
    assert (latest.history_type, latest.risk_level) == ("~", RiskLevel.HIGH)
    assert (latest.history_user, latest.history_change_reason) == (chief, "Dosing content: high risk")


def test_update_article_moves_the_review_due_date_with_the_interval(chief):
    article = ArticleFactory()
    reviewed = timezone.now() - datetime.timedelta(days=10)
    Article.objects.filter(pk=article.pk).update(
        status=ArticleStatus.APPROVED,
        published_version=article.current_version,
        last_reviewed_at=reviewed,
        review_due_at=reviewed + datetime.timedelta(days=365),
    )

    updated = update_article(
        actor=chief, article=article, reason="Fast-moving field", review_interval_days=30
    )

    assert updated.review_due_at == reviewed + datetime.timedelta(days=30)


def test_a_longer_interval_does_not_bring_an_expired_approval_back(chief):
    article = ArticleFactory()
    reviewed = timezone.now() - datetime.timedelta(days=400)
    due = reviewed + datetime.timedelta(days=365)
    Article.objects.filter(pk=article.pk).update(
        status=ArticleStatus.EXPIRED, last_reviewed_at=reviewed, review_due_at=due
    )

    updated = update_article(
        actor=chief, article=article, reason="Slow-moving field", review_interval_days=730
    )

    assert (updated.status, updated.review_due_at) == (ArticleStatus.EXPIRED, due)


def test_update_article_refuses_fields_that_are_not_metadata(chief):
    article = ArticleFactory()
    with pytest.raises(ValidationError) as error:
        update_article(actor=chief, article=article, reason="r", status=ArticleStatus.APPROVED)
    assert "status" in error.value.message_dict
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.DRAFT


def test_create_version_numbers_versions_one_after_another():
    article = ArticleFactory()
    second = create_version(actor=article.created_by, article=article, title="T2", body="B2", reason="Update")
    third = create_version(actor=article.created_by, article=article, title="T3", body="B3", reason="Update")

    assert [second.number, third.number] == [2, 3]
    article.refresh_from_db()
    assert article.current_version == third
    latest = article.history.latest()
    assert (latest.current_version_id, latest.history_change_reason) == (third.pk, "Update")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": "   "}, "body"),
        ({"title": "x" * 301}, "title"),
        ({"references": [{"citation": ""}]}, "references"),
        ({"references": [{"citation": "c", "doi": "not-a-doi"}]}, "references"),
        ({"references": [{"citation": "c", "pmid": "PMID12"}]}, "references"),
        ({"references": [{"citation": "c", "year": "soon"}]}, "references"),
        ({"references": [{"citation": "c", "url": "javascript:alert(1)"}]}, "references"),
        ({"references": [{"citation": "c", "publisher": "x"}]}, "references"),
        ({"reason": " "}, "reason"),
    ],
)
def test_invalid_versions_are_refused_with_a_field_message_and_nothing_is_written(changes, field):
    article = ArticleFactory()
    arguments = {"title": "T", "body": "B", "reason": "Update", "references": []} | changes
    with pytest.raises(ValidationError) as error:
        create_version(actor=article.created_by, article=article, **arguments)

    assert field in error.value.message_dict
    assert article.versions.count() == 1
    assert Reference.objects.filter(version__article=article).count() == 1
    assert article.history.count() == 2


def test_a_taken_slug_is_refused_with_a_message(editor, oncology):
    ArticleFactory(slug="taken")
    with pytest.raises(ValidationError) as error:
        create_article(actor=editor, slug="taken", title="T", specialty=oncology, body="B", reason="r")
    assert "slug" in error.value.message_dict
    assert Article.objects.filter(slug="taken").count() == 1


def test_invalid_article_writes_nothing(editor, oncology):
    with pytest.raises(ValidationError) as error:
        create_article(
            actor=editor,
            slug="not a slug!",
            title="T",
            specialty=oncology,
            body="",
            risk_level="extreme",
            reason="r",
        )
    assert {"slug", "body", "risk_level"} <= set(error.value.message_dict)
    assert not Article.objects.exists()
    assert not ArticleVersion.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_create_version_calls_get_consecutive_numbers():
    article = ArticleFactory()
    authors = [EditorFactory() for _ in range(6)]
    start = threading.Barrier(len(authors))
    numbers: list[int] = []
    errors: list[BaseException] = []

    def write(author):
        try:
            start.wait()
            version = create_version(
                actor=author, article=article, title="T", body=f"by {author}", reason="r"
            )
            numbers.append(version.number)
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(author,)) for author in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(numbers) == [2, 3, 4, 5, 6, 7]
    assert sorted(article.versions.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    article.refresh_from_db()
    assert article.current_version.number == 7
