"""GET /api/v1/articles/{slug}/dossier/: the review dossier for editors and editors-in-chief, as
JSON pages (cursor-paginated) or as one CSV file."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from articles.models import Article, ArticleVersion
from config.api.fields import ANY_TEXT
from config.api.formats import StrictFormatMixin
from config.api.query import query_integer, single_value
from editorial.dossier import selectors
from editorial.dossier.serializers import (
    CSV_COLUMNS,
    DossierPageSerializer,
    article_data,
    csv_row,
    entry_data,
)
from reviewers.permissions import IsEditor

MAX_VERSION = 2**31 - 1


class CSVRenderer(BaseRenderer):
    """The dossier's entries as CSV, one row per entry (``CSV_COLUMNS``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(data)
        return out.getvalue().encode()


class DossierPagination(CursorPagination):
    """DRF's cursor pagination over the dossier's time-ordered entries: a cursor carries the
    position (time, kind, id) of the entry a page starts after, or ends before, and each page is
    read by keyset from every source (``selectors.dossier_page``). A cursor that is not one is a
    404, as DRF has it."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("at", "kind", "id")  # for DRF's own checks; the order is the selectors'

    def get_page_size(self, request: Request) -> int:
        size = query_integer(request, self.page_size_query_param, 1, self.max_page_size)
        return self.page_size if size is None else size

    def _position(self, cursor: Cursor) -> selectors.Position:
        try:
            at, rank, id_ = cursor.position.split("|")
            position = selectors.Position(datetime.datetime.fromisoformat(at), int(rank), int(id_))
        except (AttributeError, ValueError):
            raise NotFound(self.invalid_cursor_message) from None
        out_of_range = not 0 <= position.rank < len(selectors.RANKS) or not 0 <= position.id < 2**63
        if position.at.tzinfo is None or out_of_range:
            raise NotFound(self.invalid_cursor_message)
        return position

    def _cursor(self, position: selectors.Position, *, reverse: bool) -> str:
        return self.encode_cursor(
            Cursor(
                offset=0, reverse=reverse, position=f"{position.at.isoformat()}|{position.rank}|{position.id}"
            )
        )

    def paginate_entries(
        self, request: Request, article: Article, version: ArticleVersion | None
    ) -> list[selectors.Entry]:
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        raw = single_value(request, self.cursor_query_param)
        cursor = self.decode_cursor(request) if raw is not None else None
        position = self._position(cursor) if cursor is not None else None
        backwards = cursor is not None and cursor.reverse
        entries, more = selectors.dossier_page(
            article,
            version,
            size=self.page_size,
            after=None if backwards else position,
            before=position if backwards else None,
        )
        has_later = more if not backwards else True
        has_earlier = more if backwards else position is not None
        self.next_url = self._cursor(entries[-1].position, reverse=False) if entries and has_later else None
        self.previous_url = (
            self._cursor(entries[0].position, reverse=True) if entries and has_earlier else None
        )
        return entries

    def get_next_link(self) -> str | None:
        return self.next_url

    def get_previous_link(self) -> str | None:
        return self.previous_url


@extend_schema(
    tags=["workflow"],
    responses={
        (200, "application/json"): DossierPageSerializer,
        (200, CSVRenderer.media_type): OpenApiResponse(
            response={"type": "string"},
            description="With ?format=csv: every entry (of the version asked for, or all), one row each "
            "in time order, with the columns " + ", ".join(CSV_COLUMNS) + " (docs/workflow.md).",
        ),
    },
    parameters=[
        OpenApiParameter(
            "version",
            {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
            OpenApiParameter.QUERY,
            required=False,
            description="One version's dossier: its creation, its rounds, reviews and decisions, the "
            "transitions while it was the current or the published version, its webhooks. 404 when the "
            "article has no such version.",
        ),
        OpenApiParameter(
            "cursor",
            {"type": "string", "pattern": ANY_TEXT},
            OpenApiParameter.QUERY,
            required=False,
            description="The page after (or before) another: take it from a page's next or previous "
            "link. One that is not such a link's is a 404.",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": DossierPagination.max_page_size},
            OpenApiParameter.QUERY,
            required=False,
            description=f"Entries per page (default {DossierPagination.page_size}).",
        ),
        OpenApiParameter(
            "format",
            str,
            OpenApiParameter.QUERY,
            required=False,
            enum=["json", "csv"],
            description="csv: the whole dossier (or version) in one file, cursor and page_size aside; "
            "json (the default): a page of entries.",
        ),
    ],
)
class ArticleDossierView(StrictFormatMixin, generics.GenericAPIView):
    """The review dossier: every version with its hash, every round with its base, every review
    assigned, every decision with what it was made under (the reviewer's credentials, specialties
    and declared conflicts of interest, the article's classification, the quorum rule) and its
    comment and cited review comments, every status transition with its actor and reason, and every
    webhook delivery, in time order. For editors and editors-in-chief."""

    permission_classes = [IsEditor]
    pagination_class = DossierPagination
    # No browsable API: its page needs a queryset and page numbers the dossier's entries are not.
    renderer_classes = [JSONRenderer, CSVRenderer]
    filter_backends: list[Any] = []

    def get(self, request: Request, slug: str) -> Response:
        article = get_object_or_404(
            Article.objects.select_related("specialty", "current_version", "published_version"), slug=slug
        )
        number = query_integer(request, "version", 1, MAX_VERSION)
        version = None
        if number is not None:
            version = ArticleVersion.objects.filter(article=article, number=number).first()
            if version is None:
                raise NotFound(f"The article has no version {number}.")
        if request.accepted_renderer.format == CSVRenderer.format:
            rows = [csv_row(entry_data(entry)) for entry in selectors.dossier_entries(article, version)]
            name = f"dossier-{article.slug}" + (f"-v{number}" if number else "") + ".csv"
            return Response(rows, headers={"Content-Disposition": f'attachment; filename="{name}"'})
        paginator = self.paginator
        entries = paginator.paginate_entries(request, article, version)
        return Response(
            {
                "article": article_data(article),
                "version": number,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": [entry_data(entry) for entry in entries],
            }
        )
