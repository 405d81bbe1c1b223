"""The article's row lock, which every change to an article or its review takes first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import transaction

from articles.exceptions import StaleArticle
from articles.models import Article


def lock_article(pk: int) -> Article:
    """The article, its row locked until the caller's transaction ends: every change to an
    article or its review takes this lock first."""
    # No joins here: when this statement has to wait for the lock, PostgreSQL re-reads the article
    # row once it is free, but a joined row would still come from before the wait. Related rows
    # are read by later statements, which see everything committed by then.
    return Article.objects.select_for_update().get(pk=pk)


@contextmanager
def expect_unchanged(article: Article, expected_etags: Sequence[str] | None) -> Iterator[Article]:
    """Run the block in a transaction holding the article's row lock, provided the article still
    has one of ``expected_etags`` (from an HTTP ``If-Match``; ``"*"`` matches any, None means the
    client set no condition); else raise ``StaleArticle`` (412) before the block runs.

    Yields the locked article. The check and the change it guards happen under one lock in one
    transaction, so a change committed by someone else in between cannot slip through. Services
    called in the block may open their own atomic blocks and take the same lock again.
    """
    with transaction.atomic():
        locked = lock_article(article.pk)
        if expected_etags is not None and "*" not in expected_etags and locked.etag() not in expected_etags:
            raise StaleArticle(
                "The article has changed since you read it. Fetch it again and reapply your change.",
                extra={"etag": locked.etag()},
            )
        yield locked
