"""HTTP conditional requests (RFC 9110, section 13) for the API's views."""

from __future__ import annotations

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


def not_modified(request: Request, etag: str, headers: dict[str, str] | None = None) -> Response | None:
    """A 304 when the client's copy (``If-None-Match``) is the one ``etag`` names, else None."""
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={**(headers or {}), "ETag": etag})
    return None


def if_match(request: Request) -> list[str] | None:
    """The ETags of ``If-Match`` (``["*"]`` for any), or None when the header was not sent."""
    header = request.headers.get("If-Match")
    return None if header is None else parse_etags(header)
