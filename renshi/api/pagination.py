from rest_framework.pagination import PageNumberPagination


class CappedPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 200 rows per page)."""

    page_size_query_param = "page_size"
    max_page_size = 200
