"""Endpoints: creating and changing them, rotating their secret, redelivering an event."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError, ErrorKind
from editorial.outbox import publisher
from editorial.outbox.services import enqueue
from editorial.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    new_secret,
)
from editorial.webhooks.services.transport import AddressRefused, check_url
from reviewers.roles import is_editor_in_chief

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class WebhooksNotPermitted(ApplicationError):
    code = "permission_denied"
    kind = ErrorKind.FORBIDDEN


class DeliveryInProgress(ApplicationError):
    code = "delivery_pending"
    kind = ErrorKind.CONFLICT


def require_chief(actor: AbstractBaseUser) -> None:
    if not (is_editor_in_chief(actor) or getattr(actor, "is_superuser", False)):
        raise WebhooksNotPermitted("Only editors-in-chief manage webhooks.")


def clean_url(url: str) -> str:
    try:
        check_url(url)
    except AddressRefused as refusal:
        raise ValidationError({"url": str(refusal)}, code="url_refused") from None
    return url


def clean_event_types(event_types: Sequence[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EventType.values))
    if unknown:
        raise ValidationError(
            {
                "event_types": f"Unknown event types: {', '.join(unknown)}. "
                f"Choose from {', '.join(EventType.values)}."
            },
            code="invalid_choice",
        )
    if not event_types:
        raise ValidationError({"event_types": "Subscribe to at least one event type."}, code="required")
    # The order of EventType, each once.
    return [value for value in EventType.values if value in set(event_types)]


@transaction.atomic
def endpoint_create(
    *,
    actor: AbstractBaseUser,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a new secret (the caller shows it once, now). It receives the events
    recorded from now on."""
    require_chief(actor)
    return WebhookEndpoint.objects.create(
        url=clean_url(url),
        event_types=clean_event_types(event_types),
        description=description,
        is_active=is_active,
        created_by=actor,
    )


@transaction.atomic
def endpoint_update(
    *,
    actor: AbstractBaseUser,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what was given. Deliveries already owed keep going to the endpoint's URL as it is
    when they are attempted."""
    require_chief(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        endpoint.url = clean_url(url)
    if event_types is not None:
        endpoint.event_types = clean_event_types(event_types)
    if description is not None:
        endpoint.description = description
    if is_active is not None:
        endpoint.is_active = is_active
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: AbstractBaseUser, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint, its deliveries and their log (the events stay)."""
    require_chief(actor)
    endpoint.delete()


@transaction.atomic
def secret_rotate(
    *, actor: AbstractBaseUser, endpoint: WebhookEndpoint, now: datetime.datetime | None = None
) -> WebhookEndpoint:
    """Give the endpoint a new secret (returned once, in full, for the caller to show). The old one
    keeps signing too for WEBHOOK_SECRET_OVERLAP_HOURS, so that the receiver can switch without a
    delivery failing verification: during the overlap each request carries both signatures."""
    require_chief(actor)
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + datetime.timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint


@transaction.atomic
def delivery_redeliver(*, actor: AbstractBaseUser, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or failed event to its endpoint again, now, with the same ``webhook-id``
    (a receiver that already has it drops it), and a full retry schedule if it fails. A delivery
    still pending is refused: it is already on its way."""
    require_chief(actor)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.PENDING:
        raise DeliveryInProgress(
            "This delivery is still pending (it is retried on its schedule); redeliver it once it "
            "has been delivered or has failed."
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.failures = 0
    delivery.failed_at = None
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "failures", "failed_at", "next_attempt_at"])
    enqueue(topic=publisher.DELIVER_WEBHOOKS, payload={"event_ids": [delivery.event_id]})
    return delivery
