from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from config.api.query import query_integer


class Pagination(PageNumberPagination):
    """Pages of 20 (``page_size`` up to 100); a page or page size that is not a whole number in
    range is a 400 (DRF would quietly use the default size), a page past the last a 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    max_page = 2**31 - 1

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        query_integer(request, self.page_query_param, 1, self.max_page)
        return super().paginate_queryset(queryset, request, view)

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
