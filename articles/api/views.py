"""The editors' API for articles and their versions: thin views over the articles services and
selectors. Workflow steps are added by editorial.api."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from articles import selectors, services
from articles.api.filters import ArticleFilter
from articles.api.serializers import (
    ArticleCreateSerializer,
    ArticleDetailSerializer,
    ArticleSerializer,
    ArticleUpdateSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)
from articles.models import Article, ArticleVersion
from config.api.conditional import IF_MATCH_REQUIRED, if_match, not_modified, required_if_match
from config.api.errors import PRECONDITION_FAILED, PRECONDITION_REQUIRED, error_response
from config.api.pagination import CursorPagination
from config.idempotency.decorators import idempotent

# The largest version number the URL converter matches (nine digits).
MAX_VERSION_NUMBER = 999_999_999


def article_or_404(slug: str) -> Article:
    return get_object_or_404(Article, slug=slug)


def article_response(
    request: Request, article: Article, *, status_code: int = status.HTTP_200_OK
) -> Response:
    """The article as editors see it after a change, read again with all the detail shows."""
    return detail_response(request, selectors.article_list().get(pk=article.pk), status_code=status_code)


def detail_response(request: Request, article: Article, *, status_code: int = status.HTTP_200_OK) -> Response:
    """An article from ``selectors.article_list()``, with its ETag."""
    response = Response(
        ArticleDetailSerializer(article, context={"request": request}).data, status=status_code
    )
    response["ETag"] = article.etag()
    return response


def unless_changed(request: Request, article: Article) -> AbstractContextManager[object]:
    """For a workflow step on ``article``: when the request sent ``If-Match``, run the step under
    the article's lock and only if the article still has that ETag (else 412, nothing changed);
    without the header, no condition."""
    etags = if_match(request)
    return nullcontext() if etags is None else services.expect_unchanged(article, etags)


@extend_schema(tags=["articles"])
class ArticleListCreateView(generics.ListCreateAPIView):
    """Articles: list (filter, search, order; paged by cursor) and create with the first version."""

    pagination_class = CursorPagination
    cursor_unique_field = "slug"
    filterset_class = ArticleFilter
    search_fields = ["title", "slug"]
    ordering_fields = [
        "slug",
        "title",
        "status",
        "created_at",
        "updated_at",
        "last_reviewed_at",
        "review_due_at",
    ]
    ordering = ["slug"]

    def get_queryset(self) -> Any:
        return selectors.article_list()

    def get_serializer_class(self) -> Any:
        return ArticleCreateSerializer if self.request.method == "POST" else ArticleSerializer

    @extend_schema(
        request=ArticleCreateSerializer,
        responses={
            201: ArticleDetailSerializer,
            409: error_response("The slug is taken by another article."),
        },
    )
    @idempotent
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ArticleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.create_article(actor=request.user, **serializer.validated_data)
        return article_response(request, article, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["articles"])
class ArticleDetailView(generics.GenericAPIView):
    """One article. PATCH changes metadata only, and must send the ETag you read as ``If-Match``."""

    http_method_names = ["get", "patch", "head", "options"]
    serializer_class = ArticleDetailSerializer

    @extend_schema(
        responses={200: ArticleDetailSerializer, 304: OpenApiResponse(description="Not modified.")},
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
    )
    def get(self, request: Request, slug: str) -> Response:
        article = get_object_or_404(selectors.article_list(), slug=slug)
        return not_modified(request, article.etag()) or detail_response(request, article)

    @extend_schema(
        request=ArticleUpdateSerializer,
        responses={
            200: ArticleDetailSerializer,
            409: error_response("The specialty or risk level cannot change while a version is in review."),
            **PRECONDITION_FAILED,
            **PRECONDITION_REQUIRED,
        },
        parameters=[IF_MATCH_REQUIRED],
    )
    def patch(self, request: Request, slug: str) -> Response:
        article = article_or_404(slug)
        expected_etags = required_if_match(request)
        serializer = ArticleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.update_article(
            actor=request.user,
            article=article,
            expected_etags=expected_etags,
            **serializer.validated_data,
        )
        return article_response(request, article)


@extend_schema(tags=["versions"])
class VersionListView(generics.ListAPIView):
    """An article's versions, newest first."""

    serializer_class = VersionSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.version_list(article_or_404(self.kwargs["slug"]))


@extend_schema(tags=["versions"])
class VersionDetailView(generics.GenericAPIView):
    """One version with its text, references and content hash."""

    serializer_class = VersionDetailSerializer

    def get(self, request: Request, slug: str, number: int) -> Response:
        version = _version_or_404(article_or_404(slug), number)
        return Response(VersionDetailSerializer(version).data)


def _version_or_404(article: Article, number: int) -> ArticleVersion:
    try:
        return selectors.version_detail(article, number)
    except ArticleVersion.DoesNotExist:
        raise Http404(f"“{article.slug}” has no version {number}.") from None
