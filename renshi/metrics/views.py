"""Metric catalogue pages (the metrics helper builds them)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def metric_list(request: HttpRequest) -> HttpResponse:  # placeholder until the page lands
    return HttpResponse("")
