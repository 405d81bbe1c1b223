"""Refusing the NUL character in a request's URL and headers, for the API and the admin alike."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api.errors import invalid
from config.api.parsers import NUL_MESSAGE


class RefuseNulMiddleware:
    """400 for a request whose path, query string or headers hold NUL (``%00``).

    PostgreSQL cannot hold NUL in text, so a parameter that reaches a query with one fails there
    with a 500: the admin passes changelist filters straight to the queryset, its autocomplete
    searches with the term as given, knox looks tokens up by their first characters. Checking each
    filter, search box and lookup would leave out the next one written, and no legitimate request
    carries NUL, so this check sits at the edge, before any view; JSON bodies are checked where
    they are decoded (config.api.parsers), the admin's forms by Django's form fields.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self._nul_in(request)
        if where is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(invalid({where: [NUL_MESSAGE]}), status=400)
        raise BadRequest(f"NUL in {where}")

    @staticmethod
    def _nul_in(request: HttpRequest) -> str | None:
        """Where the request holds NUL: a query parameter's name, "path" or a header's name."""
        if "\x00" in request.path_info:
            return "path"
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "\\x00")
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                return key[5:].replace("_", "-").title()
        return None
