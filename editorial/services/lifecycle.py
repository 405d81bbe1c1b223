"""The editors-in-chief's and the scheduler's steps: retire, restore, expire; and what happens when
an approval stops standing (it lapses, and the approved text goes back for a re-review)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from articles.models import Article, ArticleStatus
from articles.services import lock_article
from config.audit import audit
from editorial.exceptions import InvalidTransition, NoEligibleReviewers
from editorial.models import (
    RoundOutcome,
)
from editorial.services.assignments import auto_assign
from editorial.services.common import (
    close_round,
    lock_open_round,
    run_transition,
    save_status,
)
from editorial.services.rounds import submit
from editorial.webhooks.services import events as webhook_events
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


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
    """Bring a retired article back without its badge. One that had an approved text returns as
    expired (its approval lapsed while it was off the site) and that text goes straight to a
    re-review; one that never had an approval returns as a draft."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        run_transition(article, "restore", actor, at=timezone.now())
        save_status(article)
        if article.status == ArticleStatus.EXPIRED:
            open_re_review(article=article)
            article = lock_article(article.pk)
    return article


RE_REVIEW_REASON = "Re-review: the approval no longer stands"
ASSIGN_REASON = "Reviewers for the re-review of an approval that no longer stands"


@transaction.atomic
def open_re_review(
    *, article: Article, reason: str = RE_REVIEW_REASON, assign_reason: str = ASSIGN_REASON
) -> str:
    """Submit an expired article's approved text for a re-review and auto-assign its reviewers,
    as the system, under the article's lock. Returns "opened", "without_reviewers" (the round is
    open, waiting for a reviewer), or "left_to_editors" when a newer version exists (the editors
    submit that one instead). The caller's ``article`` object is not updated: read it again."""
    system = get_system_user()
    # Read again under the lock (never refresh_from_db: django-fsm-2 lifts the status field's
    # protection for every thread while it refreshes one instance).
    article = lock_article(article.pk)
    if article.status != ArticleStatus.EXPIRED or article.current_version_id != article.published_version_id:
        return "left_to_editors"
    submit(actor=system, article=article, reason=reason)
    webhook_events.record_re_review_opened(article=lock_article(article.pk))
    try:
        auto_assign(actor=system, article=article, reason=assign_reason)
    except NoEligibleReviewers as error:
        # The submission stands (auto_assign's own savepoint rolled back only itself).
        logger.warning("event=re_review_without_reviewers article=%s detail=%s", article.pk, error)
        return "without_reviewers"
    return "opened"


def lapse_approval(*, article: Article, reason: str) -> None:
    """The locked article's published approval no longer stands (``reason`` says why): its review
    date becomes now, so the site shows it as a past review with the caution line; an approved
    article expires, and its text goes for a re-review at once."""
    system = get_system_user()
    now = timezone.now()
    with audit(actor=system, reason=f"The approval no longer stands. {reason}"):
        article.lapse_approval(at=now)
        if article.status == ArticleStatus.APPROVED:
            run_transition(article, "expire", system)
        save_status(article)
    if article.status == ArticleStatus.EXPIRED:
        open_re_review(article=article)


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
