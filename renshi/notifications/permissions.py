"""Access policies of notifications.

* Notification, NotificationPreference: a person sees and changes only their own (never an
  integration key).
* Webhook (chat robots): the HR VP manages them (``notifications.manage_webhooks``); the GM
  sees them (``notifications.view_webhooks``) with their delivery log; nobody else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from renshi.core import access
from renshi.org.models import Role
from renshi.org.scope import get_scope

from .models import Delivery, Notification, NotificationPreference, Webhook


def _person(user: Any):
    scope = get_scope(user)
    if scope.is_api_key or scope.employee_id is None:
        return None
    return scope


@access.register_permission("notifications.manage_webhooks")
def can_manage_webhooks(user: Any) -> bool:
    scope = _person(user)
    return scope is not None and Role.HR_VP in scope.roles


@access.register_permission("notifications.view_webhooks")
def can_view_webhooks(user: Any) -> bool:
    scope = _person(user)
    return scope is not None and bool(scope.roles & {Role.HR_VP, Role.GENERAL_MANAGER})


class OwnRowsPolicy:
    field = "recipient_id"

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.is_api_key or user is None or not user.is_authenticated:
            return queryset.none()
        if action in (access.VIEW, access.CHANGE):
            return queryset.filter(**{self.field: user.pk})
        return queryset.none()


@access.register_policy(Notification)
class NotificationPolicy(OwnRowsPolicy):
    field = "recipient_id"


@access.register_policy(NotificationPreference)
class NotificationPreferencePolicy(OwnRowsPolicy):
    field = "user_id"


@access.register_policy(Webhook)
class WebhookPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = _person(user)
        if scope is None or scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW and can_view_webhooks(user):
            return queryset
        if action in (access.CHANGE, access.DELETE) and can_manage_webhooks(user):
            return queryset
        return queryset.none()


@access.register_policy(Delivery)
class DeliveryPolicy:
    """The delivery log: read-only, for the people who see the company's chat robots."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = _person(user)
        if scope is None or action != access.VIEW or not can_view_webhooks(user):
            return queryset.none()
        return queryset.filter(company_id=scope.company_id)
