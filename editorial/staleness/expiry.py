"""Step 1 of the staleness sweep, the expiry: set-based, in bounded batches, one statement per
batch on PostgreSQL (see the package's docstring)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article, ArticleStatus
from editorial.webhooks.services import events as webhook_events
from reviewers.models import Specialty
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
