from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request


def _positive(request: Request, name: str, wire: str) -> int | None:
    """The query parameter as a whole number of at least 1, None when absent or empty;
    anything else is a 400 naming it (not silently the default)."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError({wire: [f"a whole number from 1, not {raw!r}"]})
    return int(raw)


class StrictPageSize:
    """`?pageSize=` up to 500; a bad one is a 400."""

    page_size: int | None
    page_size_query_param = "page_size"  # pageSize on the wire (CamelCaseMiddleWare)
    max_page_size = 500

    def get_page_size(self, request: Request) -> int | None:
        asked = _positive(request, self.page_size_query_param, "pageSize")
        return self.page_size if asked is None else min(asked, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        found = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in found:
            if parameter["schema"].get("type") == "integer":
                parameter["schema"]["minimum"] = 1
        return found


class Pagination(StrictPageSize, PageNumberPagination):
    """Numbered pages (`?page=`); a page that is not a whole number is a 400, one past the
    end a 404."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        _positive(request, self.page_query_param, "page")
        return super().paginate_queryset(queryset, request, view)


class CursorPages(StrictPageSize, CursorPagination):
    """Stable pages over tables that grow while they are read (jobs, runs, the audit
    log): `?cursor=` from the previous page's `next`. Subclasses set `ordering`."""

    page_size = 50


def cursor_pages(ordering: str) -> type[CursorPages]:
    """A CursorPages class ordered by `ordering` (e.g. "-created_at")."""
    return type(f"CursorPages_{ordering.strip('-')}", (CursorPages,), {"ordering": ordering})
