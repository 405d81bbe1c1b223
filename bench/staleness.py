"""The staleness sweep's expiry step against the ways it could have been written, on the same data.

``build`` loads N approved articles (each with its first version and two history rows) with bulk
inserts, a fraction F of them past their review date, spread evenly through the table. Each
method then expires exactly those articles, starting from the same state: before every run the
articles are put back to approved, the history rows the previous run wrote are deleted, and
(on PostgreSQL) both tables are vacuumed and analysed. The methods:

- ``per-row .save() loop``: load each due article, run its ``expire`` transition and ``save()``
  it, which writes its history row through simple-history's signal; one transaction.
- ``bulk_update_with_history``: simple-history's helper: ``bulk_update`` plus a bulk insert of
  the historical rows built in Python.
- ``project sweep``: ``editorial.staleness.expire_due_articles``, what ``mark_stale_articles``
  runs first: one ``UPDATE ... RETURNING`` feeding an ``INSERT`` of the history rows per batch
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
- ``bare UPDATE``: one ``UPDATE`` of the status, writing no history at all; the floor.

Only the expiry is measured: opening the re-reviews goes through the workflow services article by
article, and is the same whichever way the expiry is written.
"""

from __future__ import annotations

import datetime
import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from articles.models import Article, ArticleStatus, ArticleVersion
from config.audit import audit
from editorial import staleness
from reviewers.models import Specialty
from reviewers.services import get_system_user

REASON = staleness.expiry_reason(365)
CHUNK = 5000


@dataclass
class Data:
    articles: int
    due: int
    now: datetime.datetime
    loaded_at: datetime.datetime
    history_max_id: int


@dataclass
class MethodResult:
    name: str
    rows: int
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median


def _is_due(index: int, fraction: float) -> bool:
    # Spread evenly: article i is due when i * F crosses a whole number.
    return int((index + 1) * fraction) > int(index * fraction)


def build(*, articles: int, due_fraction: float) -> Data:
    """Load the articles, versions and history rows with bulk inserts; returns what the runs need."""
    User = get_user_model()
    editor = User.objects.create_user(username="bench-editor", password=None)
    specialty = Specialty.objects.create(name="Medical oncology", slug="medical-oncology")
    now = timezone.now()
    long_ago, lately = now - datetime.timedelta(days=400), now - datetime.timedelta(days=100)
    interval = datetime.timedelta(days=365)

    for start in range(0, articles, CHUNK):
        batch = []
        for index in range(start, min(start + CHUNK, articles)):
            reviewed = long_ago if _is_due(index, due_fraction) else lately
            batch.append(
                Article(
                    slug=f"bench-{index}",
                    title=f"Benchmark question {index}?",
                    specialty=specialty,
                    status=ArticleStatus.APPROVED,
                    last_reviewed_at=reviewed,
                    review_due_at=reviewed + interval,
                    created_by=editor,
                )
            )
        created = Article.objects.bulk_create(batch)
        ArticleVersion.objects.bulk_create(
            ArticleVersion(
                article=article,
                number=1,
                title=article.title,
                body=f"The answer to question {article.slug}, with its evidence.",
                author=editor,
                content_hash=hashlib.sha256(article.slug.encode()).hexdigest(),
            )
            for article in created
        )
    version = ArticleVersion.objects.filter(article_id=OuterRef("pk")).values("pk")[:1]
    Article.objects.update(
        current_version=Subquery(version),
        published_version=Subquery(version),
        last_decided_version=Subquery(version),
    )
    _history_rows(editor.pk, "Created with its first version", "+")
    _history_rows(editor.pk, "Approved by the board", "~")
    _analyse()
    loaded_at = Article.objects.values_list("updated_at", flat=True).order_by("-updated_at").first()
    due = Article.objects.due_for_review(now).count()
    history_max_id = Article.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return Data(articles=articles, due=due, now=now, loaded_at=loaded_at, history_max_id=history_max_id)


def _history_rows(user_id: int, reason: str, history_type: str) -> None:
    """One history row for every article, as it is now, in one INSERT ... SELECT."""
    history = Article.history.model
    q = connection.ops.quote_name
    columns = [f.column for f in history.tracked_fields]
    targets = [*columns, "history_date", "history_change_reason", "history_type", "history_user_id"]
    select = ", ".join(map(q, [*columns, "updated_at"]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(history._meta.db_table)} ({', '.join(map(q, targets))}) "  # noqa: S608 - model names
            f"SELECT {select}, %s, %s, %s FROM {q(Article._meta.db_table)}",
            [reason, history_type, user_id],
        )


def _analyse() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Article, Article.history.model):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


def reset(data: Data) -> None:
    """Put every article back as it was after ``build`` and drop the history rows a run added."""
    with transaction.atomic():
        Article.objects.exclude(status=ArticleStatus.APPROVED).update(
            status=ArticleStatus.APPROVED, updated_at=data.loaded_at
        )
        Article.history.filter(history_id__gt=data.history_max_id).delete()
    _analyse()


def server_settings() -> str:
    """The PostgreSQL settings the figures depend on most (every method rewrites pages scattered
    through the table and its indexes), or "" elsewhere."""
    if connection.vendor != "postgresql":
        return ""
    names = ("shared_buffers", "max_wal_size", "autovacuum")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s) ORDER BY name", [list(names)]
        )
        rows = cursor.fetchall()
    return ", ".join(f"{name} {_with_unit(setting, unit)}" for name, setting, unit in rows)


def _with_unit(setting: str, unit: str | None) -> str:
    if unit == "8kB":
        return f"{int(setting) * 8 // 1024} MB"
    return f"{setting} {unit}" if unit else setting


# --- The methods ----------------------------------------------------------------------------------


def _due(data: Data):
    return Article.objects.due_for_review(data.now)


def per_row_save(data: Data, system) -> None:
    with audit(actor=system, reason=REASON), transaction.atomic():
        for article in _due(data).iterator(chunk_size=2000):
            article.expire()
            article.save()


def with_bulk_update_with_history(data: Data, system) -> None:
    with transaction.atomic():
        articles = list(_due(data))
        for article in articles:
            article.expire()
            article.updated_at = data.now
        bulk_update_with_history(
            articles,
            Article,
            ["status", "updated_at"],
            batch_size=2000,
            default_user=system,
            default_change_reason=REASON,
            default_date=data.now,
        )


def project_sweep(data: Data, system, *, batch_size: int) -> None:
    staleness.expire_due_articles(now=data.now, batch_size=batch_size)


def bare_update(data: Data, system) -> None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(Article._meta.db_table)} SET {q('status')} = %s, {q('updated_at')} = %s "  # noqa: S608
            f"WHERE {q('status')} = %s AND {q('review_due_at')} < %s",
            [
                ArticleStatus.EXPIRED,
                connection.ops.adapt_datetimefield_value(data.now),
                ArticleStatus.APPROVED,
                connection.ops.adapt_datetimefield_value(data.now),
            ],
        )


def methods(batch_size: int) -> dict[str, tuple[Callable[[Data, object], None], bool]]:
    """name -> (method, whether it writes history rows)."""
    return {
        "per-row .save() loop": (per_row_save, True),
        "bulk_update_with_history": (with_bulk_update_with_history, True),
        "project sweep": (lambda data, system: project_sweep(data, system, batch_size=batch_size), True),
        "bare UPDATE (floor)": (bare_update, False),
    }


def run(*, data: Data, names: list[str], repeat: int, batch_size: int) -> list[MethodResult]:
    """Time each method ``repeat`` times (in turn, so that drift hits all alike), checking after
    each run that it expired exactly the due articles with one history row each (none for the
    bare UPDATE)."""
    system = get_system_user()
    available = methods(batch_size)
    results = {name: MethodResult(name=name, rows=data.due) for name in names}
    for _ in range(repeat):
        for name in names:
            method, writes_history = available[name]
            reset(data)
            started = time.perf_counter()
            method(data, system)
            results[name].seconds.append(time.perf_counter() - started)
            _check(data, name, writes_history)
    reset(data)
    return list(results.values())


def _check(data: Data, name: str, writes_history: bool) -> None:
    expired = Article.objects.filter(status=ArticleStatus.EXPIRED).count()
    added = Article.history.filter(history_id__gt=data.history_max_id, status=ArticleStatus.EXPIRED).count()
    expected = (data.due, data.due if writes_history else 0)
    if (expired, added) != expected:
        raise RuntimeError(
            f"{name} expired {expired} articles with {added} history rows; expected {expected}."
        )
