"""``POST /api/v1/articles/bulk/``: the bulk import over HTTP.

The body is a JSON array of lines (``application/json``) or one line per row
(``application/x-ndjson``), at most ``API_BULK_IMPORT_MAX_LINES`` lines and
``API_BULK_IMPORT_MAX_BYTES`` bytes (413 beyond). Every line is first read against the schema
(``BulkLineSerializer``): a request with a line that breaks it is a 400 naming each such line, and
nothing is written. The lines are then imported by ``writer.import_articles`` in batches of
``BULK_IMPORT_BATCH_SIZE``, and the answer (200) says what became of each line.
"""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, JSONParser, get_encoding
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import json
from rest_framework.views import APIView

from articles.api.serializers import ReasonField, VersionWriteSerializer
from articles.imports.lines import Outcome
from articles.imports.writer import import_articles
from articles.models import RiskLevel
from config.api.errors import error_response, invalid
from config.api.fields import Slug
from config.api.parsers import NUL_MESSAGE, TooDeeplyNested, _nul_error, find_nul, nesting_depth

NDJSON = "application/x-ndjson"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def _read_limited(stream: Any) -> bytes:
    limit = settings.API_BULK_IMPORT_MAX_BYTES
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise TooLarge(f"The body is larger than {limit} bytes: send the lines in several requests.")
    return body


def _decoded(text: str, where: str) -> Any:
    limit = settings.API_MAX_JSON_DEPTH
    if nesting_depth(text) > limit:
        raise TooDeeplyNested(f"{where} is nested too deeply: at most {limit} levels of arrays and objects.")
    try:
        return json.loads(text, parse_constant=json.strict_constant)
    except ValueError as error:
        raise exceptions.ParseError(f"{where} is not JSON: {error}") from None


def _refuse_nul(lines: Any) -> None:
    """NUL anywhere is a 400 naming the line and its field (config.api.parsers says why)."""
    path = find_nul(lines)
    if path is None:
        return
    if len(path) < 2 or not isinstance(path[0], int):
        raise exceptions.ValidationError({"non_field_errors": [NUL_MESSAGE]})
    raise exceptions.ValidationError({"lines": {str(path[0] + 1): _nul_error(path[1:])}})


def _text(stream: Any, parser_context: Any) -> str:
    try:
        return codecs.decode(_read_limited(stream), get_encoding(parser_context or {}))
    except ValueError as error:
        raise exceptions.ParseError(f"The body cannot be decoded: {error}") from None


class BulkJSONParser(JSONParser):
    """A JSON array of lines, with the limits of ``LimitedJSONParser`` and its own size limit."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        lines = _decoded(_text(stream, parser_context), "The body")
        _refuse_nul(lines)
        return lines


class NDJSONParser(BaseParser):
    """One JSON object per line (blank lines are skipped), with the same limits."""

    media_type = NDJSON

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        text = _text(stream, parser_context)
        lines = [
            _decoded(row, f"Line {number}") for number, row in enumerate(text.splitlines(), 1) if row.strip()
        ]
        _refuse_nul(lines)
        return lines


class BulkLineSerializer(VersionWriteSerializer):
    """One article: created with its version 1 when the slug is new, else its next version. The
    version's fields, its provenance and the provenance rule in the schema are those of every
    version written through the API (``VersionWriteSerializer``)."""

    slug = Slug(max_length=200, help_text="The article: new, or existing with the same classification.")
    specialty = Slug(max_length=100, help_text="A specialty's slug.")
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, default=RiskLevel.STANDARD)
    reason = ReasonField(required=False, help_text="Kept in the audit trail; default “Bulk import”.")


class LineResultSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="1 for the first line of the body.")
    slug = serializers.CharField()
    result = serializers.ChoiceField(choices=[(outcome.value, outcome.value) for outcome in Outcome])
    version = serializers.IntegerField(
        required=False, help_text="The version written, or the current one (unchanged)."
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Why the line was refused, by field.",
    )
    detail = serializers.CharField(required=False, help_text="Why a line that was fine was not written.")


class BulkReportSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Lines by result.")
    lines = LineResultSerializer(many=True)


class BulkImportView(APIView):
    """Import articles in bulk: each line creates an article (version 1) or adds its next version,
    or is unchanged when the article's current version has the same content hash, so sending the
    same lines again writes nothing. Lines are written in batches, each whole or not at all: a
    batch with a refused line writes nothing, and its other lines are ``not_written``. An article
    in review or retired, or classified otherwise than the line says, is refused."""

    parser_classes = [BulkJSONParser, NDJSONParser]

    @extend_schema(
        tags=["articles"],
        operation_id="articles_bulk_import",
        request={
            "application/json": BulkLineSerializer(many=True),
            NDJSON: BulkLineSerializer,
        },
        responses={
            200: BulkReportSerializer,
            400: error_response("A line breaks the schema (named in fields.lines); nothing was written."),
            413: error_response("Too many lines or bytes in one request."),
        },
    )
    def post(self, request: Request) -> Response:
        lines = request.data
        if not isinstance(lines, list):
            raise exceptions.ValidationError({"non_field_errors": ["Send a JSON array of lines, or NDJSON."]})
        limit = settings.API_BULK_IMPORT_MAX_LINES
        if len(lines) > limit:
            raise TooLarge(
                f"{len(lines)} lines in one request; at most {limit}: send them in several requests.",
                code="too_many_lines",
            )
        gate = BulkLineSerializer(data=lines, many=True)
        if not gate.is_valid():
            errors = gate.errors
            by_index = errors.items() if isinstance(errors, dict) else enumerate(errors)
            broken = {str(index + 1): error for index, error in by_index if error}
            return Response(
                invalid(
                    {"lines": broken},
                    detail=f"{len(broken)} line(s) break the schema (see fields.lines, by line number); "
                    "nothing was written.",
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        results = [
            result
            for batch in import_articles(
                actor=request.user,
                lines=enumerate(lines, start=1),
                batch_size=settings.BULK_IMPORT_BATCH_SIZE,
            )
            for result in batch
        ]
        counts = {outcome.value: 0 for outcome in Outcome}
        for result in results:
            counts[result.outcome.value] += 1
        return Response({"counts": counts, "lines": [result.as_dict() for result in results]})
