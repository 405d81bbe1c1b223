"""Reads of articles and versions, planned so that a page of results costs a fixed number of
queries whatever its size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, QuerySet

from articles.models import Article, ArticleVersion

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def allowed_actions(article: Article, user: AbstractBaseUser) -> list[str]:
    """The workflow actions (submit, withdraw, retire, restore) ``user`` can take on ``article``
    now: its status, the transition's conditions and the user's role all allow them."""
    return sorted(
        transition.name
        for transition in article.get_available_user_status_transitions(user)
        if transition.custom.get("action")
    )


def article_list() -> QuerySet[Article]:
    """Articles with their specialty, version numbers and the current version's provenance (not
    the versions' text)."""
    return Article.objects.select_related("specialty", "created_by").annotate(
        current_version_number=F("current_version__number"),
        current_version_provenance=F("current_version__provenance"),
        published_version_number=F("published_version__number"),
    )


def version_list(article: Article) -> QuerySet[ArticleVersion]:
    """An article's versions, newest first, without their text."""
    return (
        ArticleVersion.objects.filter(article=article)
        .select_related("author")
        .defer("body")
        .order_by("-number")
    )


def version_detail(article: Article, number: int) -> ArticleVersion:
    return (
        ArticleVersion.objects.select_related("author", "article")
        .prefetch_related("references")
        .get(article=article, number=number)
    )
