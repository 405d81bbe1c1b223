"""The API's filter backends: django-filter, search and ordering, each reading its query
parameters as strictly as the OpenAPI schema states them.

As shipped, they let through what the schema rules out, and answer 200 as if it had not been
sent: an empty or repeated value (``?risk_level=``, ``?overdue=true&overdue=false``), a boolean
that is neither true nor false, a number that is not whole for an id, a date and time without its
offset, an unknown ordering field.
Here each of those is a 400 naming the parameter, in the one error shape.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request

from config.api.fields import ANY_TEXT, DATE_TIME
from config.api.query import single_value

INTEGER = re.compile(r"-?[0-9]{1,19}")
BOOLEANS = ("true", "false")


def _is_integer_filter(filter_: filters.Filter, model: type[models.Model]) -> bool:
    if not isinstance(filter_, filters.NumberFilter):
        return False
    try:
        field = model._meta.get_field(filter_.field_name)
    except FieldDoesNotExist:
        return False
    return isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey)


def _refusal(filter_: filters.Filter, model: type[models.Model], values: list[str]) -> str | None:
    """Why these raw values of one filter are not what its schema allows, or None if they are."""
    many = isinstance(filter_, filters.MultipleChoiceFilter)
    if len(values) > 1 and not many:
        return "Give this parameter once."
    for value in values:
        if isinstance(filter_, filters.CharFilter):
            continue
        if value == "":
            return "This parameter may not be empty."
        if isinstance(filter_, filters.BooleanFilter) and value not in BOOLEANS:
            return "Give true or false."
        if _is_integer_filter(filter_, model) and not INTEGER.fullmatch(value):
            return "A whole number is required."
        if isinstance(filter_, filters.IsoDateTimeFilter) and not DATE_TIME.fullmatch(value):
            return "Give a date and time with its offset, such as 2030-01-31T09:00:00Z."
    return None


class StrictDjangoFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        # Building and validating a filter set's form costs more than the page of a long list it
        # would not change: none of its parameters were sent, so nothing to filter.
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request: Request, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {}
            for name, filter_ in filterset.filters.items():
                reason = _refusal(filter_, queryset.model, request.query_params.getlist(name))
                if reason:
                    errors[name] = [reason]
            if errors:
                raise ValidationError(errors)
        return filterset


class StrictDjangoFilterExtension(DjangoFilterExtension):
    """The schema of those filters as they read them: an id filter takes whole numbers in its
    range, a text filter any text without NUL."""

    target_class = "config.api.filters.StrictDjangoFilterBackend"
    priority = 1

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> Any:
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"]
            if _is_integer_filter(filter_field, model):
                schema.update(type="integer", format="int64")
                for keyword, limit in (("minimum", "min_value"), ("maximum", "max_value")):
                    if filter_field.extra.get(limit) is not None:
                        schema[keyword] = filter_field.extra[limit]
            elif isinstance(filter_field, filters.CharFilter):
                schema["pattern"] = ANY_TEXT
        return parameters


class StrictSearchFilter(SearchFilter):
    def get_search_terms(self, request: Request) -> list[str]:
        single_value(request, self.search_param)
        return super().get_search_terms(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if not getattr(view, "search_fields", None):
            return []  # nothing to search: the parameter would do nothing
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["pattern"] = ANY_TEXT
        return parameters


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` names fields from the view's list, comma-separated, each optionally with
    ``-`` for descending; an unknown one is a 400 (DRF would drop it and answer 200)."""

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> Any:
        raw = single_value(request, self.ordering_param)
        if raw is not None:
            allowed = self._choices(self.get_valid_fields(queryset, view, {"request": request}))
            unknown = [term for term in raw.split(",") if term not in allowed]
            if unknown:
                raise ValidationError(
                    {self.ordering_param: [f"Order by one or more of: {', '.join(sorted(allowed))}."]}
                )
        return super().get_ordering(request, queryset, view)

    @staticmethod
    def _choices(valid_fields: list[tuple[str, str]]) -> set[str]:
        return {prefix + name for name, _ in valid_fields for prefix in ("", "-")}

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = getattr(view, "ordering_fields", None)
        if not fields or fields == "__all__":
            return super().get_schema_operation_parameters(view)
        choices = sorted(self._choices([(name, name) for name in fields]))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Fields to order by, comma-separated; `-` before a field for descending.",
                # At least one: an empty list and a list of one empty name are both `?ordering=`.
                "schema": {"type": "array", "items": {"type": "string", "enum": choices}, "minItems": 1},
                "style": "form",
                "explode": False,
            }
        ]
