"""Recording webhook events in the transaction of the change that causes them.

Each event is one row with a stable ``webhook_id``, plus one delivery row per active endpoint
subscribed to its type, plus one outbox message (topic ``webhooks.deliver``) that asks a worker to
deliver them once the change commits. A change that rolls back leaves none of these behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from editorial.outbox import publisher
from editorial.outbox.services import enqueue
from editorial.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent

if TYPE_CHECKING:
    from articles.models import Article, ArticleVersion
    from editorial.models import ReviewAssignment

# The events an article's status transition causes, by the transition's name.
TRANSITION_EVENTS: dict[str, tuple[EventType, ...]] = {
    "approve": (EventType.ARTICLE_APPROVED, EventType.VERSION_PUBLISHED),
    "expire": (EventType.ARTICLE_EXPIRED,),
    "retire": (EventType.ARTICLE_RETIRED,),
    "restore": (EventType.ARTICLE_RESTORED,),
}


def public_url(slug: str) -> str:
    """The article's public endpoint in the API (absolute when SITE_URL is set)."""
    return settings.SITE_URL + reverse("api:public-article-detail", kwargs={"slug": slug})


def _iso(moment: Any) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _version_data(version: ArticleVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {"number": version.number, "content_hash": version.content_hash}


def article_data(
    article: Article, version: ArticleVersion | None, *, url: str | None = None
) -> dict[str, Any]:
    """What every event says of the article: enough for the site to fetch what changed (``url``:
    its public URL, when the caller has it)."""
    return {
        "article": {
            "slug": article.slug,
            "status": article.status,
            "url": url or public_url(article.slug),
            "last_reviewed_at": _iso(article.last_reviewed_at),
            "review_due_at": _iso(article.review_due_at),
        },
        "version": _version_data(version),
    }


def _subscribed(event_type: str) -> list[WebhookEndpoint]:
    # Endpoints are few; filtering their lists here works on every database (SQLite has no
    # JSON containment lookup).
    active = WebhookEndpoint.objects.filter(is_active=True).only("pk", "event_types")
    return [endpoint for endpoint in active if event_type in endpoint.event_types]


def _record(events: Sequence[WebhookEvent]) -> list[WebhookEvent]:
    """Write the events, their deliveries and the one outbox message that delivers them."""
    if not events:
        return []
    created = WebhookEvent.objects.bulk_create(events)
    by_type: dict[str, list[WebhookEndpoint]] = {}
    deliveries = []
    for event in created:
        if event.type not in by_type:
            by_type[event.type] = _subscribed(event.type)
        deliveries += [
            WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=event.occurred_at)
            for endpoint in by_type[event.type]
        ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        owed = sorted({delivery.event.pk for delivery in deliveries})
        enqueue(topic=publisher.DELIVER_WEBHOOKS, payload={"event_ids": owed})
    return created


def record_transition(*, article: Article, transition: str) -> list[WebhookEvent]:
    """Record the events the transition ``transition`` just applied to the locked ``article``
    causes (none for most transitions). Called by ``editorial.services.common.run_transition``."""
    types = TRANSITION_EVENTS.get(transition, ())
    if not types:
        return []
    now = timezone.now()
    version = article.published_version if transition == "approve" else _current(article)
    data = article_data(article, version)
    return _record(
        [WebhookEvent(type=t, occurred_at=now, payload=data, article=article, version=version) for t in types]
    )


def _current(article: Article) -> ArticleVersion | None:
    return article.published_version or article.current_version


def record_re_review_opened(*, article: Article) -> list[WebhookEvent]:
    """The approved text of the expired ``article`` went back to the board for a re-review."""
    version = article.current_version
    return _record(
        [
            WebhookEvent(
                type=EventType.ARTICLE_RE_REVIEW_OPENED,
                payload=article_data(article, version),
                article=article,
                version=version,
            )
        ]
    )


def record_decision(*, article: Article, assignment: ReviewAssignment) -> list[WebhookEvent]:
    """A board member decided on the version under review (no personal email addresses: the
    reviewer's display name as readers see it)."""
    version = assignment.round.version
    data = article_data(article, version) | {
        "review": {
            "decision": assignment.decision,
            "reviewer": assignment.reviewer.display_name,
            "decided_at": _iso(assignment.decided_at),
        }
    }
    return _record(
        [
            WebhookEvent(
                type=EventType.REVIEW_DECIDED,
                occurred_at=assignment.decided_at,
                payload=data,
                article=article,
                version=version,
            )
        ]
    )


def record_bulk_expiry(*, article_ids: Iterable[int]) -> list[WebhookEvent]:
    """``article.expired`` for articles the staleness sweep expired in one statement (no
    transition ran on them), in its transaction: one query for the articles, one insert."""
    from articles.models import Article

    # Only what the payload reads (no version bodies), and the URL reversed once for the batch
    # (a slug is URL-safe as it is): at thousands of articles a batch, both are most of its cost.
    articles = (
        Article.objects.filter(pk__in=list(article_ids))
        .select_related("published_version", "current_version")
        .only(
            "slug",
            "status",
            "last_reviewed_at",
            "review_due_at",
            *(f"{relation}__{field}" for relation in _VERSIONS for field in ("number", "content_hash")),
        )
    )
    now = timezone.now()
    url = public_url(_SLUG).split(_SLUG)
    return _record(
        [
            WebhookEvent(
                type=EventType.ARTICLE_EXPIRED,
                occurred_at=now,
                payload=article_data(article, _current(article), url=article.slug.join(url)),
                article=article,
                version=_current(article),
            )
            for article in articles.order_by("pk")
        ]
    )


_VERSIONS = ("published_version", "current_version")


# --- The staleness sweep's events, in its batch statement (PostgreSQL) ------------------------------


def expiry_events_sql(updated: str) -> str:
    """An ``INSERT ... SELECT`` of one ``article.expired`` event per row of ``updated`` (a CTE of
    article rows as they are after the expiry), with the payload ``article_data`` builds, made by
    PostgreSQL: the staleness sweep runs it in its batch statement, so its events cost no round
    trip and no Python per article (tests/editorial/test_staleness_volume.py holds the payload to
    ``article_data``'s). Returns the events' ids and article ids. Parameters:
    ``expiry_event_params``."""
    from articles.models import Article, ArticleVersion

    q = connection.ops.quote_name
    event, article, version = WebhookEvent._meta, Article._meta, ArticleVersion._meta

    def column(meta: Any, name: str) -> str:
        return q(meta.get_field(name).column)

    def iso(expression: str) -> str:
        # As _iso: ISO 8601 in UTC with a Z, microseconds only when there are any.
        utc = f"({expression} AT TIME ZONE 'UTC')"
        return (
            f"CASE WHEN {expression} IS NULL THEN NULL ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
            f"|| CASE WHEN mod(CAST(date_part('microseconds', {expression}) AS bigint), 1000000) = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || 'Z' END"
        )

    u = "expired_article"
    slug = f"{u}.{column(article, 'slug')}"
    payload = (
        "jsonb_build_object('article', jsonb_build_object("
        f"'slug', {slug}, 'status', {u}.{column(article, 'status')}, "
        f"'url', %(event_url_prefix)s || {slug} || %(event_url_suffix)s, "
        f"'last_reviewed_at', {iso(f'{u}.' + column(article, 'last_reviewed_at'))}, "
        f"'review_due_at', {iso(f'{u}.' + column(article, 'review_due_at'))}), "
        f"'version', CASE WHEN v.{q(version.pk.column)} IS NULL THEN NULL ELSE jsonb_build_object("
        f"'number', v.{column(version, 'number')}, 'content_hash', v.{column(version, 'content_hash')}) END)"
    )
    targets = ", ".join(
        column(event, name) for name in ("webhook_id", "type", "occurred_at", "payload", "article", "version")
    )
    # Identifiers come from the models' metadata, quoted; every value is a query parameter.
    return (
        f"INSERT INTO {q(event.db_table)} ({targets}) "  # noqa: S608
        f"SELECT 'msg_' || replace(CAST(gen_random_uuid() AS text), '-', ''), %(event_type)s, "
        f"%(event_occurred_at)s, {payload}, {u}.{q(article.pk.column)}, v.{q(version.pk.column)} "
        f"FROM {updated} AS {u} LEFT JOIN {q(version.db_table)} AS v ON v.{q(version.pk.column)} = "
        f"COALESCE({u}.{column(article, 'published_version')}, {u}.{column(article, 'current_version')}) "
        f"ORDER BY {u}.{q(article.pk.column)} "
        f"RETURNING {q(event.pk.column)}, {column(event, 'article')}"
    )


_SLUG = "slug-placeholder"


def expiry_event_params(occurred_at: Any) -> dict[str, Any]:
    """The parameters of ``expiry_events_sql``."""
    prefix, suffix = public_url(_SLUG).split(_SLUG)
    return {
        "event_type": EventType.ARTICLE_EXPIRED.value,
        "event_occurred_at": connection.ops.adapt_datetimefield_value(occurred_at),
        "event_url_prefix": prefix,
        "event_url_suffix": suffix,
    }


def owe_deliveries(*, event_ids: Sequence[int], event_type: str, occurred_at: Any) -> None:
    """The deliveries and the outbox message of events written by ``expiry_events_sql``."""
    endpoints = _subscribed(event_type)
    if not endpoints or not event_ids:
        return
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event_id=pk, endpoint=endpoint, next_attempt_at=occurred_at)
        for pk in event_ids
        for endpoint in endpoints
    )
    enqueue(topic=publisher.DELIVER_WEBHOOKS, payload={"event_ids": sorted(event_ids)})
