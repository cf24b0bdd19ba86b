from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"  # pageSize on the wire (CamelCaseMiddleWare)
    max_page_size = 500


class CursorPages(CursorPagination):
    """Stable pages over tables that grow while they are read (jobs, runs, the audit
    log): `?cursor=` from the previous page's `next`. Subclasses set `ordering`."""

    page_size = 50
    page_size_query_param = "page_size"  # pageSize on the wire
    max_page_size = 500


def cursor_pages(ordering: str) -> type[CursorPages]:
    """A CursorPages class ordered by `ordering` (e.g. "-created_at")."""
    return type(f"CursorPages_{ordering.strip('-')}", (CursorPages,), {"ordering": ordering})
