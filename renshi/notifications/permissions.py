"""Access policies of notifications: a user sees and marks only their own inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from renshi.core import access
from renshi.org.scope import get_scope

from .models import Notification


@access.register_policy(Notification)
class NotificationPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.is_api_key or user is None or not user.is_authenticated:
            return queryset.none()
        if action in (access.VIEW, access.CHANGE):
            return queryset.filter(recipient_id=user.pk)
        return queryset.none()
