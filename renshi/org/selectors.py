"""Reads of the organisation app for pages, exports and the API. Everything through the access
layer; the number of queries never depends on the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from renshi.core import access

from .models import Department, Employee, EmployeeHistory, Position, RoleAssignment
from .scope import company_children, get_scope, subtree_ids

# --- organisation chart -------------------------------------------------------------------


@dataclass
class ChartNode:
    department: Department
    # None when the user may see the department but not its people (their own department)
    head_count: int | None
    children: list[ChartNode] = field(default_factory=list)
    total: int | None = None


def org_chart(*, user: Any) -> list[ChartNode]:
    """The visible department tree with heads and head counts (active = not left).

    Two queries: the visible departments with their heads, and the active employees per
    department counted in the database through the access layer. A department whose people are
    out of the user's scope (their own department, for an employee) shows no count."""
    scope = get_scope(user)
    departments = list(
        access.restrict(Department, user, access.VIEW)
        .select_related("head")
        .order_by("sort_order", "code")
    )
    counts = dict(
        access.restrict(Employee, user, access.VIEW)
        .exclude(status=Employee.Status.LEFT)
        .values("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    nodes: dict[int, ChartNode] = {}
    for d in departments:
        countable = scope.company_wide or d.pk in scope.department_ids
        nodes[d.pk] = ChartNode(department=d, head_count=counts.get(d.pk, 0) if countable else None)
    roots: list[ChartNode] = []
    for d in departments:
        parent = nodes.get(d.parent_id) if d.parent_id else None
        (parent.children if parent else roots).append(nodes[d.pk])

    def total(node: ChartNode) -> int | None:
        # a countable department's subtree is countable too (scopes are whole subtrees)
        sums = [total(child) for child in node.children]
        if node.head_count is None:
            node.total = None
        else:
            node.total = node.head_count + sum(s for s in sums if s is not None)
        return node.total

    for root in roots:
        total(root)
    return roots


# --- departments --------------------------------------------------------------------------

# Columns of employee tables (directory, department members). Loading only these keeps the
# per-row cost low (no decryption of sensitive fields, smaller audit snapshots).
LIST_FIELDS = (
    "id",
    "company_id",
    "employee_no",
    "name",
    "department_id",
    "position_id",
    "manager_id",
    "hire_date",
    "status",
    "department__id",
    "department__name",
    "department__code",
    "position__id",
    "position__title",
    "position__grade",
    "manager__id",
    "manager__name",
)


def department_members(*, department: Department, user: Any) -> QuerySet:
    """The employees of one department that the user may see (active first)."""
    return (
        access.restrict(Employee, user, access.VIEW)
        .filter(department_id=department.pk)
        .select_related("department", "position", "manager")
        .only(*LIST_FIELDS)
        .order_by("status", "employee_no")
    )


def department_children(*, department: Department, user: Any) -> QuerySet:
    return access.restrict(Department, user, access.VIEW).filter(parent_id=department.pk)


# --- employee directory -------------------------------------------------------------------

ORDERINGS: dict[str, tuple[str, ...]] = {
    "employee_no": ("employee_no",),
    "-employee_no": ("-employee_no",),
    "name": ("name", "employee_no"),
    "-name": ("-name", "employee_no"),
    "department": ("department__sort_order", "department__code", "employee_no"),
    "-department": ("-department__sort_order", "-department__code", "employee_no"),
    "hire_date": ("hire_date", "employee_no"),
    "-hire_date": ("-hire_date", "employee_no"),
    "status": ("status", "employee_no"),
}
DEFAULT_ORDERING = "employee_no"


@dataclass
class EmployeeSearch:
    """The result of ``employee_search``: the bound filter form and the matching employees."""

    form: Any  # renshi.org.forms.EmployeeFilterForm
    queryset: QuerySet

    @property
    def is_valid(self) -> bool:
        return self.form.is_valid()


def employee_search(*, user: Any, params: Any) -> EmployeeSearch:
    """The employee directory query for ``params`` (a QueryDict such as ``request.GET``).

    Parameters: ``q`` (name, employee number, email, phone), ``department`` (an id the user may
    see), ``sub`` (include sub-departments), ``position``, ``status``, ``order`` (allow-list).
    Invalid parameters (e.g. a department out of scope) give no rows and form errors — never a
    wider result. Used by the directory page and the Excel export alike."""
    from .forms import EmployeeFilterForm

    form = EmployeeFilterForm(params or None, user=user)
    queryset = access.restrict(Employee, user, access.VIEW).select_related(
        "department", "position", "manager"
    )
    if form.is_bound and not form.is_valid():
        return EmployeeSearch(form=form, queryset=queryset.none())
    data = form.cleaned_data if form.is_bound else {}
    q = (data.get("q") or "").strip()
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q)
            | Q(employee_no__icontains=q)
            | Q(email__icontains=q)
            | Q(phone__contains=q.replace(" ", ""))
        )
    department = data.get("department")
    if department is not None:
        if data.get("sub"):
            ids = subtree_ids(company_children(department.company_id), {department.pk})
            queryset = queryset.filter(department_id__in=ids)
        else:
            queryset = queryset.filter(department_id=department.pk)
    position = data.get("position")
    if position is not None:
        queryset = queryset.filter(position_id=position.pk)
    status = data.get("status")
    if status == "active":
        queryset = queryset.exclude(status=Employee.Status.LEFT)
    elif status:
        queryset = queryset.filter(status=status)
    order = data.get("order") or DEFAULT_ORDERING
    queryset = queryset.order_by(*ORDERINGS.get(order, ORDERINGS[DEFAULT_ORDERING]))
    return EmployeeSearch(form=form, queryset=queryset)


# --- employee detail ----------------------------------------------------------------------


def employee_history(*, employee: Employee, user: Any) -> QuerySet:
    """Moves of one employee (department, position, manager, status), newest first."""
    return (
        access.restrict(EmployeeHistory, user, access.VIEW)
        .filter(employee_id=employee.pk)
        .select_related("changed_by")
        .order_by("-effective_date", "-changed_at", "-id")
    )


def employee_roles(*, employee: Employee, user: Any) -> QuerySet:
    return (
        access.restrict(RoleAssignment, user, access.VIEW)
        .filter(employee_id=employee.pk)
        .prefetch_related(_visible_departments(user))
    )


def _visible_departments(user: Any) -> Prefetch:
    return Prefetch("departments", queryset=access.restrict(Department, user, access.VIEW))


def role_assignments(*, user: Any) -> QuerySet:
    """Every role assignment the user may see, with its employee and supervised departments."""
    return (
        access.restrict(RoleAssignment, user, access.VIEW)
        .select_related("employee", "employee__department", "granted_by")
        .prefetch_related(_visible_departments(user))
        .order_by("role", "employee__employee_no")
    )


def position_list(*, user: Any) -> QuerySet:
    """The company's positions with the number of active employees holding each."""
    return (
        access.restrict(Position, user, access.VIEW)
        .annotate(holders=Count("employees", filter=~Q(employees__status=Employee.Status.LEFT)))
        .order_by("job_family", "title", "grade")
    )
