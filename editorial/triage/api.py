"""The triage API: page views from the site's analytics, and the ranked queue for the
editors-in-chief with the board's capacity and the forecast. Thin views: validate, call one service
or selector, render."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.errors import FORBIDDEN, error_response
from config.api.query import query_integer
from config.idempotency.decorators import idempotent
from editorial.triage import selectors, services
from editorial.triage.permissions import IsEditorInChief, MayFeedPageViews
from editorial.triage.serializers import (
    CapacitySerializer,
    PageViewsReportSerializer,
    PageViewsSerializer,
    QueueSerializer,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@extend_schema(
    tags=["triage"],
    request=PageViewsSerializer,
    responses={
        200: PageViewsReportSerializer,
        400: error_response(
            "Invalid input (see fields): a malformed slug, date or count, or too many items."
        ),
        **FORBIDDEN,
    },
)
class PageViewsView(generics.GenericAPIView):
    """Page views from the site's analytics: each item is one page's total views on one day,
    stored as that article's count for that day (sent again, it replaces the earlier count, so a
    batch can be resent safely). Items whose slug names no article are listed in ``unknown`` and
    left out; the others are stored. For the ``site_analytics`` role and editors-in-chief."""

    serializer_class = PageViewsSerializer
    permission_classes = [MayFeedPageViews]

    @idempotent
    def post(self, request: Request) -> Response:
        serializer = PageViewsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.page_views_record(
            actor=request.user,
            items=[services.PageViewItem(**item) for item in serializer.validated_data["items"]],
        )
        return Response(PageViewsReportSerializer(report).data)


@extend_schema(
    tags=["triage"],
    parameters=[
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            description=f"How many of the top of the queue to list ({DEFAULT_LIMIT} by default).",
        )
    ],
    responses={200: QueueSerializer, 400: error_response("A limit out of range."), **FORBIDDEN},
)
class QueueView(generics.GenericAPIView):
    """The triage queue: the articles waiting to be submitted to the board, best first, each with
    its score and the points it is made of (risk, provenance, days waiting, recent page views), and
    the board's free capacity, its throughput and when the backlog clears at that rate. The order
    moves as articles wait, so the queue is read from the top (``limit``), not in pages."""

    serializer_class = QueueSerializer
    permission_classes = [IsEditorInChief]
    filter_backends: list[Any] = []

    def get(self, request: Request) -> Response:
        limit = query_integer(request, "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT
        now = timezone.now()
        summary = selectors.summary(now=now)
        return Response(
            QueueSerializer(
                {
                    **QueueSerializer.settings_part(),
                    "capacity": CapacitySerializer(summary.capacity).data,
                    "throughput": summary.throughput,
                    "forecast": summary.forecast,
                    "results": selectors.queue(now=now, limit=limit),
                }
            ).data
        )
