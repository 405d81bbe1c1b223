"""The dossier's entries: everything that happened to an article, or to one of its versions, in
time order, read from the records the system keeps (nothing is written to build it).

Each kind of entry has its source, one query each however long the history: the versions, the
rounds opened and closed, the reviews assigned, the decisions (with their snapshot and the review
comments they cite), the status transitions (the article's historical rows whose status differs
from the row before; the actor and reason are the row's), and the webhook deliveries
(``editorial.webhooks.selectors.deliveries_for_article``).

Entries are ordered by time, then by kind (``RANKS``: at one instant a version comes before the
round that reviews it, a decision before the transition it causes), then by the row's id; that
triple is an entry's ``Position``. A page is read by keyset: each source is asked for the entries
just after (or before) a position, at most one page's worth, and the results are merged. So a page
costs the same number of queries at the first entry as at the ten-thousandth.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Model, OuterRef, Prefetch, Q, QuerySet, Subquery

from articles.models import Article, ArticleVersion
from editorial.comments.models import DecisionCitation
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from editorial.webhooks.selectors import deliveries_for_article


class Kind:
    VERSION_CREATED = "version_created"
    ROUND_OPENED = "round_opened"
    REVIEW_ASSIGNED = "review_assigned"
    DECISION = "decision"
    ROUND_CLOSED = "round_closed"
    TRANSITION = "transition"
    WEBHOOK_DELIVERY = "webhook_delivery"


# The order of kinds at one instant: the cause before its effect.
RANKS = [
    Kind.VERSION_CREATED,
    Kind.ROUND_OPENED,
    Kind.REVIEW_ASSIGNED,
    Kind.DECISION,
    Kind.ROUND_CLOSED,
    Kind.TRANSITION,
    Kind.WEBHOOK_DELIVERY,
]
KINDS = list(RANKS)


@dataclass(frozen=True, order=True)
class Position:
    at: datetime.datetime
    rank: int
    id: int


@dataclass(frozen=True)
class Entry:
    """One thing that happened: when, what kind, by whom, to which version, and its record."""

    position: Position
    kind: str
    version: int | None
    actor: Any  # a user, or None for the system's own steps without one
    record: Model


@dataclass(frozen=True)
class Source:
    """Where the entries of one kind come from: the rows, the field giving their time, and the
    field of their id, in the order that breaks ties."""

    kind: str
    rows: Callable[[Article, ArticleVersion | None], QuerySet]
    at: str
    id: str
    entry: Callable[[Any, Position], Entry]

    @property
    def rank(self) -> int:
        return RANKS.index(self.kind)

    def after(self, position: Position) -> Q:
        """The rows of this source that come after ``position`` in the dossier's order."""
        later = Q(**{f"{self.at}__gt": position.at})
        same_time = Q(**{self.at: position.at})
        if self.rank > position.rank:
            return later | same_time
        if self.rank == position.rank:
            return later | (same_time & Q(**{f"{self.id}__gt": position.id}))
        return later

    def before(self, position: Position) -> Q:
        earlier = Q(**{f"{self.at}__lt": position.at})
        same_time = Q(**{self.at: position.at})
        if self.rank < position.rank:
            return earlier | same_time
        if self.rank == position.rank:
            return earlier | (same_time & Q(**{f"{self.id}__lt": position.id}))
        return earlier

    def read(
        self,
        article: Article,
        version: ArticleVersion | None,
        *,
        after: Position | None = None,
        before: Position | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        rows = self.rows(article, version)
        if after is not None:
            rows = rows.filter(self.after(after))
        if before is not None:
            rows = rows.filter(self.before(before)).order_by(f"-{self.at}", f"-{self.id}")
        else:
            rows = rows.order_by(self.at, self.id)
        if limit is not None:
            rows = rows[:limit]
        return [
            self.entry(row, Position(_value(row, self.at), self.rank, _value(row, self.id))) for row in rows
        ]


def _value(row: Any, path: str) -> Any:
    for part in path.split("__"):
        row = getattr(row, part)
    return row


# --- The sources ----------------------------------------------------------------------------------


def _versions(article: Article, version: ArticleVersion | None) -> QuerySet:
    rows = ArticleVersion.objects.filter(article=article).select_related("author")
    return rows.filter(pk=version.pk) if version is not None else rows


def _rounds(article: Article, version: ArticleVersion | None) -> QuerySet:
    rows = (
        ReviewRound.objects.filter(article=article)
        .select_related("opened_by")
        .annotate(version_number=F("version__number"), base_version_number=F("base_version__number"))
    )
    return rows.filter(version=version) if version is not None else rows


def _closed_rounds(article: Article, version: ArticleVersion | None) -> QuerySet:
    return _rounds(article, version).filter(closed_at__isnull=False)


def _assignments(article: Article, version: ArticleVersion | None) -> QuerySet:
    rows = (
        ReviewAssignment.objects.filter(round__article=article)
        .select_related("reviewer__user", "assigned_by")
        .annotate(version_number=F("round__version__number"))
    )
    return rows.filter(round__version=version) if version is not None else rows


def _decisions(article: Article, version: ArticleVersion | None) -> QuerySet:
    citations = DecisionCitation.objects.select_related("comment").order_by("comment_id")
    return (
        _assignments(article, version)
        .filter(state=AssignmentState.COMPLETED)
        .prefetch_related(Prefetch("citations", queryset=citations))
    )


def _transitions(article: Article, version: ArticleVersion | None) -> QuerySet:
    """The article's historical rows that changed its status (and the first), each with the
    status before it: a subquery rather than a window, so that a page's filter does not change
    what came before."""
    history = Article.history.filter(id=article.pk)
    earlier = Article.history.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    rows = (
        history.select_related("history_user")
        .annotate(
            previous_status=Subquery(earlier.order_by("-history_date", "-history_id").values("status")[:1]),
            version_number=F("current_version__number"),
        )
        .filter(Q(previous_status__isnull=True) | ~Q(status=F("previous_status")))
    )
    if version is not None:
        # While it was the version being written and reviewed, or the one readers were shown.
        rows = rows.filter(Q(current_version=version) | Q(published_version=version))
    return rows


def _deliveries(article: Article, version: ArticleVersion | None) -> QuerySet:
    return deliveries_for_article(article, version).annotate(version_number=F("event__version__number"))


SOURCES = [
    Source(
        Kind.VERSION_CREATED,
        _versions,
        "created_at",
        "pk",
        lambda row, at: Entry(at, Kind.VERSION_CREATED, row.number, row.author, row),
    ),
    Source(
        Kind.ROUND_OPENED,
        _rounds,
        "opened_at",
        "pk",
        lambda row, at: Entry(at, Kind.ROUND_OPENED, row.version_number, row.opened_by, row),
    ),
    Source(
        Kind.REVIEW_ASSIGNED,
        _assignments,
        "assigned_at",
        "pk",
        lambda row, at: Entry(at, Kind.REVIEW_ASSIGNED, row.version_number, row.assigned_by, row),
    ),
    Source(
        Kind.DECISION,
        _decisions,
        "decided_at",
        "pk",
        lambda row, at: Entry(at, Kind.DECISION, row.version_number, row.reviewer.user, row),
    ),
    Source(
        Kind.ROUND_CLOSED,
        _closed_rounds,
        "closed_at",
        "pk",
        lambda row, at: Entry(at, Kind.ROUND_CLOSED, row.version_number, None, row),
    ),
    Source(
        Kind.TRANSITION,
        _transitions,
        "history_date",
        "history_id",
        lambda row, at: Entry(at, Kind.TRANSITION, row.version_number, row.history_user, row),
    ),
    Source(
        Kind.WEBHOOK_DELIVERY,
        _deliveries,
        "event__occurred_at",
        "pk",
        lambda row, at: Entry(at, Kind.WEBHOOK_DELIVERY, row.version_number, None, row),
    ),
]


# --- Reading ----------------------------------------------------------------------------------------


def dossier_entries(article: Article, version: ArticleVersion | None = None) -> list[Entry]:
    """Every entry of the article's dossier (of one version's, when ``version`` is given), in
    time order: one query per source."""
    return sorted(_merge(source.read(article, version) for source in SOURCES), key=_position)


def dossier_page(
    article: Article,
    version: ArticleVersion | None,
    *,
    size: int,
    after: Position | None = None,
    before: Position | None = None,
) -> tuple[list[Entry], bool]:
    """Up to ``size`` entries just after ``after`` (or just before ``before``; else the first),
    in time order, and whether there are more in that direction: one query per source."""
    read = [source.read(article, version, after=after, before=before, limit=size + 1) for source in SOURCES]
    entries = sorted(_merge(read), key=_position, reverse=before is not None)
    more = len(entries) > size
    page = entries[:size]
    if before is not None:
        page.reverse()
    return page, more


def _merge(lists: Iterable[list[Entry]]) -> Iterator[Entry]:
    for entries in lists:
        yield from entries


def _position(entry: Entry) -> Position:
    return entry.position
