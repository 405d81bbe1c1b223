"""Writes of the triage queue: page views from the site's analytics, and submitting the top of the
queue to the board's free capacity."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from articles.models import Article
from editorial import services
from editorial.exceptions import ActionNotPermitted, NoEligibleReviewers, WorkflowError
from editorial.staffing.selectors import board_capacity, seats_per_round
from editorial.triage import selectors
from editorial.triage.models import PageViews
from editorial.triage.permissions import may_feed_page_views
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


# --- Page views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageViewItem:
    slug: str
    date: datetime.date
    views: int


@dataclass(frozen=True)
class UnknownSlug:
    index: int
    slug: str


@dataclass(frozen=True)
class PageViewsReport:
    received: int
    stored: int
    unknown: list[UnknownSlug]


@transaction.atomic
def page_views_record(*, actor: AbstractBaseUser, items: Sequence[PageViewItem]) -> PageViewsReport:
    """Store each item's views as its article's total for that day, replacing what was sent before
    for the same article and day, so that sending a batch again changes nothing. Items naming no
    article are left out and reported by their position; an article and day given twice in one
    batch keeps the later item. Two statements: the slugs looked up, then one upsert (``INSERT ...
    ON CONFLICT (article, date) DO UPDATE``; SQLite splits it by its parameter limit)."""
    if not may_feed_page_views(actor):
        raise ActionNotPermitted("Only the site's analytics account and editors-in-chief send page views.")
    ids = dict(Article.objects.filter(slug__in={item.slug for item in items}).values_list("slug", "pk"))
    latest: dict[tuple[int, datetime.date], int] = {}
    unknown = []
    for index, item in enumerate(items):
        if item.slug in ids:
            latest[(ids[item.slug], item.date)] = item.views
        else:
            unknown.append(UnknownSlug(index, item.slug))
    now = timezone.now()
    PageViews.objects.bulk_create(
        [
            PageViews(article_id=article_id, date=day, views=views, received_at=now, received_by=actor)
            for (article_id, day), views in latest.items()
        ],
        update_conflicts=True,
        unique_fields=["article", "date"],
        update_fields=["views", "received_at", "received_by"],
    )
    return PageViewsReport(received=len(items), stored=len(latest), unknown=unknown)


# --- Auto-submission --------------------------------------------------------------------------

# How far down the queue one run looks for articles whose specialty has free seats.
SCAN_DEPTH = 1000


def submit_reason(rank: int, score: float) -> str:
    return f"Triage: auto-submitted at rank {rank} (score {score:.1f})"


ASSIGN_REASON = "Triage: reviewers for an auto-submitted article"


@dataclass
class AutoSubmitRun:
    enabled: bool
    submitted: int = 0
    skipped: int = 0
    without_reviewers: int = 0
    free_seats_before: int = 0
    free_seats_after: int = 0
    submitted_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "enabled": int(self.enabled),
            "submitted": self.submitted,
            "skipped": self.skipped,
            "without_reviewers": self.without_reviewers,
            "free_seats_before": self.free_seats_before,
            "free_seats_after": self.free_seats_after,
        }


def _submit_one(*, pk: int, rank: int, score: float, actor: AbstractBaseUser) -> list[int] | str:
    """Submit one pending article and auto-assign its reviewers as ``actor``, in one transaction.
    Returns the ids of the members assigned, or "skipped" (another worker holds it, or it is no
    longer pending) or "without_reviewers" (nobody eligible was free for every seat: nothing is
    kept, the article stays pending)."""
    with transaction.atomic():
        # SKIP LOCKED: an article another worker (or an editor's request) holds is left to them,
        # and one they submitted is no longer pending once they commit.
        article = selectors.pending_articles().select_for_update(skip_locked=True).filter(pk=pk).first()
        if article is None:
            return "skipped"
        seats = seats_per_round(article.risk_level)
        try:
            with transaction.atomic():
                services.submit(actor=actor, article=article, reason=submit_reason(rank, score))
                assignments = services.auto_assign(actor=actor, article=article, reason=ASSIGN_REASON)
                if len(assignments) < seats:
                    raise NoEligibleReviewers(f"{len(assignments)} of {seats} seats could be filled.")
        except NoEligibleReviewers as error:
            logger.info("event=triage_without_reviewers article=%s detail=%s", pk, error)
            return "without_reviewers"
        except WorkflowError as error:
            logger.warning("event=triage_submit_refused article=%s code=%s detail=%s", pk, error.code, error)
            return "skipped"
    return [assignment.reviewer_id for assignment in assignments]


def auto_submit(*, now: datetime.datetime | None = None, limit: int | None = None) -> AutoSubmitRun:
    """With TRIAGE_AUTO_SUBMIT on, submit the top of the queue as the system user while the board
    has free seats: in rank order, each article whose specialty's members have as many free seats
    as its round needs, each in its own transaction through ``editorial.services`` (submit, then
    auto-assign), at most ``limit`` (TRIAGE_AUTO_SUBMIT_MAX_PER_RUN) a run. An article that cannot
    get every reviewer it needs is not submitted. Safe to run twice at once: an article is taken
    under its row lock, skipping one another worker holds, and the services lock the members whose
    seats they fill, so no member is given more reviews than their limit. With the setting off it
    does nothing."""
    if not settings.TRIAGE_AUTO_SUBMIT:
        return AutoSubmitRun(enabled=False)
    now = now or timezone.now()
    limit = limit or settings.TRIAGE_AUTO_SUBMIT_MAX_PER_RUN
    capacity = board_capacity(today=timezone.localdate(now))
    run = AutoSubmitRun(enabled=True, free_seats_before=capacity.free_seats)
    actor = get_system_user()
    for rank, entry in enumerate(selectors.queue_head(now=now, limit=SCAN_DEPTH), start=1):
        if run.submitted >= limit or capacity.free_seats == 0:
            break
        if capacity.free_in(entry["specialty_id"]) < seats_per_round(entry["risk_level"]):
            continue
        outcome = _submit_one(pk=entry["pk"], rank=rank, score=entry["score"], actor=actor)
        if outcome == "skipped":
            run.skipped += 1
        elif outcome == "without_reviewers":
            run.without_reviewers += 1
        else:
            capacity.take(outcome)
            run.submitted += 1
            run.submitted_ids.append(entry["pk"])
    run.free_seats_after = capacity.free_seats
    return run
