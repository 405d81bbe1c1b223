"""The webhooks' API bodies: strict input (unknown fields, wrong types and bad addresses are a 400
naming the field) and what the endpoints answer. The secret is in an answer twice only: when the
endpoint is created and when it is rotated."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import Text
from config.api.serializers import StrictSerializer
from editorial.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,29}[a-zA-Z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# A URI's characters (RFC 3986: unreserved, reserved, percent-escapes), so that what is stored is
# a URI as the schema's answers say; an address with other characters is sent percent-encoded.
_URI_CHARACTER = r"(?:[A-Za-z0-9._~:/?@!$&'()*+,;=-]|%[0-9A-Fa-f]{2})"
# http(s), a host name (or an IPv4 address, where WEBHOOK_ALLOW_PRIVATE_ADDRESSES lets a private
# one through), an optional port from 1 to 65535, then a path and query (no fragment).
WEBHOOK_URL = (
    rf"^https?://(?:(?:{_LABEL}\.){{1,7}}[a-zA-Z]{{2,24}}|[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}})"
    rf"(?::{_PORT})?(?:[/?]{_URI_CHARACTER}*)?$"
)
URL_HELP = (
    "Where the events are POSTed: http:// or https:// (https in production), no user name or "
    "password, not a private, loopback or link-local address."
)


class StrictBoolean(serializers.BooleanField):
    """true or false, as JSON has them: not "yes", not 1."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _event_types(required: bool) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        min_length=1,
        max_length=len(EventType.values),
        required=required,
        help_text="The event types to receive (at least one).",
    )


class EndpointCreateSerializer(StrictSerializer):
    url = Text(max_length=2000, pattern=WEBHOOK_URL, message=URL_HELP, help_text=URL_HELP)
    event_types = _event_types(required=True)
    description = Text(max_length=200, required=False, default="", allow_blank=True)
    is_active = StrictBoolean(required=False, default=True)


class EndpointUpdateSerializer(StrictSerializer):
    """At least one field to change."""

    schema_keywords = {
        "anyOf": [{"required": [name]} for name in ("url", "event_types", "description", "is_active")]
    }

    url = Text(max_length=2000, pattern=WEBHOOK_URL, message=URL_HELP, help_text=URL_HELP, required=False)
    event_types = _event_types(required=False)
    description = Text(max_length=200, required=False, allow_blank=True)
    is_active = StrictBoolean(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.", code="nothing_to_change")
        return attrs


class EndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    secret_hint = serializers.CharField(
        source="masked_secret", help_text="The secret's last characters; the full secret is shown once."
    )
    failed_deliveries = serializers.IntegerField(help_text="Deliveries given up on after a day of retries.")

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "secret_hint",
            "previous_secret_expires_at",
            "failed_deliveries",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_...). Shown now and never again: store it in the receiver."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "attempted_at",
            "status_code",
            "latency_ms",
            "response_excerpt",
            "error",
            "succeeded",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    webhook_id = serializers.CharField(source="event.webhook_id", help_text="The webhook-id header.")
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    endpoint_url = serializers.CharField(source="endpoint.url")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    next_attempt_at = serializers.SerializerMethodField(help_text="null unless pending.")
    log = AttemptSerializer(many=True, help_text="Every attempt, the latest first.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "webhook_id",
            "occurred_at",
            "endpoint_url",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "failed_at",
            "log",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery: WebhookDelivery) -> str | None:
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)
