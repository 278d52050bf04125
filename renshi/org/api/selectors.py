"""Reads behind the organisation API. Every queryset goes through ``renshi.core.access``;
filters and ordering come from allow-lists, and ids in filters must be visible to the caller."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from renshi.core import access

from ..models import Company, Department, Employee, Position
from ..scope import get_scope

# ?ordering= values → ORM ordering. Sensitive fields are never orderable.
EMPLOYEE_ORDERING = {
    "employee_no": ("employee_no",),
    "name": ("name", "employee_no"),
    "hire_date": ("hire_date", "employee_no"),
    "status": ("status", "employee_no"),
    "department": ("department__code", "employee_no"),
}
# Columns loaded for lists (no encrypted columns, so nothing is decrypted per row)
EMPLOYEE_LIST_COLUMNS = (
    "id",
    "company_id",
    "employee_no",
    "name",
    "hire_date",
    "probation_end",
    "leave_date",
    "status",
    "email",
    "phone",
    "version",
    "department__id",
    "department__name",
    "department__code",
    "position__id",
    "position__title",
    "position__grade",
    "manager__id",
    "manager__name",
    "manager__employee_no",
)
Q_MAX_LENGTH = 100


def _ordering(value: str | None) -> tuple[str, ...]:
    if not value:
        return ("employee_no",)
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in EMPLOYEE_ORDERING:
        raise ValidationError(
            {
                "ordering": _("Order by one of: %(fields)s")
                % {"fields": ", ".join(sorted(EMPLOYEE_ORDERING))}
            }
        )
    fields = EMPLOYEE_ORDERING[key]
    return tuple("-" + f if descending else f for f in fields)


def employee_list(
    *,
    user: Any,
    department: str | None = None,
    status: str | None = None,
    q: str | None = None,
    ordering: str | None = None,
) -> QuerySet[Employee]:
    """Employees the user may see, filtered. An unknown or invisible department id, an unknown
    status or ordering is an error (400), never a silent widening."""
    errors: dict[str, Any] = {}
    queryset = access.restrict(Employee.objects.all(), user, access.VIEW)
    if department not in (None, ""):
        visible = access.restrict(Department.objects.all(), user, access.VIEW)
        if not str(department).isdigit() or not visible.filter(pk=int(department)).exists():
            errors["department"] = _("No such department.")
        else:
            queryset = queryset.filter(department_id=int(department))
    if status not in (None, ""):
        if status not in Employee.Status.values:
            errors["status"] = _("Unknown status.")
        else:
            queryset = queryset.filter(status=status)
    if q:
        q = q.strip()[:Q_MAX_LENGTH]
        queryset = queryset.filter(Q(name__icontains=q) | Q(employee_no__icontains=q))
    try:
        order = _ordering(ordering)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        order = ()
    if errors:
        raise ValidationError(errors)
    return (
        queryset.select_related("department", "position", "manager")
        .only(*EMPLOYEE_LIST_COLUMNS)
        .order_by(*order)
    )


def employee_get(*, user: Any, pk: Any) -> Employee:
    """One visible employee with its relations (404 when missing or out of scope)."""
    queryset = Employee.objects.select_related("department", "position", "manager").defer(
        "manager__national_id", "manager__bank_account"
    )
    return access.get_object_or_404(queryset, user, access.VIEW, pk=pk)


def department_list(*, user: Any) -> QuerySet[Department]:
    return (
        access.restrict(Department.objects.all(), user, access.VIEW)
        .select_related("head")
        .only(
            "id",
            "company_id",
            "name",
            "code",
            "parent_id",
            "sort_order",
            "version",
            "head__id",
            "head__name",
        )
        .order_by("sort_order", "code")
    )


def department_get(*, user: Any, pk: Any) -> Department:
    return access.get_object_or_404(department_list(user=user), user, access.VIEW, pk=pk)


def position_list(*, user: Any) -> QuerySet[Position]:
    return access.restrict(Position.objects.all(), user, access.VIEW).order_by(
        "job_family", "title", "grade", "id"
    )


def position_get(*, user: Any, pk: Any) -> Position:
    return access.get_object_or_404(position_list(user=user), user, access.VIEW, pk=pk)


def me_summary(*, user: Any) -> dict[str, Any]:
    """Who the caller is: login, employee card, roles and a summary of their scope."""
    scope = get_scope(user)
    employee = None
    if scope.employee_id is not None:
        employee = (
            Employee.objects.select_related("department", "position", "manager")
            .only(*EMPLOYEE_LIST_COLUMNS)
            .get(pk=scope.employee_id)
        )
    company = None
    if scope.company_id is not None:
        company = Company.objects.only("id", "name", "code").get(pk=scope.company_id)
    return {
        "user": {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
        },
        "employee": employee,
        "roles": sorted(scope.roles),
        "scope": {
            "company": company,
            "company_wide": scope.company_wide,
            "department_ids": sorted(scope.department_ids),
            "headed_department_ids": sorted(scope.headed_department_ids),
            "supervised_department_ids": sorted(scope.supervised_department_ids),
        },
    }
