"""Access policies and function-level permissions of the organisation app.

Everything here is a function of ``scope.get_scope(user)``; docs/access.md renders the same
rules as a table. Registered with ``renshi.core.access`` when the app is ready.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from renshi.core import access
from renshi.core.models import AuditLog

from .models import (
    Company,
    Department,
    Employee,
    EmployeeHistory,
    ImportBatch,
    Position,
    Role,
    RoleAssignment,
)
from .scope import get_scope

HR_ROLES = frozenset({Role.HR_VP})
ROLE_ADMIN_ROLES = frozenset({Role.GENERAL_MANAGER, Role.HR_VP})


def _is_hr(scope) -> bool:
    return bool(scope.roles & HR_ROLES) and scope.employee_id is not None


def _visible_department_ids(scope) -> set[int]:
    ids = set(scope.department_ids)
    if scope.own_department_id:
        ids.add(scope.own_department_id)
    return ids


@access.register_policy(Company)
class CompanyPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or action != access.VIEW:
            return queryset.none()
        return queryset.filter(pk=scope.company_id)


class CompanyDataPolicy:
    """Rows of the user's company only; an integration key reads them when it holds
    ``api_read_scope`` and never writes. Subclasses decide for people in ``for_person``."""

    api_read_scope = "org.read"

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if scope.is_api_key:
            allowed = action == access.VIEW and scope.api_allows(self.api_read_scope)
            return queryset if allowed else queryset.none()
        return self.for_person(queryset, scope, action)

    def for_person(self, queryset: QuerySet, scope, action: str) -> QuerySet:
        raise NotImplementedError


@access.register_policy(Department)
class DepartmentPolicy(CompanyDataPolicy):
    def for_person(self, queryset: QuerySet, scope, action: str) -> QuerySet:
        if action == access.VIEW:
            if scope.company_wide:
                return queryset
            return queryset.filter(pk__in=_visible_department_ids(scope))
        if action in (access.CHANGE, access.DELETE) and has_role_admin(scope):
            return queryset
        return queryset.none()


@access.register_policy(Position)
class PositionPolicy(CompanyDataPolicy):
    def for_person(self, queryset: QuerySet, scope, action: str) -> QuerySet:
        if action == access.VIEW or _is_hr(scope):
            return queryset
        return queryset.none()


@access.register_policy(Employee)
class EmployeePolicy(CompanyDataPolicy):
    def for_person(self, queryset: QuerySet, scope, action: str) -> QuerySet:
        if action == access.VIEW:
            if scope.company_wide:
                return queryset
            return queryset.filter(
                Q(department_id__in=scope.department_ids) | Q(pk=scope.employee_id)
            )
        if action == access.CHANGE and _is_hr(scope):
            return queryset
        return queryset.none()


@access.register_policy(RoleAssignment)
class RoleAssignmentPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or scope.is_api_key:
            return queryset.none()
        queryset = queryset.filter(company_id=scope.company_id)
        if action == access.VIEW:
            if has_role_admin(scope) or scope.company_wide:
                return queryset
            return queryset.filter(employee_id=scope.employee_id)
        if has_role_admin(scope):
            # nobody edits their own roles
            return queryset.exclude(employee_id=scope.employee_id)
        return queryset.none()


@access.register_policy(EmployeeHistory)
class EmployeeHistoryPolicy:
    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        if action != access.VIEW:
            return queryset.none()  # history is written by services only
        visible = access.restrict(Employee.objects.all(), user, access.VIEW)
        return queryset.filter(employee__in=visible.values("pk"))


@access.register_policy(AuditLog)
class AuditLogPolicy:
    """Change logs are read per object (the object must be visible, checked by the view) by
    people with a management scope; nobody writes them except the audit receivers."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if action != access.VIEW or not _view_audit(user):
            return queryset.none()
        return queryset.filter(company_id=scope.company_id)


@access.register_policy(ImportBatch)
class ImportBatchPolicy:
    """A pending import is visible only to the person who uploaded it, in their company, while
    they may import (another user's or company's batch answers 404)."""

    def restrict(self, queryset: QuerySet, user: Any, action: str) -> QuerySet:
        scope = get_scope(user)
        if scope.company_id is None or scope.is_api_key or not _is_hr(scope):
            return queryset.none()
        return queryset.filter(company_id=scope.company_id, uploaded_by_id=user.pk)


def has_role_admin(scope) -> bool:
    return bool(scope.roles & ROLE_ADMIN_ROLES) and scope.employee_id is not None


def grantable_roles(user: Any) -> list[str]:
    """GM may grant every role; the HR VP may grant VP, performance manager and HR VP (never GM).
    Nobody may change their own roles (enforced by the RoleAssignment policy and services)."""
    scope = get_scope(user)
    if scope.employee_id is None:
        return []
    if scope.has_role(Role.GENERAL_MANAGER):
        return [r.value for r in Role]
    if scope.has_role(Role.HR_VP):
        return [Role.VICE_PRESIDENT.value, Role.PERFORMANCE_MANAGER.value, Role.HR_VP.value]
    return []


def can_view_sensitive(user: Any, employee: Employee) -> bool:
    """National ID and bank account in clear: the HR VP of the company, and the person."""
    scope = get_scope(user)
    if scope.company_id != employee.company_id:
        return False
    return _is_hr(scope) or (scope.employee_id is not None and scope.employee_id == employee.pk)


@access.register_permission("core.view_audit")
def _view_audit(user) -> bool:
    """Change logs: people with a management scope (GM, VPs, HR VP, performance manager,
    department heads), for objects they may see."""
    scope = get_scope(user)
    return scope.employee_id is not None and scope.manages_anyone


@access.register_permission("org.manage_employees")
def _manage_employees(user) -> bool:
    return _is_hr(get_scope(user))


@access.register_permission("org.import_employees")
def _import_employees(user) -> bool:
    return _is_hr(get_scope(user))


@access.register_permission("org.export_employees")
def _export_employees(user) -> bool:
    scope = get_scope(user)
    return scope.employee_id is not None and scope.manages_anyone


@access.register_permission("org.manage_departments")
def _manage_departments(user) -> bool:
    return has_role_admin(get_scope(user))


@access.register_permission("org.assign_roles")
def _assign_roles(user) -> bool:
    return has_role_admin(get_scope(user))


@access.register_permission("org.view_directory")
def _view_directory(user) -> bool:
    """The employee list: any person of a company (an employee sees only themselves)."""
    return get_scope(user).employee_id is not None


@access.register_permission("api.manage_keys")
def _manage_api_keys(user) -> bool:
    return has_role_admin(get_scope(user))
