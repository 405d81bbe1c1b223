"""The public site's read-only endpoints: anonymous, cacheable, with ETags."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.api.conditional import not_modified
from config.api.formats import StrictFormatMixin
from config.api.pagination import CursorPagination
from editorial.public import selectors
from editorial.public.jsonld import medical_web_page
from editorial.public.serializers import (
    MEDICAL_WEB_PAGE_SCHEMA,
    PublicArticleListSerializer,
    PublicArticleSerializer,
)


class JSONLDRenderer(JSONRenderer):
    """JSON-LD (``application/ld+json``), chosen with ``?format=jsonld`` or by the Accept header."""

    media_type = "application/ld+json"
    format = "jsonld"


def cached_response(request: Request, data: Any, *, vary: str | None = None) -> Response:
    """A public response with an ETag and Cache-Control; 304 when the client's copy is current.
    ``vary`` names the request headers the representation depends on, for shared caches."""
    etag = '"' + hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"}
    if vary:
        headers["Vary"] = vary
    return not_modified(request, etag, headers) or Response(data, headers=headers)


@extend_schema(tags=["public"], auth=[])
class PublicArticleListView(generics.ListAPIView):
    """The articles the site shows, with their badge and dates, by slug (paged by cursor)."""

    authentication_classes: list[Any] = []  # anonymous by design; no cookie, so caches can share it
    permission_classes = [AllowAny]
    serializer_class = PublicArticleListSerializer
    filter_backends: list[Any] = []
    pagination_class = CursorPagination
    cursor_unique_field = "slug"

    def get_queryset(self) -> Any:
        return selectors.public_articles()


@extend_schema(
    tags=["public"],
    auth=[],
    responses={
        (200, "application/json"): PublicArticleSerializer,
        (200, JSONLDRenderer.media_type): OpenApiResponse(
            response=MEDICAL_WEB_PAGE_SCHEMA, description="With ?format=jsonld: the JSON-LD alone."
        ),
        304: OpenApiResponse(description="Not modified."),
    },
    parameters=[
        OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False),
        OpenApiParameter(
            "format",
            str,
            OpenApiParameter.QUERY,
            required=False,
            enum=["json", "jsonld"],
            description="jsonld: the page's schema.org MedicalWebPage alone, as application/ld+json "
            "(also chosen by Accept: application/ld+json); json (the default): the page.",
        ),
    ],
)
class PublicArticleDetailView(StrictFormatMixin, generics.GenericAPIView):
    """What the site shows for one article: the text, its badge, the review line ("Reviewed and
    approved on ..." or, for an approval that no longer stands, "Last reviewed on ...; review
    overdue"), the next review date, the reviewers with their credentials, the caution line while
    the content is not (or no longer) approved, the references and the content hash, and all of it
    as schema.org markup (``jsonld``; alone with ``?format=jsonld``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = PublicArticleSerializer
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, JSONLDRenderer]

    def get(self, request: Request, slug: str) -> Response:
        page = selectors.public_page(slug)
        if page is None:
            raise Http404("No published article with this slug.")
        if request.accepted_renderer.format == JSONLDRenderer.format:
            return cached_response(request, medical_web_page(page), vary="Accept")
        return cached_response(request, PublicArticleSerializer(page).data, vary="Accept")
