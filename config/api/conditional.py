"""HTTP conditional requests (RFC 9110, section 13) for the API's views.

Editors change an article on the strength of the copy they read: they send its ``ETag`` back as
``If-Match``, and a change made on a stale copy is refused with 412 (``articles.exceptions.
StaleArticle``, raised under the article's row lock by ``articles.services.expect_unchanged``).
PATCH must send ``If-Match`` (428 without it, unless ``settings.API_REQUIRE_IF_MATCH`` is off);
the workflow POSTs may. Parsing is here; the comparison is the service's.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response


class PreconditionRequired(APIException):
    """428: the request changes an article but does not say which copy it was based on."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        "This request must say which copy of the article it changes: GET the article and send its "
        "ETag header back as If-Match (or If-Match: * to overwrite whatever is there)."
    )


IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "The ETag of the article as you read it (GET it first), or `*` for any. Without it: 428; "
        "when the article has changed since: 412 with its current `etag`."
    ),
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "The ETag of the article as you read it: when sent and the article has changed since, the "
        "step is refused with 412 (and its current `etag`) and nothing changes."
    ),
)


def not_modified(request: Request, etag: str, headers: dict[str, str] | None = None) -> Response | None:
    """A 304 when the client's copy (``If-None-Match``) is the one ``etag`` names, else None."""
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={**(headers or {}), "ETag": etag})
    return None


def if_match(request: Request) -> list[str] | None:
    """The ETags of ``If-Match`` (``["*"]`` for any), or None when the header was not sent.

    A header that names no valid entity tag (empty, unquoted) gives ``[]``, which matches
    nothing."""
    header = request.headers.get("If-Match")
    return None if header is None else parse_etags(header)


def required_if_match(request: Request) -> list[str] | None:
    """``if_match`` for a request that must send it: raises ``PreconditionRequired`` (428) when
    the header is missing, unless ``settings.API_REQUIRE_IF_MATCH`` is off (then None)."""
    etags = if_match(request)
    if etags is None and settings.API_REQUIRE_IF_MATCH:
        raise PreconditionRequired()
    return etags
