"""The staleness sweep: approvals whose review date has passed expire, and a re-review opens.

Two steps, each safe to run twice and safe to run in several workers at once:

1. **Expiry**, set-based: approved articles whose ``review_due_at`` has passed become ``expired``,
   each with one history row (actor: the system user; reason: the review-interval policy), in
   bounded batches. On PostgreSQL one statement per batch claims the rows with
   ``FOR UPDATE SKIP LOCKED``, updates them and inserts their history rows from the updated rows;
   two workers sharing the sweep therefore never take the same article, and a row an editor's
   request holds locked is left for the next run instead of being waited on. Elsewhere (SQLite,
   a single writer) the batch is an ``UPDATE ... WHERE id IN (...)`` and an ``INSERT ... SELECT``
   of the history rows in one transaction.
2. **Re-review**, per article through the workflow services (each article in its own
   transaction): every expired article whose current version is the approved one is submitted
   again as the system user (a ``re_review`` round for the same version) and auto-assigned, each
   locked by its primary key. After a large expiry the changed tables are analysed first, so the
   candidate query is planned with the new statuses. An article without an eligible reviewer
   stays submitted and is retried on a later run, once its specialty has a free seat. Because
   this step works from the articles' status, not from what step 1 returned, a crash between the
   two steps only delays the re-review to the next run.

This is the one place outside ``editorial.services`` that changes a review status; it applies
exactly the ``Article.expire`` transition (its source and target statuses are read from it), for
the system user that transition permits. Step 1 is ``expiry``, step 2 ``re_review``; this module
runs them in turn (``mark_stale_articles``, what the beat task calls).
"""

from __future__ import annotations

import datetime
import logging

from django.db import connection

from articles.models import Article
from editorial.staleness.expiry import ExpiryResult, expire_due_articles, expiry_reason
from editorial.staleness.re_review import (
    ASSIGN_REASON,
    RE_REVIEW_REASON,
    ReReviewResult,
    open_re_reviews,
    re_review_candidates,
    specialties_with_free_seats,
)
from editorial.webhooks.models import WebhookEvent

__all__ = [
    "ANALYZE_AFTER_EXPIRING",
    "ASSIGN_REASON",
    "RE_REVIEW_REASON",
    "ExpiryResult",
    "ReReviewResult",
    "analyze_touched_tables",
    "expire_due_articles",
    "expiry_reason",
    "mark_stale_articles",
    "open_re_reviews",
    "re_review_candidates",
    "specialties_with_free_seats",
]

logger = logging.getLogger(__name__)

# After expiring this many articles the planner's statistics of the article table are refreshed
# before the re-review step reads it: with the statistics of before the expiry, PostgreSQL takes
# the expired articles for a handful and plans the candidate query as a nested-loop anti-join
# (15-33 s at 100k expired, 87 ms once analysed). Autovacuum would analyse the table too, but
# only a while later (and not at all where it is off); the re-review step starts at once.
ANALYZE_AFTER_EXPIRING = 1000


def analyze_touched_tables() -> list[str]:
    """``ANALYZE`` the tables a bulk expiry changed (the articles, their history and the webhook
    events), on PostgreSQL; returns their names (none elsewhere). ANALYZE reads a fixed-size
    sample, so its cost does not grow with the table (docs/benchmarks.md, "Sweeps at volume")."""
    if connection.vendor != "postgresql":
        return []
    tables = [Article._meta.db_table, Article.history.model._meta.db_table, WebhookEvent._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")
    logger.info("event=tables_analyzed tables=%s", ",".join(tables))
    return tables


def mark_stale_articles(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    re_review_limit: int | None = None,
) -> dict[str, int]:
    """The daily sweep: expire every due approval (set-based), then open re-reviews for up to
    ``re_review_limit`` expired articles. Returns what it did, as counts."""
    expiry = expire_due_articles(now=now, batch_size=batch_size)
    if expiry.expired >= ANALYZE_AFTER_EXPIRING:
        analyze_touched_tables()
    re_reviews = open_re_reviews(limit=re_review_limit)
    return {
        "expired": expiry.expired,
        "expiry_batches": expiry.batches,
        "re_reviews_opened": re_reviews.opened,
        "re_reviews_without_reviewers": re_reviews.without_reviewers,
        "re_reviews_assigned_late": re_reviews.assigned_late,
        "expired_with_newer_version": re_reviews.left_to_editors,
        "re_reviews_remaining": re_reviews.remaining,
        "re_reviews_retried": re_reviews.retried,
    }
