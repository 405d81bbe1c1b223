from __future__ import annotations

from typing import Any

from rest_framework import serializers


class OptionalChoiceField(serializers.ChoiceField):
    """A read-only choice stored as "" when unset, shown as null (not as an empty string that is
    not one of the choices)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)
