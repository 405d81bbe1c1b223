"""articles.services.expect_unchanged: the If-Match check, made under the article's row lock in
the transaction of the change it guards."""

from __future__ import annotations

import pytest
from django.db import connection

from articles import services
from articles.exceptions import StaleArticle
from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(editor, oncology):
    return ArticleFactory(specialty=oncology, actor=editor)


def rename(article, editor, title):
    services.update_article(actor=editor, article=article, reason="r", title=title)


@pytest.mark.parametrize("expected", [None, ["*"], ["{etag}"], ['"other"', "{etag}"]])
def test_a_matching_or_absent_expectation_runs_the_block_in_a_transaction_with_the_article_locked(
    article, expected
):
    etags = None if expected is None else [tag.format(etag=article.etag()) for tag in expected]

    with services.expect_unchanged(article, etags) as locked:
        assert connection.in_atomic_block
        assert locked.pk == article.pk and locked is not article
        assert locked.etag() == article.etag()


@pytest.mark.parametrize("expected", [[], ['"other"'], ['W/"{weak}"']])
def test_a_stale_expectation_raises_before_the_block_runs(article, expected):
    etags = [tag.format(weak=article.etag().strip('"')) for tag in expected]
    ran = False

    with pytest.raises(StaleArticle) as refused, services.expect_unchanged(article, etags):
        ran = True

    assert not ran
    assert refused.value.code == "precondition_failed"
    assert refused.value.extra == {"etag": article.etag()}


def test_the_check_reads_the_article_again_not_the_callers_copy(article, editor):
    copy = Article.objects.get(pk=article.pk)
    etag_read = copy.etag()
    rename(article, editor, "Changed meanwhile")

    with pytest.raises(StaleArticle) as refused, services.expect_unchanged(copy, [etag_read]):
        pass

    assert refused.value.extra["etag"] == Article.objects.get(pk=article.pk).etag() != etag_read


def test_a_change_in_the_block_is_rolled_back_with_the_block(article, editor):
    with pytest.raises(RuntimeError), services.expect_unchanged(article, [article.etag()]) as locked:
        locked.title = "Never saved"
        locked.save()
        raise RuntimeError("the guarded change failed")

    assert Article.objects.get(pk=article.pk).title == article.title


def test_update_article_refuses_a_stale_etag_and_changes_nothing(article, editor):
    stale = article.etag()
    rename(article, editor, "First")
    history = article.history.count()

    with pytest.raises(StaleArticle):
        services.update_article(
            actor=editor, article=article, reason="r", title="Second", expected_etags=[stale]
        )

    assert Article.objects.get(pk=article.pk).title == "First"
    assert article.history.count() == history
