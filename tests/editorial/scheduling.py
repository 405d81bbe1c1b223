"""Helpers for the scheduler's tests: articles approved long ago, assignments at a set time."""

from __future__ import annotations

import datetime

import time_machine
from django.utils import timezone

from articles.models import Article
from tests.editorial.conftest import approve, in_review, refreshed
from tests.factories import ArticleFactory


def approved_long_ago(article: Article, member, *, days_ago: int = 400) -> Article:
    """Submit, assign ``member`` and approve ``article`` ``days_ago`` days ago: with the default
    interval of 365 days its review date has passed by ``days_ago - 365`` days."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=days_ago)):
        (assignment,) = in_review(article, member)
        approve(assignment)
    return refreshed(article)


def due_articles(count: int, *, specialty, editor, member, days_ago: int = 400) -> list[Article]:
    """``count`` approved articles of ``specialty`` whose review date has passed."""
    return [
        approved_long_ago(ArticleFactory(specialty=specialty, actor=editor), member, days_ago=days_ago)
        for _ in range(count)
    ]
