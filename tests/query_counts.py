"""A helper for "the page's query count does not grow with its rows" tests."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries(client, url: str) -> int:
    """SQL queries of one GET (after a warm-up request: sessions, content types)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)
