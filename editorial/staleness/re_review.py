"""Step 2 of the staleness sweep, the re-review: per article through the workflow services, each
in its own transaction (see the package's docstring)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet

from articles.models import Article, ArticleStatus
from editorial import services
from editorial.exceptions import NoEligibleReviewers, WorkflowError
from editorial.models import ReviewRound, RoundTrigger
from editorial.staffing.selectors import board_capacity
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

RE_REVIEW_REASON = "Re-review: the approval's review date has passed"
ASSIGN_REASON = "Reviewers for the re-review of an expired approval"


@dataclass(frozen=True)
class ReReviewResult:
    opened: int
    without_reviewers: int
    assigned_late: int
    left_to_editors: int
    remaining: int
    retried: int = 0


def _lock_by_pk(pk: int) -> Article | None:
    """The article, locked, unless another transaction holds it. By primary key alone: with the
    status in the condition PostgreSQL may find the row through the status index, which after a
    bulk expiry costs 24 ms instead of 0.3 ms; the caller checks the status itself."""
    return Article.objects.select_for_update(skip_locked=True).filter(pk=pk).order_by().first()


def _open_re_review(pk: int) -> str | None:
    """Submit one expired article again and auto-assign its reviewers, in one transaction.
    Returns what ``services.open_re_review`` did ("opened", "without_reviewers" or
    "left_to_editors"), or None when it was not tried (another worker has it, it changed, or the
    workflow refused)."""
    with transaction.atomic():
        article = _lock_by_pk(pk)
        if article is None or article.status != ArticleStatus.EXPIRED:
            return None
        try:
            return services.open_re_review(
                article=article, reason=RE_REVIEW_REASON, assign_reason=ASSIGN_REASON
            )
        except WorkflowError as error:
            logger.warning("event=re_review_refused article=%s code=%s detail=%s", pk, error.code, error)
            return None


def _assign_waiting_re_review(pk: int, actor: AbstractBaseUser) -> bool:
    """Retry auto-assignment for a re-review that found no eligible reviewer earlier."""
    with transaction.atomic():
        article = _lock_by_pk(pk)
        if article is None or article.status != ArticleStatus.SUBMITTED:
            return False
        try:
            return bool(services.auto_assign(actor=actor, article=article, reason=ASSIGN_REASON))
        except NoEligibleReviewers as error:
            logger.warning("event=re_review_without_reviewers article=%s detail=%s", pk, error)
            return False


def specialties_with_free_seats() -> list[int]:
    """The specialties in which some member who may be given a review now has fewer open reviews
    than their limit: the board's capacity as the triage queue counts it (two queries)."""
    capacity = board_capacity()
    return [specialty for specialty in capacity.members_by_specialty if capacity.free_in(specialty) > 0]


def _expired() -> QuerySet[Article]:
    # No open round to exclude: a round is open exactly while its article is in review (rounds
    # open on submit, which leaves the expired status, and close before an approval), which
    # tests/editorial/test_workflow_properties.py checks after every step, expiry included.
    return Article.objects.filter(status=ArticleStatus.EXPIRED)


def re_review_candidates(*, limit: int) -> list[int]:
    """Up to ``limit`` + 1 expired articles (ids) whose approved text goes for a re-review, the
    oldest due first."""
    return list(
        _expired()
        .filter(current_version_id=F("published_version_id"))
        .order_by("review_due_at", "pk")
        .values_list("pk", flat=True)[: limit + 1]
    )


def open_re_reviews(*, limit: int | None = None) -> ReReviewResult:
    """Open a re-review, as the system user, for up to ``limit`` expired articles whose current
    version is the approved one (the oldest due first), and retry auto-assignment for re-reviews
    still waiting for a reviewer. An expired article with a newer version is left to its editors,
    who submit that version. ``remaining`` is 1 when more expired articles wait beyond ``limit``
    (the task then queues a follow-up run at once), else 0: a flag, not a count."""
    limit = limit or settings.STALENESS_RE_REVIEWS_PER_RUN
    actor = get_system_user()
    candidates = re_review_candidates(limit=limit)
    remaining = max(len(candidates) - limit, 0)
    outcomes = [_open_re_review(pk) for pk in candidates[:limit]]

    waiting = (
        ReviewRound.objects.open()
        .filter(trigger=RoundTrigger.RE_REVIEW, article__status=ArticleStatus.SUBMITTED)
        # Only where some member of the article's specialty has a free seat: retrying the others
        # cannot succeed until a review closes or a member joins.
        .filter(article__specialty_id__in=specialties_with_free_seats())
        .exclude(article_id__in=candidates)
        .order_by("opened_at", "pk")
        .values_list("article_id", flat=True)[:limit]
    )
    retried = [_assign_waiting_re_review(pk, actor) for pk in list(waiting)]
    return ReReviewResult(
        opened=outcomes.count("opened") + outcomes.count("without_reviewers"),
        without_reviewers=outcomes.count("without_reviewers") + retried.count(False),
        assigned_late=retried.count(True),
        left_to_editors=_expired().exclude(current_version_id=F("published_version_id")).count(),
        remaining=remaining,
        retried=len(retried),
    )
