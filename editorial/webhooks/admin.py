"""The webhooks in the admin, for editors-in-chief only (every other role is refused every page):
endpoints with their event filters (the secret shown in full once, when created or rotated),
rotating secrets, the deliveries with their log, and redelivering."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from config.errors import ApplicationError
from config.object_pages import MalformedFiltersRefused, NotFoundUnlessVisible
from editorial.webhooks import selectors
from editorial.webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from editorial.webhooks.services import endpoints as services
from reviewers.roles import is_editor_in_chief


def _is_chief(request: HttpRequest) -> bool:
    return is_editor_in_chief(request.user) or request.user.is_superuser


class ChiefsOnly(NotFoundUnlessVisible, MalformedFiltersRefused, admin.ModelAdmin):
    """Every page and action to editors-in-chief (and superusers), none to anyone else."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_chief(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_chief(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_chief(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_chief(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_chief(request)


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", help_text="Where the events are POSTed.")
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "is_active"]

    def clean_url(self) -> str:
        try:
            return services.clean_url(self.cleaned_data["url"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from None


def _show_secret(request: HttpRequest, endpoint: WebhookEndpoint, what: str) -> None:
    messages.warning(
        request,
        f"{what} {endpoint.url}: {endpoint.secret} — copy it into the receiver now; it is not shown again.",
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ChiefsOnly):
    form = EndpointForm
    list_display = ["url", "description", "events", "is_active", "secret_hint", "failed_deliveries"]
    list_filter = ["is_active"]
    readonly_fields = ["secret_hint", "previous_secret_expires_at", "created_by", "created_at"]
    actions = ["rotate_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        return selectors.endpoints().select_related("created_by")

    @admin.display(description="Events")
    def events(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.event_types)

    @admin.display(description="Secret")
    def secret_hint(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.masked_secret if endpoint.pk else "Made when saved, and shown once."

    @admin.display(description="Failed deliveries")
    def failed_deliveries(self, endpoint: WebhookEndpoint) -> int:
        return endpoint.failed_deliveries

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        fields = {
            "url": data["url"],
            "event_types": data["event_types"],
            "description": data.get("description", ""),
            "is_active": data.get("is_active", False),
        }
        if change:
            saved = services.endpoint_update(actor=request.user, endpoint=obj, **fields)
        else:
            saved = services.endpoint_create(actor=request.user, **fields)
            _show_secret(request, saved, "The signing secret of")
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        services.endpoint_delete(actor=request.user, endpoint=obj)

    @admin.action(description="Rotate the signing secret (the old one keeps signing for the overlap)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset.order_by("pk"):
            _show_secret(
                request, services.secret_rotate(actor=request.user, endpoint=endpoint), "The new secret of"
            )


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "attempted_at", "status_code", "latency_ms", "response_excerpt", "error", "succeeded"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-pk"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_chief(request)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ChiefsOnly):
    """The deliveries, read-only, with their log; failed ones can be redelivered."""

    list_display = [
        "webhook_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event__type", "endpoint"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["event__webhook_id", "event__article__slug"]
    fields = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "delivered_at",
        "failed_at",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="webhook-id", ordering="event__webhook_id")
    def webhook_id(self, delivery: WebhookDelivery) -> str:
        return delivery.event.webhook_id

    @admin.display(description="Event", ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    @admin.action(description="Redeliver now (same webhook-id)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = 0
        for delivery in queryset.order_by("pk"):
            try:
                services.delivery_redeliver(actor=request.user, delivery=delivery)
            except ApplicationError as refusal:
                messages.error(request, f"{delivery.event.webhook_id}: {refusal}")
                continue
            sent += 1
        if sent:
            messages.success(request, f"{sent} deliveries queued to be sent again now.")
