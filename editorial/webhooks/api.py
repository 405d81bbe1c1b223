"""The webhooks' API, for editors-in-chief only: endpoints (list, create, read, change, delete),
rotating an endpoint's secret, an endpoint's deliveries with their log, redelivering one. Thin
views: validate, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.errors import FORBIDDEN, error_response
from config.idempotency.decorators import idempotent
from editorial.webhooks import selectors
from editorial.webhooks.models import WebhookDelivery, WebhookEndpoint
from editorial.webhooks.serializers import (
    DeliverySerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
    EndpointWithSecretSerializer,
)
from editorial.webhooks.services import endpoints as services
from reviewers.roles import is_editor_in_chief

NOT_FOUND = {404: error_response("No such endpoint or delivery.")}
INVALID = {400: error_response("Invalid input (see fields): an unknown event type, a URL refused.")}


class IsEditorInChief(BasePermission):
    message = "Only editors-in-chief manage webhooks."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_editor_in_chief(request.user)


def _endpoint_or_404(pk: int) -> WebhookEndpoint:
    return get_object_or_404(selectors.endpoints(), pk=pk)


def _render(endpoint: WebhookEndpoint, serializer: type = EndpointSerializer) -> dict[str, Any]:
    return serializer(_endpoint_or_404(endpoint.pk)).data


@extend_schema(tags=["webhooks"])
class EndpointListView(generics.ListAPIView):
    """The site's webhook endpoints, each with the event types it receives and its count of
    failed deliveries. POST: a new endpoint; the answer holds its signing secret, shown once."""

    serializer_class = EndpointSerializer
    permission_classes = [IsEditorInChief]
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.endpoints()

    @extend_schema(
        request=EndpointCreateSerializer,
        responses={201: EndpointWithSecretSerializer, **INVALID, **FORBIDDEN},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = EndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(actor=request.user, **serializer.validated_data)
        return Response(_render(endpoint, EndpointWithSecretSerializer), status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class EndpointDetailView(generics.GenericAPIView):
    """One endpoint. PATCH changes what is sent (at least one field); DELETE removes it with its
    deliveries and their log."""

    serializer_class = EndpointSerializer
    permission_classes = [IsEditorInChief]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(responses={200: EndpointSerializer, **FORBIDDEN, **NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        return Response(EndpointSerializer(_endpoint_or_404(pk)).data)

    @extend_schema(
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, **INVALID, **FORBIDDEN, **NOT_FOUND},
    )
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint_or_404(pk)
        serializer = EndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.endpoint_update(actor=request.user, endpoint=endpoint, **serializer.validated_data)
        return Response(_render(endpoint))

    @extend_schema(responses={204: None, **FORBIDDEN, **NOT_FOUND})
    def delete(self, request: Request, pk: int) -> Response:
        services.endpoint_delete(actor=request.user, endpoint=_endpoint_or_404(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["webhooks"], request=None, responses={200: EndpointWithSecretSerializer, **FORBIDDEN, **NOT_FOUND}
)
class EndpointRotateSecretView(generics.GenericAPIView):
    """A new signing secret, in the answer and never again. The old one signs too (both
    signatures sent) for WEBHOOK_SECRET_OVERLAP_HOURS (24 by default), until
    ``previous_secret_expires_at``: switch the receiver to the new one within that time."""

    serializer_class = EndpointWithSecretSerializer
    permission_classes = [IsEditorInChief]

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        endpoint = services.secret_rotate(actor=request.user, endpoint=_endpoint_or_404(pk))
        return Response(_render(endpoint, EndpointWithSecretSerializer))


@extend_schema(tags=["webhooks"], responses={200: DeliverySerializer(many=True), **FORBIDDEN, **NOT_FOUND})
class EndpointDeliveryListView(generics.ListAPIView):
    """The endpoint's deliveries, the latest event first, each with its log: every attempt's
    status code, latency, the first 500 characters of the answer, and the error."""

    serializer_class = DeliverySerializer
    permission_classes = [IsEditorInChief]
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.endpoint_deliveries(_endpoint_or_404(self.kwargs["pk"]))


@extend_schema(
    tags=["webhooks"],
    request=None,
    responses={
        200: DeliverySerializer,
        **FORBIDDEN,
        **NOT_FOUND,
        409: error_response("The delivery is still pending: it is on its way, on its retry schedule."),
    },
)
class DeliveryRedeliverView(generics.GenericAPIView):
    """Send a delivered or failed event to its endpoint again, now, with the same webhook-id."""

    serializer_class = DeliverySerializer
    permission_classes = [IsEditorInChief]

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        services.delivery_redeliver(actor=request.user, delivery=delivery)
        refreshed = selectors.endpoint_deliveries(delivery.endpoint).get(pk=pk)
        return Response(DeliverySerializer(refreshed).data)
