"""URL converters with bounded numbers, so that a huge number in a URL is a 404, not a database
overflow error."""

from __future__ import annotations

from django.urls import register_converter


class VersionNumberConverter:
    regex = "[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class IdConverter(VersionNumberConverter):
    regex = "[0-9]{1,18}"


register_converter(VersionNumberConverter, "number")
register_converter(IdConverter, "id")
