"""Reads behind the organisation API. Every queryset goes through ``renshi.core.access``;
filters and ordering come from allow-lists, and ids in filters must be visible to the caller."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict

from renshi.core import access

from ..forms import EmployeeFilterForm
from ..models import Company, Department, Employee, Position
from ..scope import get_scope
from ..selectors import LIST_FIELDS, employee_search

# ?ordering= values: the directory's allow-list (renshi.org.selectors.ORDERINGS).
EMPLOYEE_ORDERING = tuple(key for key, _label in EmployeeFilterForm.ORDER_CHOICES)
# Columns loaded for lists (no encrypted columns, so nothing is decrypted per row)
EMPLOYEE_LIST_COLUMNS = (
    *LIST_FIELDS,
    "probation_end",
    "leave_date",
    "email",
    "phone",
    "version",
    "manager__employee_no",
)


def employee_list(*, user: Any, params: Any) -> QuerySet[Employee]:
    """Employees the user may see, filtered like the directory page and the Excel export
    (one definition: renshi.org.selectors.employee_search). ``ordering`` is the API's name for
    the page's ``order``. An invisible department, an unknown status or ordering is an error
    (400), never a silent widening."""
    mapped = QueryDict(mutable=True)
    for key in ("q", "department", "sub", "position", "status"):
        value = params.get(key)
        if value not in (None, ""):
            mapped[key] = value
    if params.get("ordering"):
        mapped["order"] = params["ordering"]
    search = employee_search(user=user, params=mapped)
    if search.form.is_bound and not search.form.is_valid():
        raise ValidationError(
            {
                ("ordering" if key == "order" else key): messages
                for key, messages in search.form.errors.items()
            }
        )
    return search.queryset.only(*EMPLOYEE_LIST_COLUMNS)


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
