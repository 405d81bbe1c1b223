"""The editors-in-chief's and the scheduler's steps: retire, restore, expire."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from articles.models import Article, ArticleStatus
from articles.services import lock_article
from config.audit import audit
from editorial.exceptions import (
    InvalidTransition,
)
from editorial.models import (
    RoundOutcome,
)
from editorial.services.common import (
    close_round,
    lock_open_round,
    run_transition,
    save_status,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def retire(*, actor: AbstractBaseUser, article: Article, reason: str) -> Article:
    """Take the article off the site. A review in progress is withdrawn."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        run_transition(article, "retire", actor)
        round = lock_open_round(article, required=False)
        if round is not None:
            close_round(round, RoundOutcome.WITHDRAWN, timezone.now())
        save_status(article)
    return article


@transaction.atomic
def restore(*, actor: AbstractBaseUser, article: Article, reason: str) -> Article:
    """Bring a retired article back as a draft; it needs a review before it shows as approved."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        run_transition(article, "restore", actor)
        save_status(article)
    return article


@transaction.atomic
def expire(*, actor: AbstractBaseUser, article: Article, reason: str) -> Article:
    """Mark an approved article whose review date has passed as expired (the scheduler's step)."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        if article.status == ArticleStatus.APPROVED and not article.review_is_due(timezone.now()):
            raise InvalidTransition(
                "The article's review is not due yet.",
                code="review_not_due",
                status=article.status,
                allowed=[],
            )
        run_transition(article, "expire", actor)
        save_status(article)
    return article
