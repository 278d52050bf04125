"""htmx helpers: the same URL serves the full page or, for an htmx request, a named partial."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that is not a boosted navigation (those want the whole page)."""
    details = getattr(request, "htmx", None)
    return bool(details) and not details.boosted and not details.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template``; for an htmx request render only ``template#partial``.

    The response varies on ``HX-Request`` so caches never serve a fragment as a page."""
    name = f"{template}#{partial}" if partial and is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
