"""Serializer fields whose validation is exactly what the OpenAPI schema says of them.

DRF's own fields accept more than their schema states: a CharField takes the number 42 as "42"
and counts its maximum length after trimming, an IntegerField takes the string "7", a
DateTimeField takes "2030-01-01 10:00" without a time zone, a SlugField takes "abc\\n". Clients
reading the schema, and the schemathesis test that checks the API against it
(tests/api/test_schema_fuzz.py), rely on the two agreeing, so these fields refuse exactly what the
schema rules out. Patterns are written for both Python and ECMA-262 (the schema's dialect): explicit
character classes, no ``\\s``, ``\\d`` or ``$`` whose meaning differs between the two.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import serializers

# What str.strip() removes (str.isspace), which is what DRF and the services trim.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
ANY_TEXT = r"^[^\x00]*$"
NOT_EMPTY = r"^[^\x00]+$"
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"
# A web address Django's URLValidator (the model field's) accepts, or nothing: http(s), a host name
# of ASCII labels short enough to stay within 253 characters, a port, then anything but whitespace.
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,29}[a-zA-Z0-9])?"
WEB_ADDRESS = (
    rf"^(?:https?://(?:{_LABEL}\.){{1,7}}[a-zA-Z]{{2,24}}(?::[0-9]{{1,5}})?(?:[/?#][^\x00{WHITESPACE}]*)?)?$"
)
# RFC 3339's date-time (the schema's "date-time" format): seconds and an offset are required.
DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class Pattern(RegexValidator):
    """A regular expression as the schema states it (``validator.regex.pattern`` is what
    drf-spectacular publishes), matched as JSON Schema matches it: ``$`` is the end of the text,
    not also the place before a final newline as in Python."""

    def __init__(self, pattern: str, message: str) -> None:
        super().__init__(pattern, message)
        self._python = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)

    def __call__(self, value: Any) -> None:
        if not self._python.search(str(value)):
            raise serializers.ValidationError(self.message, code="invalid")


class Text(serializers.CharField):
    """A string, and only a string, without NUL. The maximum length counts the characters as
    sent. With ``strip`` (the default) what is kept is the text without surrounding whitespace,
    so a text that may not be blank must hold something else; the schema says so with a pattern.
    ``pattern`` (with its message) replaces that pattern with a stricter one."""

    def __init__(
        self, *, strip: bool = True, pattern: str | None = None, message: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.trim_whitespace = False
        self.strip = strip
        if pattern is None:
            message = "Null characters are not allowed."
            if self.allow_blank:
                pattern = ANY_TEXT
            elif strip:
                pattern, message = NOT_BLANK, "Write something other than spaces; " + message.lower()
            else:
                pattern = NOT_EMPTY
        self.validators.append(Pattern(pattern, message))

    def run_validation(self, data: Any = serializers.empty) -> Any:
        value = super().run_validation(data)
        return value.strip() if self.strip and isinstance(value, str) else value

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class Slug(Text):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("pattern", SLUG)
        kwargs.setdefault("message", "Use only letters, numbers, underscores or hyphens, with no spaces.")
        super().__init__(**kwargs)


class Integer(serializers.IntegerField):
    """A JSON integer: not a string of digits, not true or false, not 1.5 (1.0 is an integer to
    JSON Schema, so it is one here too)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class DateTime(serializers.DateTimeField):
    """An RFC 3339 date and time with its offset (``2030-01-31T09:00:00Z``), kept in UTC."""

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss[.uuuuuu]Z or ±hh:mm")
        try:
            parsed = datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            return parsed.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            self.fail("invalid", format="a real date and time, between the years 1 and 9999 in UTC")


class OptionalChoiceField(serializers.ChoiceField):
    """A read-only choice stored as "" when unset, shown as null (not as an empty string that is
    not one of the choices)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


def datetime_text(value: datetime.datetime | None, zone: datetime.tzinfo | None = None) -> str | None:
    """A date and time as DRF's ``DateTimeField`` writes it: ISO 8601 in the current time zone
    (``zone``, when the caller has it already), ``Z`` for UTC. For the serializers of long lists
    that write their rows by hand (``to_representation``), the field staying declared for the schema."""
    if value is None:
        return None
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
