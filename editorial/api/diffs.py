"""What changed in a version, for the editors' tools: the rendered diff the review page shows
(``articles.diff``), against the base its review round recorded.

It lives with the workflow rather than with the articles because the default base is the
workflow's: the version the round's reviewers compared against, fixed when the round opened.
"""

from __future__ import annotations

import html
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from articles import selectors as article_selectors
from articles.api.views import MAX_VERSION_NUMBER, article_or_404
from articles.diff import VersionDiff, diff_versions, unified_diff
from articles.diff_references import FIELDS
from articles.models import Article, ArticleVersion
from config.api.errors import error_response
from config.api.query import query_integer, single_value
from editorial.models import ReviewRound, RoundOutcome

BASE_FROM = {
    "requested": "The version asked for with ?base= (or ?against=).",
    "round": "The base recorded when the version's latest review round opened.",
    "published": "The latest earlier version the board approved (the version has no review round).",
    "none": "Nothing to compare with: the version is shown as added throughout.",
}
FORMATS = ["json", "html"]


class DiffFragmentRenderer(BaseRenderer):
    """``?format=html``: the diff's HTML fragment alone, for a tool that embeds it."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, dict) and "html" in data:
            return data["html"].encode()
        return f"<p>{html.escape(str(data))}</p>".encode()  # never reached: errors are JSON


class ReferenceChangeSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["added", "removed", "changed", "unchanged"])
    position = serializers.IntegerField(
        allow_null=True, help_text="Its place in the version (null: removed)."
    )
    base_position = serializers.IntegerField(
        allow_null=True, help_text="Its place in the base (null: added)."
    )
    citation = serializers.CharField(source="reference.citation")
    source = serializers.CharField(source="reference.source")
    year = serializers.IntegerField(source="reference.year", allow_null=True)
    url = serializers.CharField(source="reference.url")
    doi = serializers.CharField(source="reference.doi")
    pmid = serializers.CharField(source="reference.pmid")
    fields = serializers.SerializerMethodField(
        method_name="changed_fields", help_text="For a changed entry, each field from what to what."
    )
    html = serializers.CharField(help_text="The entry as one line, what changed marked with <ins> and <del>.")

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(),
            help_text=f"Objects with 'field' (one of {', '.join(FIELDS)}), 'from' and 'to'.",
        )
    )
    def changed_fields(self, change: Any) -> list[dict[str, Any]]:
        return [{"field": f.field, "from": f.old, "to": f.new} for f in change.fields]


class VersionDiffSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="version.number")
    base = serializers.IntegerField(
        source="base.number", allow_null=True, help_text="The version compared with (null: nothing)."
    )
    base_from = serializers.SerializerMethodField(
        help_text="How the base was chosen: " + " ".join(f"{key}: {text}" for key, text in BASE_FROM.items())
    )
    against = serializers.IntegerField(
        source="base.number", allow_null=True, help_text="Deprecated: the same as base."
    )
    title_changed = serializers.BooleanField()
    text_changed = serializers.BooleanField()
    html = serializers.CharField(
        help_text="The title and text as readers see them (sanitised HTML), word by word: what was "
        "added in <ins>, what was removed in <del>; blocks carry the class diff-inserted, "
        "diff-deleted or diff-changed."
    )
    references = ReferenceChangeSerializer(many=True)
    diff = serializers.SerializerMethodField(
        help_text="The plain unified diff of title, text and references, as before the rendered diff."
    )

    @extend_schema_field(serializers.ChoiceField(choices=list(BASE_FROM)))
    def get_base_from(self, diff: VersionDiff) -> str:
        return self.context["base_from"]

    def get_diff(self, diff: VersionDiff) -> str:
        return unified_diff(diff.base, diff.version)


def _version_or_404(article: Article, number: int) -> ArticleVersion:
    try:
        return article_selectors.version_detail(article, number)
    except ArticleVersion.DoesNotExist:
        raise Http404(f"“{article.slug}” has no version {number}.") from None


def default_base(version: ArticleVersion) -> tuple[ArticleVersion | None, str]:
    """The base a version is compared with when none is asked for: the one recorded by its latest
    review round; without a round, the latest earlier version the board approved."""
    round = ReviewRound.objects.filter(version=version).select_related("base_version").first()
    if round is not None:
        return (round.base_version, "round") if round.base_version else (None, "none")
    approved = (
        ReviewRound.objects.filter(
            article_id=version.article_id,
            outcome=RoundOutcome.APPROVED,
            version__number__lt=version.number,
        )
        .select_related("version")
        .order_by("-version__number")
        .first()
    )
    return (approved.version, "published") if approved else (None, "none")


VERSION_NUMBER = {"type": "integer", "minimum": 1, "maximum": MAX_VERSION_NUMBER}


@extend_schema(
    tags=["versions"],
    parameters=[
        OpenApiParameter(
            "base",
            VERSION_NUMBER,
            required=False,
            description="The version to compare with. Default: the base recorded when this version's "
            "latest review round opened, or else the latest earlier version the board approved.",
        ),
        OpenApiParameter(
            "against", VERSION_NUMBER, required=False, deprecated=True, description="The same as base."
        ),
        OpenApiParameter(
            "format",
            {"type": "string", "enum": FORMATS},
            required=False,
            description="html: the diff's HTML fragment alone (text/html).",
        ),
    ],
    responses={
        (200, "application/json"): VersionDiffSerializer,
        (200, "text/html"): OpenApiResponse(
            {"type": "string"}, description="With ?format=html: the HTML fragment."
        ),
        # Errors are JSON whatever the format asked for (handle_exception).
        (400, "application/json"): error_response(
            "A parameter is malformed, or base and against are both given."
        ),
    },
)
class VersionDiffView(generics.GenericAPIView):
    """What changed in a version: the title and text rendered as readers see them, with what was
    added and removed marked word by word, and the references compared entry by entry."""

    serializer_class = VersionDiffSerializer
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, DiffFragmentRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Read strictly before content negotiation, which would take the last of two values.
        requested = single_value(request, "format")
        if requested is not None and requested not in FORMATS:
            raise ValidationError({"format": ["Give json or html."]})
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        # Errors keep the API's one JSON shape, whatever format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def get(self, request: Request, slug: str, number: int) -> Response:
        article = article_or_404(slug)
        version = _version_or_404(article, number)
        base_number = query_integer(request, "base", 1, MAX_VERSION_NUMBER)
        against = query_integer(request, "against", 1, MAX_VERSION_NUMBER)
        if base_number is not None and against is not None:
            raise ValidationError({"against": ["Give base or against (its old name), not both."]})
        requested = base_number if base_number is not None else against
        if requested is not None:
            base, base_from = _version_or_404(article, requested), "requested"
        else:
            base, base_from = default_base(version)
        diff = diff_versions(base, version)
        return Response(VersionDiffSerializer(diff, context={"base_from": base_from}).data)
