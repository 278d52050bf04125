"""Inbox pages (the notifications helper builds them)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def inbox(request: HttpRequest) -> HttpResponse:  # placeholder until the inbox page lands
    return HttpResponse("")
