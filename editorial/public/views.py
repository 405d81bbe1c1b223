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
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.conditional import not_modified
from editorial.public import selectors
from editorial.public.serializers import PublicArticleListSerializer, PublicArticleSerializer


def cached_response(request: Request, data: Any) -> Response:
    """A public response with an ETag and Cache-Control; 304 when the client's copy is current."""
    etag = '"' + hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"}
    return not_modified(request, etag, headers) or Response(data, headers=headers)


@extend_schema(tags=["public"], auth=[])
class PublicArticleListView(generics.ListAPIView):
    """The articles the site shows, with their badge and dates."""

    authentication_classes: list[Any] = []  # anonymous by design; no cookie, so caches can share it
    permission_classes = [AllowAny]
    serializer_class = PublicArticleListSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.public_articles()


@extend_schema(
    tags=["public"],
    auth=[],
    responses={200: PublicArticleSerializer, 304: OpenApiResponse(description="Not modified.")},
    parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
)
class PublicArticleDetailView(generics.GenericAPIView):
    """What the site shows for one article: the text, its badge, the review line ("Reviewed and
    approved on ..." or, for an approval that no longer stands, "Last reviewed on ...; review
    overdue"), the next review date, the reviewers with their credentials, the caution line while
    the content is not (or no longer) approved, the references and the content hash."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = PublicArticleSerializer

    def get(self, request: Request, slug: str) -> Response:
        page = selectors.public_page(slug)
        if page is None:
            raise Http404("No published article with this slug.")
        return cached_response(request, PublicArticleSerializer(page).data)
