"""The editors-in-chief's email about an endpoint whose deliveries failed: once per endpoint per
day, whatever the number of failures (queued through the outbox when a delivery fails)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from editorial.webhooks.models import DeliveryStatus, WebhookEndpoint, WebhookFailureAlert
from reviewers.roles import Role

logger = logging.getLogger(__name__)


def _chief_addresses() -> list[str]:
    chiefs = (
        get_user_model().objects.filter(groups__name=Role.EDITOR_IN_CHIEF, is_active=True).exclude(email="")
    )
    return sorted(set(chiefs.values_list("email", flat=True)))


def send_failure_alerts(*, endpoint_ids: Sequence[int]) -> int:
    """Email the chiefs about each of these endpoints not yet reported today; returns how many
    emails were sent. The day's row is claimed by insert and committed with the send, so a
    second run (or worker) does not send it again."""
    addresses = _chief_addresses()
    if not addresses:
        return 0
    sent = 0
    today = timezone.localdate()
    for endpoint in WebhookEndpoint.objects.filter(pk__in=list(endpoint_ids)).order_by("pk"):
        failed = endpoint.deliveries.filter(status=DeliveryStatus.FAILED).count()
        if not failed:
            continue
        try:
            with transaction.atomic():
                WebhookFailureAlert.objects.create(endpoint=endpoint, day=today)
                link = settings.SITE_URL + reverse("admin:editorial_webhooks_webhookdelivery_changelist")
                EmailMessage(
                    subject=f"Webhooks failing: {endpoint.url}",
                    body=(
                        f"{failed} webhook deliveries to {endpoint.url} failed after a day of retries, "
                        "so the site may not show the latest reviews.\n\n"
                        "Check that the receiver is up and verifies our signatures, then redeliver the "
                        f"failed deliveries:\n{link}?status__exact=failed&endpoint__id__exact={endpoint.pk}\n"
                    ),
                    to=addresses,
                ).send()
        except IntegrityError:
            continue  # already reported today
        sent += 1
        logger.warning("event=webhook_endpoint_failing endpoint=%s failed=%d", endpoint.pk, failed)
    return sent
