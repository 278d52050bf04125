"""The access layer: the one place that decides what a user may see and do.

* ``restrict(queryset_or_model, user, action)`` — every queryset behind a page, API view,
  export, report or task goes through it. Models register a policy; a model without a policy
  cannot be restricted and raises (deny by default).
* ``get_object_or_404(...)`` — out-of-scope objects answer 404, never 403, so their existence
  does not leak.
* ``can(user, action, obj)`` / ``ensure(...)`` — object-level checks, used by services to
  re-check a write inside the transaction before it commits.
* ``has_perm(user, permission)`` — function-level permissions ("org.import_employees") that
  apps register as predicates on the user's scope.

The notion of *scope* (company, departments, roles) belongs to ``renshi.org.scope``; this module
only holds the mechanism so that every app, whatever its layer, uses the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404

VIEW = "view"
CHANGE = "change"
DELETE = "delete"


class Policy(Protocol):
    def restrict(self, queryset: models.QuerySet, user: Any, action: str) -> models.QuerySet: ...


_policies: dict[type[models.Model], Policy] = {}
_permissions: dict[str, Callable[[Any], bool]] = {}


def register_policy(model: type[models.Model]):
    """Class decorator: ``@register_policy(Employee) class EmployeePolicy: ...``."""

    def decorator(policy_cls):
        _policies[model] = policy_cls()
        return policy_cls

    return decorator


def register_permission(name: str):
    """Function decorator for a function-level permission: ``predicate(user) -> bool``."""

    def decorator(predicate: Callable[[Any], bool]):
        _permissions[name] = predicate
        return predicate

    return decorator


def registered_permissions() -> list[str]:
    return sorted(_permissions)


def _as_queryset(qs_or_model) -> models.QuerySet:
    if isinstance(qs_or_model, models.QuerySet):
        return qs_or_model
    return qs_or_model._default_manager.all()


def restrict(qs_or_model, user: Any, action: str = VIEW) -> models.QuerySet:
    """The rows of this queryset that ``user`` may ``action``. Anonymous users get none."""
    queryset = _as_queryset(qs_or_model)
    policy = _policies.get(queryset.model)
    if policy is None:
        raise ImproperlyConfigured(f"No access policy registered for {queryset.model.__name__}")
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    return policy.restrict(queryset, user, action)


def get_object_or_404(qs_or_model, user: Any, action: str = VIEW, **lookups) -> models.Model:
    """An object the user may ``action``; 404 when it does not exist *or* is out of scope."""
    queryset = restrict(qs_or_model, user, action)
    try:
        return queryset.get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def can(user: Any, action: str, obj: models.Model) -> bool:
    if obj is None or obj.pk is None:
        return False
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


def ensure(user: Any, action: str, obj: models.Model) -> None:
    """Raise Http404 if the object is not visible, PermissionDenied if visible but not allowed."""
    if action != VIEW and can(user, action, obj):
        return
    if not can(user, VIEW, obj):
        raise Http404
    if action != VIEW:
        raise PermissionDenied


def has_perm(user: Any, permission: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    predicate = _permissions.get(permission)
    if predicate is None:
        raise ImproperlyConfigured(f"Unknown permission {permission!r}")
    return bool(predicate(user))


def require_perm(user: Any, permission: str) -> None:
    if not has_perm(user, permission):
        raise PermissionDenied


class RestrictedQuerySet(models.QuerySet):
    """``Model.objects.restrict(user, action)`` — shorthand for ``access.restrict``."""

    def restrict(self, user: Any, action: str = VIEW) -> models.QuerySet:
        return restrict(self, user, action)
