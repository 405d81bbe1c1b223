"""Reading query parameters as strictly as the OpenAPI schema states them."""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def single_value(request: Request, name: str) -> str | None:
    """The value of a parameter that takes one, or None when it is absent; given more than once
    (``?page=1&page=2``) it is a 400 rather than the last one winning silently."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: ["Give this parameter once."]})
    return values[0] if values else None


def query_integer(request: Request, name: str, minimum: int, maximum: int | None = None) -> int | None:
    """A whole number from the query string, or None when the parameter is absent; anything else
    (not a number, out of range, empty, given twice) is a 400 naming the parameter."""
    raw = single_value(request, name)
    if raw is None:
        return None
    if not re.fullmatch(r"-?[0-9]{1,19}", raw):
        raise ValidationError({name: ["A whole number is required."]})
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        limits = f"from {minimum}" + ("" if maximum is None else f" to {maximum}")
        raise ValidationError({name: [f"Give a number {limits}."]})
    return value
