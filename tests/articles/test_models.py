from __future__ import annotations

import pytest

from articles.exceptions import ImmutableVersionError
from articles.models import ArticleVersion, Reference
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return ArticleFactory(body="Original text.").current_version


def test_saving_an_existing_version_is_refused_and_nothing_changes(version):
    version.body = "Tampered text."
    with pytest.raises(ImmutableVersionError, match="immutable"):
        version.save()
    assert ArticleVersion.objects.get(pk=version.pk).body == "Original text."


def test_deleting_a_version_is_refused(version):
    with pytest.raises(ImmutableVersionError, match="cannot be deleted"):
        version.delete()
    assert ArticleVersion.objects.filter(pk=version.pk).exists()


def test_bulk_update_and_delete_of_versions_are_refused(version):
    with pytest.raises(ImmutableVersionError):
        ArticleVersion.objects.filter(pk=version.pk).update(body="Tampered")
    with pytest.raises(ImmutableVersionError):
        ArticleVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(ImmutableVersionError):
        ArticleVersion.objects.bulk_update([version], ["body"])
    assert ArticleVersion.objects.get(pk=version.pk).body == "Original text."


def test_references_are_as_immutable_as_their_version(version):
    reference = version.references.get()
    reference.citation = "Something else"
    with pytest.raises(ImmutableVersionError):
        reference.save()
    with pytest.raises(ImmutableVersionError):
        reference.delete()
    with pytest.raises(ImmutableVersionError):
        Reference.objects.filter(pk=reference.pk).update(citation="x")
    assert Reference.objects.get(pk=reference.pk).citation == "A guideline."


def test_a_version_without_a_content_hash_cannot_be_created(version):
    stray = ArticleVersion(article=version.article, number=99, title="t", body="b", author=version.author)
    with pytest.raises(ValueError, match="content_hash"):
        stray.save()


def test_stored_content_hashes_to_the_recorded_hash(version):
    assert len(version.content_hash) == 64
    assert version.recompute_content_hash() == version.content_hash


def test_review_interval_falls_back_from_article_to_specialty_to_setting(settings, oncology):
    settings.REVIEW_INTERVAL_DAYS = 365
    article = ArticleFactory(specialty=oncology)
    assert article.review_interval().days == 365
    oncology.review_interval_days = 180
    assert article.review_interval().days == 180
    article.review_interval_days = 90
    assert article.review_interval().days == 90


def test_the_article_history_is_indexed_only_on_what_reads_it():
    """Every save of an article, and every article the staleness sweep expires, writes a history
    row; the history is read by article id and date (and its actor has a foreign key), so an index
    on any other column is written and never read."""
    from django.db import connection

    from articles.models import Article

    table = Article.history.model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"] or c["primary_key"]}
    assert indexed == {("history_id",), ("id",), ("history_date",), ("history_user_id",)}
