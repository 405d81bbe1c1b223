"""Reads of the webhooks: deliveries for the dossier, an endpoint's log, what is failing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet

from editorial.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from articles.models import Article, ArticleVersion


def deliveries_for_article(
    article: Article, version: ArticleVersion | None = None
) -> QuerySet[WebhookDelivery]:
    """Every delivery of the article's events (of one version's, when ``version`` is given), in
    the order the events were recorded, then by endpoint; one query however many. Each row has
    ``event`` (``type``, ``webhook_id``, ``occurred_at``) and ``endpoint`` (``url``) loaded, and its
    own ``status``, ``attempts``, ``delivered_at``."""
    deliveries = WebhookDelivery.objects.filter(event__article=article)
    if version is not None:
        deliveries = deliveries.filter(event__version=version)
    return deliveries.select_related("event", "endpoint").order_by("event_id", "endpoint_id")


def endpoints() -> QuerySet[WebhookEndpoint]:
    """Every endpoint, with its count of failed deliveries (``failed_deliveries``)."""
    return WebhookEndpoint.objects.annotate(failed_deliveries=Count("deliveries", filter=_failed())).order_by(
        "pk"
    )


def endpoint_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, the newest event first, with their event and their attempts
    (``log``, the latest first): two queries a page."""
    return (
        endpoint.deliveries.select_related("event", "endpoint")
        .prefetch_related(Prefetch("log", queryset=WebhookAttempt.objects.order_by("-pk")))
        .order_by("-event_id", "-pk")
    )


def endpoint_log(endpoint: WebhookEndpoint) -> QuerySet[WebhookAttempt]:
    """The endpoint's attempts, the newest first, with their delivery's event."""
    return endpoint.log.select_related("delivery__event").order_by("-pk")


@dataclass(frozen=True)
class Failing:
    endpoints: int
    deliveries: int


def failing() -> Failing:
    """Deliveries given up on after a day of retries, and the endpoints they were for (one
    query), for the chiefs' desk."""
    counts = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).aggregate(
        deliveries=Count("pk"), endpoints=Count("endpoint", distinct=True)
    )
    return Failing(endpoints=counts["endpoints"], deliveries=counts["deliveries"])


def _failed() -> Q:
    return Q(deliveries__status=DeliveryStatus.FAILED)
