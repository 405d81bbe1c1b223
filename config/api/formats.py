"""Views that answer in more than one format (``?format=`` or the Accept header)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.api.query import single_value


class StrictFormatMixin:
    """``?format=`` read as strictly as the schema states it: one of the view's renderers' formats,
    else a 400 naming them (DRF answers 404); and errors always in the API's one JSON shape, whatever
    format was asked for, as the schema documents them, as is the answer to OPTIONS."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        formats = [renderer.format for renderer in self.get_renderers()]  # type: ignore[attr-defined]
        requested = single_value(request, api_settings.URL_FORMAT_OVERRIDE)
        if not force and requested is not None and requested not in formats:
            raise ValidationError({"format": [f"Give one of: {', '.join(formats)}."]})
        if request.method == "OPTIONS":
            # The description of the endpoint is JSON, whatever its own formats.
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)  # type: ignore[misc]
        renderer = JSONRenderer()
        self.request.accepted_renderer, self.request.accepted_media_type = (  # type: ignore[attr-defined]
            renderer,
            renderer.media_type,
        )
        return response
