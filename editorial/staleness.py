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
the system user that transition permits.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from articles.models import Article, ArticleStatus
from editorial import services
from editorial.exceptions import NoEligibleReviewers, WorkflowError
from editorial.models import ReviewRound, RoundTrigger
from editorial.staffing.selectors import board_capacity
from editorial.webhooks.models import WebhookEvent
from editorial.webhooks.services import events as webhook_events
from reviewers.models import Specialty
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

RE_REVIEW_REASON = "Re-review: the approval's review date has passed"
ASSIGN_REASON = "Reviewers for the re-review of an expired approval"


def expiry_reason(days: int) -> str:
    """The reason recorded on an expiry's history row: the policy that expired it."""
    return f"{_REASON_PREFIX}{days}{_REASON_SUFFIX}"


_REASON_PREFIX = "Review date passed: an approval of this article stands for "
_REASON_SUFFIX = " days (its review interval), so it must be reviewed again"


# --- Step 1: expiry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """Table and column names of the statements, derived from the models."""

    article_table: str
    history_table: str
    specialty_table: str
    # Column names, by field name, of the article and the specialty.
    article: dict[str, str]
    specialty: dict[str, str]
    # Pairs of (column in the article table, column in the historical table) for every tracked
    # field: the historical row is a copy of the article row as it is after the update.
    tracked: tuple[tuple[str, str], ...]
    history_date: str
    history_reason: str
    history_type: str
    history_user: str
    source: str
    target: str


@cache
def _shape() -> _Shape:
    history = Article.history.model
    meta = history._meta
    tracked = tuple((field.column, meta.get_field(field.name).column) for field in history.tracked_fields)
    special = {name: meta.get_field(name).column for name in _HISTORY_FIELDS}
    known = {column for _, column in tracked} | set(special.values()) | {meta.pk.column}
    unknown = {field.column for field in meta.concrete_fields} - known
    if unknown:
        # A column the statement would leave empty (an extra field added to the historical model).
        raise ImproperlyConfigured(f"The staleness sweep does not know how to fill {sorted(unknown)}.")
    (transition,) = Article.expire._django_fsm.transitions.values()
    if transition.conditions or transition.source != ArticleStatus.APPROVED:
        # The statement expires what Article.objects.due_for_review() selects, unconditionally.
        raise ImproperlyConfigured("The staleness sweep expects Article.expire to take any approved article.")
    return _Shape(
        article_table=Article._meta.db_table,
        history_table=meta.db_table,
        specialty_table=Specialty._meta.db_table,
        article=_columns(Article, "id", "status", "review_due_at", "updated_at", "specialty", _INTERVAL),
        specialty=_columns(Specialty, "id", _INTERVAL),
        tracked=tracked,
        history_date=special["history_date"],
        history_reason=special["history_change_reason"],
        history_type=special["history_type"],
        history_user=special["history_user"],
        source=str(transition.source),
        target=str(transition.target),
    )


_HISTORY_FIELDS = ("history_date", "history_change_reason", "history_type", "history_user")
_INTERVAL = "review_interval_days"


def _columns(model: type, *names: str) -> dict[str, str]:
    return {name: model._meta.get_field(name).column for name in names}


def _history_insert(shape: _Shape, rows: str) -> str:
    """``INSERT INTO <history> (...) SELECT ... FROM <rows> AS expired`` with the actor and reason;
    ``rows`` is a table or CTE holding the articles as they are after the update."""
    q = connection.ops.quote_name
    article, specialty = shape.article, shape.specialty
    targets = [history for _, history in shape.tracked] + [
        shape.history_date,
        shape.history_reason,
        shape.history_type,
        shape.history_user,
    ]
    values = [f"expired.{q(column)}" for column, _ in shape.tracked] + [
        "%(now)s",
        f"%(reason_prefix)s || CAST(COALESCE(expired.{q(article[_INTERVAL])}, "
        f"specialty.{q(specialty[_INTERVAL])}, %(default_days)s) AS TEXT) || %(reason_suffix)s",
        "%(history_type)s",
        "%(user)s",
    ]
    # Identifiers come from the models' metadata, quoted; every value is a query parameter.
    return (
        f"INSERT INTO {q(shape.history_table)} ({', '.join(q(column) for column in targets)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM {rows} AS expired "
        f"JOIN {q(shape.specialty_table)} AS specialty "
        f"ON specialty.{q(specialty['id'])} = expired.{q(article['specialty'])}"
    )


@cache
def _postgresql_batch_sql() -> str:
    shape = _shape()
    q = connection.ops.quote_name
    columns = {name: q(column) for name, column in shape.article.items()}
    article, pk, status, due = (
        q(shape.article_table),
        columns["id"],
        columns["status"],
        columns["review_due_at"],
    )
    # The most overdue first, in the order of the (status, review_due_at) index, so that the scan
    # stops at the limit instead of sorting every due article for each batch. The update finds
    # its rows by primary key (= ANY of an array): joined to the CTE, PostgreSQL hashes the whole
    # table for each batch instead. Identifiers come from the models' metadata, quoted; every
    # value is a query parameter.
    return (
        f"WITH due AS (SELECT {pk} FROM {article} WHERE {status} = %(source)s AND {due} <= %(now)s "  # noqa: S608
        f"ORDER BY {due} LIMIT %(limit)s FOR UPDATE SKIP LOCKED), "
        f"updated AS (UPDATE {article} AS a SET {status} = %(target)s, {columns['updated_at']} = %(now)s "
        f"WHERE a.{pk} = ANY(ARRAY(SELECT {pk} FROM due)) RETURNING a.*), "
        f"history AS ({_history_insert(shape, 'updated')}), "
        # The site's article.expired webhook events, from the same rows (no round trip).
        f"events AS ({webhook_events.expiry_events_sql('updated')}) "
        "SELECT article_id, id FROM events"
    )


def _params(now: datetime.datetime, limit: int, user: AbstractBaseUser) -> dict[str, object]:
    shape = _shape()
    return {
        "source": shape.source,
        "target": shape.target,
        "now": connection.ops.adapt_datetimefield_value(now),
        "limit": limit,
        "user": user.pk,
        "history_type": "~",
        "reason_prefix": _REASON_PREFIX,
        "reason_suffix": _REASON_SUFFIX,
        "default_days": settings.REVIEW_INTERVAL_DAYS,
    }


@transaction.atomic
def _expire_batch(*, now: datetime.datetime, limit: int, user: AbstractBaseUser) -> list[int]:
    """Expire up to ``limit`` due articles not locked by anyone else, with their history rows, in
    one transaction; returns their ids (none when nothing is left that this worker can take)."""
    params = _params(now, limit, user)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            recorded_at = timezone.now()
            cursor.execute(_postgresql_batch_sql(), params | webhook_events.expiry_event_params(recorded_at))
            rows = cursor.fetchall()
            webhook_events.owe_deliveries(
                event_ids=[event for _, event in rows],
                event_type=webhook_events.EventType.ARTICLE_EXPIRED,
                occurred_at=recorded_at,
            )
            return [article for article, _ in rows]
        # A single-writer database (SQLite): no other worker can interleave with this transaction.
        ids = list(
            Article.objects.due_for_review(now)
            .order_by("review_due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Article.objects.filter(pk__in=ids).update(status=params["target"], updated_at=now)
        shape = _shape()
        q = connection.ops.quote_name
        placeholders = ", ".join(f"%(id{index})s" for index in range(len(ids)))
        cursor.execute(
            f"{_history_insert(shape, q(shape.article_table))} "
            f"WHERE expired.{q(shape.article['id'])} IN ({placeholders})",
            params | {f"id{index}": pk for index, pk in enumerate(ids)},
        )
        webhook_events.record_bulk_expiry(article_ids=ids)
        return ids


@dataclass(frozen=True)
class ExpiryResult:
    expired: int
    batches: int


def expire_due_articles(
    *, now: datetime.datetime | None = None, batch_size: int | None = None
) -> ExpiryResult:
    """Expire every approved article whose review date is before ``now``, ``batch_size`` at a
    time, each with one history row. Articles another transaction holds locked are skipped (the
    next run takes them). Safe to run concurrently: no article is expired twice."""
    now = now or timezone.now()
    batch_size = batch_size or settings.STALENESS_BATCH_SIZE
    user = get_system_user()
    expired = batches = 0
    while ids := _expire_batch(now=now, limit=batch_size, user=user):
        expired += len(ids)
        batches += 1
    return ExpiryResult(expired=expired, batches=batches)


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


# --- Step 2: re-review ------------------------------------------------------------------------


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


def _open_re_review(pk: int) -> str:
    """Submit one expired article again and auto-assign its reviewers, in one transaction.
    Returns "opened", "without_reviewers" or "skipped" (another worker has it, or it changed)."""
    with transaction.atomic():
        article = _lock_by_pk(pk)
        if article is None or article.status != ArticleStatus.EXPIRED:
            return "skipped"
        try:
            outcome = services.open_re_review(
                article=article, reason=RE_REVIEW_REASON, assign_reason=ASSIGN_REASON
            )
        except WorkflowError as error:
            logger.warning("event=re_review_refused article=%s code=%s detail=%s", pk, error.code, error)
            return "skipped"
    return "skipped" if outcome == "left_to_editors" else outcome


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


def _expired_without_open_round() -> QuerySet[Article]:
    open_round = ReviewRound.objects.open().filter(article_id=OuterRef("pk"))
    return Article.objects.filter(status=ArticleStatus.EXPIRED).exclude(Exists(open_round))


def re_review_candidates(*, limit: int) -> list[int]:
    """Up to ``limit`` + 1 expired articles (ids) whose approved text goes for a re-review, the
    oldest due first."""
    return list(
        _expired_without_open_round()
        .filter(current_version_id=F("published_version_id"))
        .order_by("review_due_at", "pk")
        .values_list("pk", flat=True)[: limit + 1]
    )


def open_re_reviews(*, limit: int | None = None) -> ReReviewResult:
    """Open a re-review, as the system user, for up to ``limit`` expired articles whose current
    version is the approved one (the oldest due first), and retry auto-assignment for re-reviews
    still waiting for a reviewer. An expired article with a newer version is left to its editors,
    who submit that version. ``remaining`` counts the expired articles beyond ``limit``."""
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
        left_to_editors=_expired_without_open_round()
        .exclude(current_version_id=F("published_version_id"))
        .count(),
        remaining=remaining,
        retried=len(retried),
    )


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
