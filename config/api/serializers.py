"""The base of every request body's serializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from config.api.fields import Text


# A request body that holds its own fields and no others: an unknown one is a 400 naming it, rather
# than ignored (a client sending ``status`` with a PATCH would believe it changed), and the schema
# says so (``additionalProperties: false``). ``schema_keywords`` states in the schema a rule the
# serializer enforces across fields (``anyOf``, ``oneOf``, ``required``), which its fields cannot
# state one by one. (A comment, not a docstring: drf-spectacular would publish a docstring as the
# description of every body.)
class StrictSerializer(serializers.Serializer):
    schema_keywords: ClassVar[dict[str, Any]] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["There is no such field here."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


class StrictSerializerExtension(OpenApiSerializerExtension):
    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        for name, field in self.target.fields.items():
            if isinstance(field, Text) and name in schema.get("properties", {}):
                schema["properties"][name] = _text_schema(schema["properties"][name], field)
        return {**schema, "additionalProperties": False, **self.target.schema_keywords}


# The longest string whose pattern schemathesis's coverage phase can match: past it, that phase
# draws no valid body at all and sends an invalid one where it means a valid one.
PATTERN_WITH_LENGTH_LIMIT = 64 * 1024


def _text_schema(schema: dict[str, Any], field: Text) -> dict[str, Any]:
    """The schema of a ``Text`` field, from drf-spectacular's:

    - drf-spectacular states a blank-allowed string with a pattern as ``oneOf: [{...pattern},
      {maxLength: 0}]``, which makes "" invalid when the pattern admits it too (one of, not both);
      a ``Text`` field's pattern says itself whether "" is allowed;
    - for a text longer than ``PATTERN_WITH_LENGTH_LIMIT`` the pattern goes under ``allOf``, the
      same rule spelled so that the length and the pattern are generated apart."""
    alternatives = schema.get("oneOf")
    if alternatives and alternatives[1:] == [{"type": "string", "maxLength": 0}]:
        schema = {**{key: value for key, value in schema.items() if key != "oneOf"}, **alternatives[0]}
    unbounded = field.max_length is None or field.max_length > PATTERN_WITH_LENGTH_LIMIT
    if "pattern" in schema and unbounded:
        schema = {**schema, "allOf": [{"pattern": schema["pattern"]}]}
        del schema["pattern"]
    return schema
