"""Access policies and function-level permissions of the metrics app (docs/metrics.md).

* The catalogue (metrics): every person of the company reads it; integration keys read it
  with ``metrics.write``; the performance manager and the HR VP manage it (``metrics.manage``).
* Data points follow their subject: employee points like the employee (org policy), department
  points like the department, company points for every person of the company. Integration keys
  never read points; they write them through the ingestion service, limited to the metric keys
  their scope names (``Scope.api_metric_patterns``).
* Writing points as a person (``metrics.ingest``: uploads, typed values): the managers of the
  metrics for every subject of the company; VPs and department heads for the employees and
  departments of their scope (``writable_subject_q``).
* Batches: managers of the metrics see all of the company's; others see their own.
* Connectors: managers of the metrics only.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from django.db.models import Q, QuerySet

from renshi.core import access
from renshi.org.models import Department, Employee, Role
from renshi.org.scope import get_scope

from .models import Connector, DataPoint, IngestBatch, Metric, SubjectKind

METRIC_MANAGERS = frozenset({Role.HR_VP, Role.PERFORMANCE_MANAGER})
API_WRITE = "metrics.write"


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


def is_metric_manager(scope) -> bool:
    return _person(scope) and bool(scope.roles & METRIC_MANAGERS)


def api_may_write(scope, metric_key: str) -> bool:
    """An integration key may write a metric when it holds ``metrics.write`` and one of its
    metric patterns (``crm.*``, ``attendance.rate``, ``*``) matches the key."""
    if not scope.api_allows(API_WRITE):
        return False
    return any(fnmatch.fnmatchcase(metric_key, p) for p in scope.api_metric_patterns)


@access.register_policy(Metric)
class MetricPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            if _person(scope) or scope.api_allows(API_WRITE):
                return queryset
            return queryset.none()
        if action == access.CHANGE and is_metric_manager(scope):
            return queryset
        return queryset.none()


def point_view_q(user: Any) -> Q:
    """The data points a person may read, as a Q on DataPoint."""
    scope = get_scope(user)
    if scope.company_wide:
        return Q()
    people = access.restrict(Employee, user, access.VIEW).values("pk")
    departments = access.restrict(Department, user, access.VIEW).values("pk")
    return (
        Q(subject_kind=SubjectKind.EMPLOYEE, subject_id__in=people)
        | Q(subject_kind=SubjectKind.DEPARTMENT, subject_id__in=departments)
        | Q(subject_kind=SubjectKind.COMPANY)
    )


def writable_subject_q(scope) -> Q | None:
    """The subjects a person may write points for, as a Q on DataPoint (None: none)."""
    if not _person(scope):
        return None
    if is_metric_manager(scope):
        return Q()
    if not scope.department_ids:
        return None
    people = Employee.objects.filter(
        company_id=scope.company_id, department_id__in=scope.department_ids
    ).values("pk")
    return Q(subject_kind=SubjectKind.EMPLOYEE, subject_id__in=people) | Q(
        subject_kind=SubjectKind.DEPARTMENT, subject_id__in=scope.department_ids
    )


@access.register_policy(DataPoint)
class DataPointPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or not _person(scope):
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            return queryset.filter(point_view_q(user))
        condition = writable_subject_q(scope)
        if action == access.CHANGE and condition is not None:
            return queryset.filter(condition)
        return queryset.none()


@access.register_policy(IngestBatch)
class IngestBatchPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or not _person(scope):
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if is_metric_manager(scope) and action == access.VIEW:
            return queryset
        if action in (access.VIEW, access.CHANGE):
            return queryset.filter(created_by_id=user.pk)
        return queryset.none()


@access.register_policy(Connector)
class ConnectorPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or not is_metric_manager(scope):
            return queryset.none()
        return queryset.filter(company_id=scope.company_id)


@access.register_permission("metrics.view")
def _view(user) -> bool:
    return _person(get_scope(user))


@access.register_permission("metrics.manage")
def _manage(user) -> bool:
    return is_metric_manager(get_scope(user))


@access.register_permission("metrics.ingest")
def _ingest(user) -> bool:
    return writable_subject_q(get_scope(user)) is not None
