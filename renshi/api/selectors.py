"""Reads of the API app, through the access layer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from renshi.core import access

from .models import ApiKey


def api_key_list(*, user: Any) -> QuerySet[ApiKey]:
    return (
        access.restrict(ApiKey.objects.all(), user, access.VIEW)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def api_key_get(*, user: Any, pk: Any) -> ApiKey:
    return access.get_object_or_404(api_key_list(user=user), user, access.VIEW, pk=pk)
