"""The API's JSON parser: DRF's, with limits on what a body may hold.

A body is already limited in size (``DATA_UPLOAD_MAX_MEMORY_SIZE``, from ``API_MAX_BODY_BYTES``:
Django refuses a larger one before it is parsed). This parser also refuses, with 400 in the one
error shape:

- nesting deeper than ``settings.API_MAX_JSON_DEPTH`` (``too_deeply_nested``), measured without
  recursing before the body is decoded: Python's decoder recurses once per level, so about a
  thousand levels would raise RecursionError, a 500;
- the NUL character in any string or key (``invalid``, naming the field). PostgreSQL cannot store
  NUL in text, and a value that only passes through a query (a slug naming a specialty) would fail
  there as a 500. DRF's CharField already refuses it, but not every field is one; this one check
  covers every field of every endpoint, current and future.
"""

from __future__ import annotations

import codecs
import operator
import re
from collections.abc import Mapping
from itertools import accumulate, count
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

NUL_MESSAGE = "Null characters are not allowed."

# A JSON string, or an unterminated one running to the end of the text. Matches never overlap, so
# the scan is linear whatever the text (a required closing quote would make a run of `\"` after an
# unterminated string quadratic).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
# Outside strings, each bracket as a byte: an opening one 2, a closing one 0, anything else dropped;
# the depth after n brackets is then their running sum less n.
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))


class TooDeeplyNested(exceptions.ParseError):
    default_code = "too_deeply_nested"


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text``, brackets inside strings aside.

    Strings are delimited as a JSON decoder delimits them, so for any text the figure is never
    lower than the depth a decoder reaches before it finishes or stops at an error."""
    # JSON outside strings is ASCII; anything else there is an error the decoder reports.
    outside = _STRING.sub("", text).encode("ascii", "ignore")
    steps = outside.translate(_STEPS, _NOT_BRACKETS)
    return max(map(operator.sub, accumulate(steps), count(1)), default=0)


def _location(path: list[str | int]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def find_nul(data: Any) -> list[str | int] | None:
    """The path to the first string (value or key) in ``data`` holding NUL, or None."""
    stack: list[tuple[list[str | int], Any]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if "\x00" in key:
                    return path
                stack.append(([*path, key], item))
        elif isinstance(value, list):
            stack.extend(([*path, index], item) for index, item in enumerate(value))
    return None


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.decode(stream.read(), encoding)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        limit = settings.API_MAX_JSON_DEPTH
        if nesting_depth(text) > limit:
            raise TooDeeplyNested(
                f"The JSON body is nested too deeply: at most {limit} levels of arrays and objects."
            )
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        path = find_nul(data)
        if path is not None:
            raise exceptions.ValidationError(_nul_error(path))
        return data


def _nul_error(path: list[str | int]) -> dict[str, list[str]]:
    if not path or not isinstance(path[0], str):
        return {"non_field_errors": [NUL_MESSAGE]}
    if len(path) == 1:
        return {path[0]: [NUL_MESSAGE]}
    return {path[0]: [f"Null characters are not allowed (in {_location(path)})."]}
