"""Access policies of the alerts app (docs/alerts.md, "Who sees what").

* ``Alert``: visible to its recipients (whoever it was addressed to, escalation included), to
  people whose scope holds its subject — an alert about an employee's goal like that employee
  (their department's heads and VPs), an alert about a department like the department (its
  heads and VPs) — and to the company-wide roles (GM, HR VP, performance manager). An employee
  sees the alerts addressed to them; they do not see alerts about their department. Changed
  (resolved by hand) by the company-wide roles and the managers whose scope holds the subject,
  never by the employee the alert is about.
* ``AlertRule`` and ``CalendarDay``: people with ``alerts.manage_rules`` /
  ``alerts.manage_calendar`` (HR VP, performance manager) read and change them.
* Integration keys see nothing here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from renshi.core import access
from renshi.org.models import Role
from renshi.org.scope import get_scope

from .models import Alert, AlertRecipient, AlertRule, CalendarDay

RULE_MANAGERS = frozenset({Role.HR_VP, Role.PERFORMANCE_MANAGER})
EVALUATORS = frozenset({Role.GENERAL_MANAGER, Role.HR_VP, Role.PERFORMANCE_MANAGER})


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


def _manages_rules(scope) -> bool:
    return _person(scope) and bool(scope.roles & RULE_MANAGERS)


def _in_scope_q(scope) -> Q:
    """Alerts whose subject lies in the departments the person manages."""
    departments = scope.department_ids
    if not departments:
        return Q(pk__in=[])
    return Q(scope_employee__department_id__in=departments) | Q(
        scope_employee__isnull=True, scope_department_id__in=departments
    )


@access.register_policy(Alert)
class AlertPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or not _person(scope):
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            if scope.company_wide:
                return queryset
            mine = AlertRecipient.objects.filter(alert_id=OuterRef("pk"), user_id=user.pk)
            return queryset.filter(Exists(mine) | _in_scope_q(scope))
        if action == access.CHANGE:
            if scope.company_wide:
                return queryset.exclude(scope_employee_id=scope.employee_id)
            return queryset.filter(_in_scope_q(scope)).exclude(scope_employee_id=scope.employee_id)
        return queryset.none()


class _ManagedByRuleManagers:
    permission = "alerts.manage_rules"

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or not _manages_rules(scope):
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action in (access.VIEW, access.CHANGE, access.DELETE):
            return queryset
        return queryset.none()


@access.register_policy(AlertRule)
class AlertRulePolicy(_ManagedByRuleManagers):
    pass


@access.register_policy(CalendarDay)
class CalendarDayPolicy(_ManagedByRuleManagers):
    pass


@access.register_permission("alerts.view")
def _view(user) -> bool:
    """The alert list: every person of a company (their own alerts at least)."""
    return _person(get_scope(user))


@access.register_permission("alerts.manage_rules")
def _manage_rules(user) -> bool:
    return _manages_rules(get_scope(user))


@access.register_permission("alerts.manage_calendar")
def _manage_calendar(user) -> bool:
    return _manages_rules(get_scope(user))


@access.register_permission("alerts.evaluate")
def _evaluate(user) -> bool:
    """ "Evaluate now": GM, HR VP, performance manager (an evaluation covers the company)."""
    scope = get_scope(user)
    return _person(scope) and bool(scope.roles & EVALUATORS)
