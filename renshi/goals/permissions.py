"""Access policies of the goals app (docs/goals.md has the table).

Visibility follows OKR transparency for the upper levels and the org scope for people:
* strategy maps, perspectives, company objectives and department goals: every person of the
  company (so anyone can see the chain from their work to the strategy);
* individual KPIs / key results: whoever may see the owner (org.Employee policy: themselves,
  their department's managers and VPs, company-wide roles).
Edit rights by scope:
* the company map, its perspectives, links and objectives: GM and performance manager;
* department goals: GM, performance manager, and VPs/heads whose scope holds the department;
* individual goals: GM, performance manager, and VPs/heads whose scope holds the owner's
  department — never the owner (owners *propose*; see services.goal_propose/goal_approve).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from renshi.core import access
from renshi.org.models import Employee, Role
from renshi.org.scope import get_scope

from .models import (
    CauseEffectLink,
    Goal,
    GoalComment,
    KeySuccessFactor,
    PaceSettings,
    Perspective,
    StrategyMap,
    TargetSuggestion,
)

MAP_EDITORS = frozenset({Role.GENERAL_MANAGER, Role.PERFORMANCE_MANAGER})
API_READ = "goals.read"


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


def is_map_editor(scope) -> bool:
    return _person(scope) and bool(scope.roles & MAP_EDITORS)


class _CompanyReadable:
    """Every person of the company reads; integration keys with goals.read read; map editors
    (GM, performance manager) write."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            if _person(scope) or scope.api_allows(API_READ):
                return queryset
            return queryset.none()
        return queryset if is_map_editor(scope) else queryset.none()


for _model in (StrategyMap, Perspective, KeySuccessFactor, CauseEffectLink, PaceSettings):
    access.register_policy(_model)(type(f"{_model.__name__}Policy", (_CompanyReadable,), {}))


def goal_view_q(user: Any) -> Q:
    """The goals a user may read, as a Q on Goal (also used for related rows)."""
    visible_people = access.restrict(Employee, user, access.VIEW).values("pk")
    return ~Q(level=Goal.Level.INDIVIDUAL) | Q(owner__in=visible_people)


def goal_change_q(scope) -> Q | None:
    """The goals a person may edit (None: none). Owners are not editors of their own goals."""
    if not _person(scope):
        return None
    if is_map_editor(scope):
        return Q()
    departments = scope.department_ids
    if not departments:
        return None
    return (
        Q(level=Goal.Level.DEPARTMENT, department_id__in=departments)
        | Q(level=Goal.Level.INDIVIDUAL, owner__department_id__in=departments)
    ) & ~Q(owner_id=scope.employee_id)


@access.register_policy(Goal)
class GoalPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            if scope.is_api_key:
                return queryset if scope.api_allows(API_READ) else queryset.none()
            if not _person(scope):
                return queryset.none()
            if scope.company_wide:
                return queryset
            return queryset.filter(goal_view_q(user))
        condition = goal_change_q(scope)
        if condition is None:
            return queryset.none()
        if action in (access.CHANGE, access.DELETE):
            return queryset.filter(condition)
        if action == "approve":  # editors in scope, never on their own goal (GM/perf included)
            return queryset.filter(condition).exclude(owner_id=scope.employee_id)
        return queryset.none()


class _FollowsGoal:
    """Rows hanging off a goal: readable with the goal; written by the goal's editors (comments
    also by the owner, checked in services)."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        goals = access.restrict(Goal, user, access.VIEW if action == access.VIEW else access.CHANGE)
        return queryset.filter(goal__in=goals.values("pk"))


for _model in (GoalComment, TargetSuggestion):
    access.register_policy(_model)(type(f"{_model.__name__}Policy", (_FollowsGoal,), {}))


@access.register_permission("goals.manage_map")
def _manage_map(user) -> bool:
    return is_map_editor(get_scope(user))


@access.register_permission("goals.view")
def _view_goals(user) -> bool:
    return _person(get_scope(user))


@access.register_permission("goals.smart_report")
def _smart_report(user) -> bool:
    scope = get_scope(user)
    return _person(scope) and bool(scope.roles & (MAP_EDITORS | {Role.HR_VP}))
