"""The API's two ways of paging a list.

- ``Pagination``: page numbers with a ``count``, for lists that stay small (the board, webhook
  endpoints, an article's versions, history and rounds).
- ``CursorPagination``: keyset pages for the lists that grow with the catalogue (articles, review
  assignments, the public list). A page is read by an indexed range from where the previous one
  ended, so it costs the same at the millionth row as at the first; there is no ``count`` (a COUNT
  over a million rows costs more than the page), and a row inserted or deleted between two pages
  neither repeats nor skips another.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.paginator import Page
from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as BadRequest
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.fields import ANY_TEXT
from config.api.query import query_integer, single_value


class Pagination(PageNumberPagination):
    """Pages of 20 (``page_size`` up to 100); a page or page size that is not a whole number in
    range is a 400 (DRF would quietly use the default size), a page past the last a 404.

    The first page is read with one row more than it shows: when that row is not there, the page
    holds the whole list and its length is the ``count``, without a COUNT query (most of these
    lists fit on one page); otherwise the count is a COUNT, as on every other page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    max_page = 2**31 - 1

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if query_integer(request, self.page_query_param, 1, self.max_page) not in (None, 1):
            return super().paginate_queryset(queryset, request, view)
        size = self.get_page_size(request)
        rows = list(queryset[: size + 1])
        paginator = self.django_paginator_class(queryset, size)
        if len(rows) <= size:
            paginator.count = len(rows)  # replaces the cached COUNT
        self.page = Page(rows[:size], 1, paginator)
        self.request = request
        self.display_page_controls = self.template is not None and paginator.num_pages > 1
        return list(self.page)

    def get_page_size(self, request: Request) -> int:
        size = query_integer(request, self.page_size_query_param, 1, self.max_page_size)
        return self.page_size if size is None else size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        limits = {
            self.page_query_param: {"minimum": 1, "maximum": self.max_page},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(limits.get(parameter["name"], {}))
        return parameters


# (field name, descending): one term of a list's order.
Term = tuple[str, bool]


class CursorPagination(BasePagination):
    """Keyset pages of 20 (``page_size`` up to 100) in the list's order (its ``?ordering=`` or
    default), ended by the view's ``cursor_unique_field`` (default ``pk``) so that every row has
    one place. ``next`` and ``previous`` are links carrying an opaque ``cursor``: the position of
    the row the page ends after (or starts before). A cursor that is not one of those links', or
    that belongs to another ordering, is a 404 (as DRF has it for its cursor pagination and the
    dossier); ``?page=`` is a 400 saying to follow the links.

    NULLs sort after every value, in both directions reversed together (PostgreSQL's default
    order, so an ascending index serves both directions); a page after a position is
    ``(k1, k2, ...) > (v1, v2, ...)`` spelled out term by term, with the first term's bound
    repeated as a plain range condition so that the index scan starts there."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    invalid_cursor_message = "This cursor is not one of this list's next or previous links."

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any]:
        if request.query_params.get("page") is not None:
            raise BadRequest({"page": ["This list is paged by cursor: follow its next and previous links."]})
        size = query_integer(request, self.page_size_query_param, 1, self.max_page_size) or self.page_size
        raw = single_value(request, self.cursor_query_param)
        self.request = request
        self.model = queryset.model
        self.terms = list(_terms(queryset, getattr(view, "cursor_unique_field", "pk")))
        reverse, position = (False, None) if raw is None else self._decode(raw)

        terms = [(name, not descending) for name, descending in self.terms] if reverse else self.terms
        page = queryset.order_by(*_order(terms))
        if position is not None:
            page = page.filter(_beyond(self.model, terms, position))
        rows = list(page[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        has_next, has_previous = (True, more) if reverse else (more, position is not None)
        self.next_link = self._link(rows[-1], reverse=False) if rows and has_next else None
        self.previous_link = self._link(rows[0], reverse=True) if rows and has_previous else None
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})

    def get_next_link(self) -> str | None:
        return self.next_link

    def get_previous_link(self) -> str | None:
        return self.previous_link

    # --- The cursor ----------------------------------------------------------------------------

    def _ordering(self) -> list[str]:
        return [("-" if descending else "") + name for name, descending in self.terms]

    def _link(self, row: Any, *, reverse: bool) -> str:
        values = [_encode(_value(row, self.model, name)) for name, _ in self.terms]
        payload = {"o": self._ordering(), "v": values, "r": int(reverse)}
        token = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        query = [
            (key, value)
            for key, value in parse_qsl(self.request.META.get("QUERY_STRING", ""), keep_blank_values=True)
            if key != self.cursor_query_param
        ]
        query.append((self.cursor_query_param, token.rstrip("=")))
        return self.request.build_absolute_uri(self.request.path + "?" + urlencode(query))

    def _decode(self, raw: str) -> tuple[bool, list[Any]]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            ordering, values, reverse = payload["o"], payload["v"], payload["r"]
            if ordering != self._ordering() or reverse not in (0, 1):
                raise ValueError("another ordering")
            if not isinstance(values, list) or len(values) != len(self.terms):
                raise ValueError("another position")
            position = [
                _decode(self.model, name, value) for (name, _), value in zip(self.terms, values, strict=True)
            ]
        except (ValueError, TypeError, KeyError, ValidationError, binascii.Error, UnicodeDecodeError):
            raise NotFound(self.invalid_cursor_message) from None
        return bool(reverse), position

    # --- The schema ----------------------------------------------------------------------------

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page after (or before) another: take it from a page's next or "
                "previous link. One that is not such a link's is a 404.",
                "schema": {"type": "string", "pattern": ANY_TEXT},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
                "results": schema,
            },
        }


def _field(model: Any, name: str) -> Any:
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _encode(value: Any) -> Any:
    """A position's value as JSON: numbers and text as they are, a date and time in ISO 8601."""
    return value if value is None or isinstance(value, int | str) else value.isoformat()


def _decode(model: Any, name: str, value: Any) -> Any:
    """A position's value read back by its field, refusing what no link of ours holds (and what
    the database would refuse with an error rather than an answer)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("not a position")
    parsed = _field(model, name).to_python(value)
    if isinstance(parsed, int) and not -(2**63) <= parsed < 2**63:
        raise ValueError("out of range")
    if isinstance(parsed, str) and "\x00" in parsed:
        raise ValueError("NUL")
    if isinstance(parsed, datetime.datetime) and parsed.tzinfo is None:
        raise ValueError("no offset")
    return parsed


def _value(row: Any, model: Any, name: str) -> Any:
    if isinstance(row, dict):
        return row[name]
    return row.pk if name == "pk" else getattr(row, _field(model, name).attname)


def _terms(queryset: QuerySet, unique: str) -> list[Term]:
    """The list's order as (field, descending) terms, ended by the unique field (in the direction
    of the last term) unless it is in the order already."""
    ordering = queryset.query.order_by or queryset.model._meta.ordering
    terms = []
    for term in ordering:
        if not isinstance(term, str) or "__" in term or term.lstrip("-") == "?":
            raise ImproperlyConfigured(f"Cursor pagination orders by a model's own fields, not by {term!r}.")
        terms.append((term.lstrip("-"), term.startswith("-")))
    names = {name for name, _ in terms}
    if unique not in names and not (unique == "pk" and queryset.model._meta.pk.name in names):
        terms.append((unique, terms[-1][1] if terms else False))
    return terms


def _order(terms: Sequence[Term]) -> list[Any]:
    return [
        F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)
        for name, descending in terms
    ]


def _beyond(model: Any, terms: Sequence[Term], position: Sequence[Any]) -> Q:
    """Rows after ``position`` in the order of ``terms`` (NULL after every value)."""
    condition, equal = Q(pk__in=[]), Q()
    for (name, descending), value in zip(terms, position, strict=True):
        if value is None:
            after = Q(pk__in=[]) if not descending else Q(**{f"{name}__isnull": False})
            same = Q(**{f"{name}__isnull": True})
        else:
            after = Q(**{f"{name}__lt": value}) if descending else Q(**{f"{name}__gt": value})
            if not descending and _field(model, name).null:
                after |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        condition |= equal & after
        equal &= same
    name, descending = terms[0]
    first = position[0]
    if first is not None and (descending or not _field(model, name).null):
        # The same bound as a plain range on the first term, which the index scan can start from.
        condition &= Q(**{f"{name}__lte" if descending else f"{name}__gte": first})
    return condition
