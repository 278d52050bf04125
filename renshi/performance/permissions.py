"""Access policies of performance cycles (docs/performance.md has the table).

* The indicator library: every person of the company reads it; the performance manager and the
  HR VP edit it (``performance.manage_library``).
* Plans: the performance manager, the HR VP and the GM see every plan of the company; other
  people see a plan once it reaches their part — VPs from ``vp_review`` on when it covers a
  department they supervise, heads and employees from ``assigning`` on when it covers their
  department scope. Drafts are the performance manager's (and the HR VP's, who may edit during
  review — each edit is audited and shown as a diff).
* Scorecards and everything hanging off them follow the employee: the employee themself, the
  heads and VPs whose scope holds the scorecard's department, and the company-wide roles.
  Before results are published an employee sees their own scorecard but not the score
  (enforced by selectors/serializers, not by the row policy).
* 360 answers are never read row by row through the access layer except by the scoring
  service; pages show aggregates of at least three answers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from renshi.core import access
from renshi.org.models import Role
from renshi.org.scope import get_scope

from .models import (
    Answer360,
    Appeal,
    ImprovementPlan,
    IndicatorTemplate,
    ItemComment,
    Plan,
    PlanComment,
    PlanDepartment,
    PlanIndicator,
    Rater360,
    Scorecard,
    ScorecardItem,
)

PLAN_OFFICE = frozenset({Role.PERFORMANCE_MANAGER, Role.HR_VP})
COMPANY_READERS = frozenset({Role.PERFORMANCE_MANAGER, Role.HR_VP, Role.GENERAL_MANAGER})
VISIBLE_TO_VPS = frozenset(set(Plan.Status.values) - {Plan.Status.DRAFT, Plan.Status.HR_REVIEW})
VISIBLE_TO_DEPARTMENTS = frozenset(VISIBLE_TO_VPS - {Plan.Status.VP_REVIEW, Plan.Status.GM_FILING})


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


def is_plan_office(scope) -> bool:
    return _person(scope) and bool(scope.roles & PLAN_OFFICE)


def reads_all_plans(scope) -> bool:
    return _person(scope) and bool(scope.roles & COMPANY_READERS)


def _department_ids(scope) -> set[int]:
    ids = set(scope.department_ids)
    if scope.own_department_id:
        ids.add(scope.own_department_id)
    return ids


def plan_view_q(scope) -> Q | None:
    if not _person(scope):
        return None
    if reads_all_plans(scope):
        return Q()
    departments = _department_ids(scope)
    condition = Q(status__in=VISIBLE_TO_DEPARTMENTS, parts__department_id__in=departments)
    if scope.supervised_department_ids:
        condition |= Q(
            status__in=VISIBLE_TO_VPS,
            parts__department_id__in=scope.department_ids,
        )
    return condition


@access.register_policy(IndicatorTemplate)
class IndicatorTemplatePolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or not _person(scope):
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW or is_plan_office(scope):
            return queryset
        return queryset.none()


@access.register_policy(Plan)
class PlanPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            condition = plan_view_q(scope)
            if condition is None:
                return queryset.none()
            return queryset.filter(condition).distinct() if condition else queryset
        if action == access.CHANGE and is_plan_office(scope):
            return queryset
        return queryset.none()


class _FollowsPlan:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        plans = access.restrict(Plan, user, action)
        return queryset.filter(plan__in=plans.values("pk"))


for _model in (PlanDepartment, PlanIndicator, PlanComment):
    access.register_policy(_model)(type(f"{_model.__name__}Policy", (_FollowsPlan,), {}))


def scorecard_view_q(scope) -> Q | None:
    if not _person(scope):
        return None
    if reads_all_plans(scope):
        return Q()
    return Q(employee_id=scope.employee_id) | Q(department_id__in=scope.department_ids)


@access.register_policy(Scorecard)
class ScorecardPolicy:
    """VIEW as described above. CHANGE (assign, evaluate) — heads and VPs whose scope holds the
    department, never on their own scorecard; the plan office for everyone. Employees act on
    their own scorecard through dedicated services (confirm, self-evaluate, acknowledge,
    appeal), which check ownership themselves."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            condition = scorecard_view_q(scope)
            if condition is None:
                return queryset.none()
            return queryset.filter(condition)
        if action == access.CHANGE and _person(scope):
            if is_plan_office(scope):
                return queryset.exclude(employee_id=scope.employee_id)
            return queryset.filter(department_id__in=scope.department_ids).exclude(
                employee_id=scope.employee_id
            )
        return queryset.none()


class _FollowsScorecard:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        cards = access.restrict(Scorecard, user, access.VIEW if action == access.VIEW else action)
        return queryset.filter(scorecard__in=cards.values("pk"))


for _model in (ScorecardItem, Rater360, Appeal, ImprovementPlan):
    access.register_policy(_model)(type(f"{_model.__name__}Policy", (_FollowsScorecard,), {}))


@access.register_policy(ItemComment)
class ItemCommentPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        items = access.restrict(ScorecardItem, user, access.VIEW)
        return queryset.filter(item__in=items.values("pk"))


@access.register_policy(Answer360)
class Answer360Policy:
    """No page or API lists answers; only the scoring service reads them (system actor)."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        return queryset.none()


@access.register_permission("performance.manage_library")
def _manage_library(user) -> bool:
    return is_plan_office(get_scope(user))


@access.register_permission("performance.draft_plans")
def _draft_plans(user) -> bool:
    scope = get_scope(user)
    return _person(scope) and scope.has_role(Role.PERFORMANCE_MANAGER)


@access.register_permission("performance.view")
def _view(user) -> bool:
    return _person(get_scope(user))
