"""Writing a planned batch: its articles, versions and references (``tables``: by ``COPY`` on
PostgreSQL, with every id reserved first so that a new article is written with its current
version; by ``bulk_create`` elsewhere, the pointers set afterwards), their historical rows
(``history``), and the current-version pointers of existing articles with one ``UPDATE``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from articles.imports import tables
from articles.imports.history import insert_history
from articles.models import Article, ArticleVersion, Reference

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.imports.writer import Planned


def _by_reason(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for reason, pk in pairs:
        grouped.setdefault(reason, []).append(pk)
    return grouped


def write_batch(*, actor: AbstractBaseUser, items: list[Planned]) -> None:
    """Insert the rows of a planned batch and their history rows, in the caller's transaction."""
    if not items:
        return
    now = timezone.now()
    new = [item for item in items if item.new]
    references = [(item, reference) for item in items for reference in item.references]
    if tables.copies():
        _copy(items=items, new=new, references=references, now=now)
        pointers = [item.article_id for item in items if not item.new]
    else:
        _bulk_create(items=items, new=new, references=references)
        pointers = [item.article_id for item in items]

    def history(model: type[Any], pairs: Iterable[tuple[str, int]], history_type: str, **kwargs: Any) -> None:
        insert_history(
            model,
            ids_by_reason=_by_reason(pairs),
            history_type=history_type,
            user_id=actor.pk,
            date=now,
            **kwargs,
        )

    if new:
        # create_article saves the article before its version: its first historical row has no
        # current version yet.
        history(
            Article,
            ((item.reason, item.article_id) for item in new),
            "+",
            null_columns=["current_version_id"],
        )
    history(ArticleVersion, ((item.reason, item.version["id"]) for item in items), "+")
    if references:
        history(Reference, ((item.reason, reference["id"]) for item, reference in references), "+")
    if pointers:
        # The newest version of each article is the one just written (versions only ever get
        # added, under the article's lock).
        Article.objects.filter(pk__in=pointers).update(
            current_version=Subquery(
                ArticleVersion.objects.filter(article=OuterRef("pk")).order_by("-number").values("pk")[:1]
            ),
            updated_at=now,
        )
    history(Article, ((item.reason, item.article_id) for item in items), "~")


def _copy(
    *,
    items: list[Planned],
    new: list[Planned],
    references: list[tuple[Planned, dict[str, Any]]],
    now: datetime.datetime,
) -> None:
    """PostgreSQL: every id first, then each table by COPY; a new article is written pointing to
    its version (the foreign keys are checked at commit)."""
    ids = tables.reserve_ids({Article: len(new), ArticleVersion: len(items), Reference: len(references)})
    for item, pk in zip(new, ids[Article], strict=True):
        item.article_id = item.article["id"] = pk
    for item, pk in zip(items, ids[ArticleVersion], strict=True):
        item.version["id"] = pk
        item.version["article_id"] = item.article_id
        if item.new:
            item.article["current_version_id"] = pk
    for (item, reference), pk in zip(references, ids[Reference], strict=True):
        reference["id"] = pk
        reference["version_id"] = item.version["id"]
    tables.copy_rows(Article, [item.article for item in new], now=now)
    tables.copy_rows(ArticleVersion, [item.version for item in items], now=now)
    tables.copy_rows(Reference, [reference for _, reference in references], now=now)


def _bulk_create(
    *, items: list[Planned], new: list[Planned], references: list[tuple[Planned, dict[str, Any]]]
) -> None:
    tables.bulk_create_rows(Article, [item.article for item in new])
    for item in new:
        item.article_id = item.article["id"]
    for item in items:
        item.version["article_id"] = item.article_id
    tables.bulk_create_rows(ArticleVersion, [item.version for item in items])
    for item, reference in references:
        reference["version_id"] = item.version["id"]
    tables.bulk_create_rows(Reference, [reference for _, reference in references])
