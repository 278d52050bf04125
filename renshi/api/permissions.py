"""API permission classes (deny by default) and the access policy of integration API keys.

* ``IsAuthenticated`` — a logged-in user or a usable API key; anonymous callers get 401.
* ``ApiKeyScope`` — an API-key principal may call a view only when the view names, for the
  request's method, a scope the key holds (``view.api_key_scopes = {"GET": "org.read"}``).
  Views that name nothing (token, me, key management, writes) are closed to keys.
* ``HasAccessPermission`` — a function-level permission of ``renshi.core.access``
  (``view.required_permission``) for the whole view.

Row-level decisions stay in ``renshi.core.access`` (querysets); these classes only decide who
may call a view at all.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import permissions

from renshi.core import access
from renshi.org.scope import get_scope

from .models import ApiKey


def is_api_key(user: Any) -> bool:
    return getattr(user, "api_key", None) is not None


class IsAuthenticated(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated)


class ApiKeyScope(permissions.BasePermission):
    """Users pass; API keys pass only where the view names a scope the key holds."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not is_api_key(user):
            return True
        wanted = (getattr(view, "api_key_scopes", None) or {}).get(request.method)
        if request.method == "HEAD" and wanted is None:
            wanted = (getattr(view, "api_key_scopes", None) or {}).get("GET")
        return wanted is not None and wanted in (user.api_key.scopes or ())


class IsUserPrincipal(permissions.BasePermission):
    """A person logged in with a session or a token; never an integration key."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and not is_api_key(user))


class HasAccessPermission(permissions.BasePermission):
    """``view.required_permission`` (e.g. "api.manage_keys") must be granted by the access layer."""

    def has_permission(self, request, view) -> bool:
        name = getattr(view, "required_permission", None)
        if name is None:
            return False
        return access.has_perm(request.user, name)


@access.register_policy(ApiKey)
class ApiKeyPolicy:
    """Keys of the caller's company, for people holding "api.manage_keys" (GM, HR VP).
    API keys never see or manage keys, not even themselves."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        if is_api_key(user):
            return queryset.none()
        scope = get_scope(user)
        if scope.company_id is None or not access.has_perm(user, "api.manage_keys"):
            return queryset.none()
        return queryset.filter(company_id=scope.company_id)
