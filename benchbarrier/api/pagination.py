from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"  # pageSize on the wire (CamelCaseMiddleWare)
    max_page_size = 500
