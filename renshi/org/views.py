"""Organisation pages: landing page, chart, departments, employee directory and records, roles.

Views only parse input, call a selector or a service and render. Every queryset comes through
``renshi.core.access``: out-of-scope objects answer 404, missing function-level permissions 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import render_page
from renshi.core.selectors import audit_entries_for, audit_log_allowed, describe_entries

from . import selectors, services
from .forms import (
    DepartmentForm,
    EmployeeForm,
    PositionForm,
    RoleAssignForm,
    apply_validation_error,
)
from .models import Company, Department, Employee, Position, Role, RoleAssignment
from .permissions import can_view_sensitive, grantable_roles
from .scope import get_scope

PAGE_SIZE = 50
INVALID = 422  # a submitted form with errors is re-rendered with this status
CONFLICT = 409


def _submit(form, save: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``save`` (a service call) for a submitted form. Returns (result, HTTP status);
    validation errors and stale versions land on the form and nothing is saved."""
    if not form.is_valid():
        return None, INVALID
    try:
        return save(), 200
    except ConflictError as exc:
        form.add_error(None, str(exc))
        return None, CONFLICT
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None, INVALID


ROLE_LABELS: dict[str, Any] = {
    **dict(Role.choices),
    "department_manager": gettext_lazy("Department manager"),
    "employee": gettext_lazy("Employee"),
}
ROLE_ORDER = [r.value for r in Role] + ["department_manager", "employee"]


def _paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


# --- landing page ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = get_scope(user)
    employee = None
    if scope.employee_id is not None:
        employee = (
            Employee.objects.filter(pk=scope.employee_id)
            .select_related("department", "position")
            .defer("national_id", "bank_account")
            .first()
        )
    links = []
    candidates = [
        (
            "org.view_directory",
            "org:chart",
            gettext_lazy("Organisation chart"),
            gettext_lazy("Departments, heads and head counts you may see."),
        ),
        (
            "org.view_directory",
            "org:employee_list",
            gettext_lazy("Employee directory"),
            gettext_lazy("Search and filter the people in your scope."),
        ),
        (
            "org.manage_employees",
            "org:employee_create",
            gettext_lazy("New employee"),
            gettext_lazy("Create an employee record."),
        ),
        (
            "org.import_employees",
            "org:employee_import",
            gettext_lazy("Import employees"),
            gettext_lazy("Upload an Excel file; a dry run shows every error first."),
        ),
        (
            "org.manage_departments",
            "org:department_create",
            gettext_lazy("New department"),
            gettext_lazy("Add a department to the tree."),
        ),
        (
            "org.assign_roles",
            "org:role_list",
            gettext_lazy("Roles"),
            gettext_lazy(
                "Who holds which role, and which departments a vice president supervises."
            ),
        ),
    ]
    for perm, url_name, label, description in candidates:
        if access.has_perm(user, perm):
            links.append({"url": reverse(url_name), "label": label, "description": description})
    roles = [ROLE_LABELS[r] for r in ROLE_ORDER if r in scope.roles]
    return render(
        request,
        "org/home.html",
        {"scope": scope, "employee": employee, "roles": roles, "links": links},
    )


# --- organisation chart and departments ---------------------------------------------------


@login_required
@require_http_methods(["GET"])
def org_chart(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "org.view_directory")
    return render(
        request,
        "org/chart.html",
        {
            "roots": selectors.org_chart(user=request.user),
            "can_create": access.has_perm(request.user, "org.manage_departments"),
        },
    )


@login_required
@require_http_methods(["GET"])
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    department = access.get_object_or_404(
        Department.objects.select_related("parent", "head", "head__position"), user, pk=pk
    )
    page = _paginate(request, selectors.department_members(department=department, user=user))
    context = {
        "department": department,
        "parent_visible": department.parent_id is not None
        and access.can(user, access.VIEW, department.parent),
        "children": selectors.department_children(department=department, user=user),
        "head_visible": department.head_id is not None
        and access.can(user, access.VIEW, department.head),
        "page_obj": page,
        "can_edit": access.can(user, access.CHANGE, department),
        "can_see_changes": audit_log_allowed(user),
    }
    return render_page(request, "org/department_detail.html", context, partial="members")


def _department_form_page(
    request: HttpRequest, form: DepartmentForm, department: Department | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "org/department_form.html",
        {"form": form, "department": department},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_create(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "org.manage_departments")
    form = DepartmentForm(request.POST or None, user=request.user)
    if request.method == "POST":
        department, status = _submit(
            form, lambda: services.department_create(actor=request.user, **form.service_data())
        )
        if department is not None:
            messages.success(
                request, _("Department %(name)s was created.") % {"name": department.name}
            )
            return redirect(department)
        return _department_form_page(request, form, None, status)
    return _department_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    department = access.get_object_or_404(Department.objects.select_related("head"), user, pk=pk)
    access.ensure(user, access.CHANGE, department)
    form = DepartmentForm(request.POST or None, user=user, department=department)
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services.department_update(
                actor=user,
                department=department,
                version=form.cleaned_data.get("version"),
                **form.service_data(),
            ),
        )
        if saved is not None:
            messages.success(request, _("Department %(name)s was saved.") % {"name": saved.name})
            return redirect(saved)
        return _department_form_page(request, form, department, status)
    return _department_form_page(request, form, department)


# --- change logs ------------------------------------------------------------------------------


def _changes_page(
    request: HttpRequest, obj: models.Model, back_url: str, title: str
) -> HttpResponse:
    user = request.user
    if not audit_log_allowed(user):
        raise PermissionDenied
    page = _paginate(request, audit_entries_for(obj, user).select_related("content_type"))
    rows = describe_entries(list(page.object_list), type(obj), user)
    context = {"object": obj, "page_obj": page, "rows": rows, "back_url": back_url, "title": title}
    return render_page(request, "org/changes.html", context, partial="results")


@login_required
@require_http_methods(["GET"])
def department_changes(request: HttpRequest, pk: int) -> HttpResponse:
    department = access.get_object_or_404(Department, request.user, pk=pk)
    return _changes_page(
        request,
        department,
        department.get_absolute_url(),
        _("Change log of %(name)s") % {"name": department.name},
    )


@login_required
@require_http_methods(["GET"])
def employee_changes(request: HttpRequest, pk: int) -> HttpResponse:
    employee = access.get_object_or_404(
        Employee.objects.defer("national_id", "bank_account"), request.user, pk=pk
    )
    return _changes_page(
        request,
        employee,
        employee.get_absolute_url(),
        _("Change log of %(name)s") % {"name": employee.name},
    )


# --- employees ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def employee_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "org.view_directory")
    search = selectors.employee_search(user=user, params=request.GET)
    queryset = search.queryset.only(*selectors.LIST_FIELDS)
    page = _paginate(request, queryset)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": search.form,
        "page_obj": page,
        "query": query.urlencode(),
        "can_export": access.has_perm(user, "org.export_employees"),
        "can_import": access.has_perm(user, "org.import_employees"),
        "can_create": access.has_perm(user, "org.manage_employees"),
    }
    return render_page(request, "org/employee_list.html", context, partial="results")


@login_required
@require_http_methods(["GET", "POST"])
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    employee = access.get_object_or_404(
        Employee.objects.select_related("company", "department", "position", "manager", "user"),
        user,
        pk=pk,
    )
    scope = get_scope(user)
    is_self = scope.employee_id == employee.pk
    may_see_sensitive = can_view_sensitive(user, employee)
    revealed = may_see_sensitive and is_self
    if request.method == "POST":
        if not may_see_sensitive:
            raise PermissionDenied
        if not is_self:
            services.employee_sensitive_view(actor=user, employee=employee)
        revealed = True
    context = {
        "employee": employee,
        "is_self": is_self,
        "revealed": revealed,
        "can_reveal": may_see_sensitive and not revealed,
        "manager_visible": employee.manager_id is not None
        and access.can(user, access.VIEW, employee.manager),
        "department_visible": access.can(user, access.VIEW, employee.department),
        "history": selectors.employee_history(employee=employee, user=user)[:100],
        "roles": selectors.employee_roles(employee=employee, user=user),
        "can_edit": access.can(user, access.CHANGE, employee),
        "can_issue_login": not is_self
        and employee.status != Employee.Status.LEFT
        and access.has_perm(user, "org.manage_employees")
        and access.can(user, access.CHANGE, employee),
        "can_see_changes": audit_log_allowed(user),
        "can_assign_roles": access.has_perm(user, "org.assign_roles") and not is_self,
    }
    partial = "sensitive" if request.method == "POST" else None
    response = render_page(request, "org/employee_detail.html", context, partial=partial)
    if revealed:
        add_never_cache_headers(response)
    return response


def _employee_form_page(
    request: HttpRequest, form: EmployeeForm, employee: Employee | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "org/employee_form.html", {"form": form, "employee": employee}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def employee_create(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "org.manage_employees")
    form = EmployeeForm(request.POST or None, user=request.user)
    if request.method == "POST":
        employee, status = _submit(
            form, lambda: services.employee_create(actor=request.user, **form.service_data())
        )
        if employee is not None:
            messages.success(request, _("Employee %(name)s was created.") % {"name": employee.name})
            return redirect(employee)
        return _employee_form_page(request, form, None, status)
    return _employee_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def employee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    employee = access.get_object_or_404(Employee.objects.select_related("manager"), user, pk=pk)
    access.ensure(user, access.CHANGE, employee)
    form = EmployeeForm(request.POST or None, user=user, employee=employee)
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services.employee_update(
                actor=user,
                employee=employee,
                version=form.cleaned_data.get("version"),
                effective_date=form.cleaned_data.get("effective_date"),
                **form.service_data(),
            ),
        )
        if saved is not None:
            messages.success(request, _("Employee %(name)s was saved.") % {"name": saved.name})
            return redirect(saved)
        return _employee_form_page(request, form, employee, status)
    return _employee_form_page(request, form, employee)


@login_required
@require_http_methods(["GET"])
def me(request: HttpRequest) -> HttpResponse:
    scope = get_scope(request.user)
    if scope.employee_id is None:
        return render(request, "org/no_employee.html", {})
    return redirect("org:employee_detail", pk=scope.employee_id)


# --- roles --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def role_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "org.assign_roles")
    page = _paginate(request, selectors.role_assignments(user=user))
    ids = [a.pk for a in page.object_list]
    grantable = set(grantable_roles(user))
    revocable = set(
        access.restrict(RoleAssignment, user, access.DELETE)
        .filter(pk__in=ids, role__in=grantable)
        .values_list("pk", flat=True)
    )
    return render_page(
        request,
        "org/role_list.html",
        {"page_obj": page, "revocable": revocable},
        partial="results",
    )


@login_required
@require_http_methods(["GET", "POST"])
def role_assign(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "org.assign_roles")
    initial = {}
    if request.method == "GET" and request.GET.get("employee"):
        initial["employee"] = request.GET["employee"][:32]
    form = RoleAssignForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        assignment, status = _submit(
            form,
            lambda: services.role_assign(
                actor=user,
                employee=form.cleaned_data["employee"],
                role=form.cleaned_data["role"],
                departments=list(form.cleaned_data["departments"]),
            ),
        )
        if assignment is not None:
            messages.success(
                request,
                _("%(name)s now holds the role %(role)s.")
                % {"name": assignment.employee.name, "role": assignment.get_role_display()},
            )
            return redirect("org:role_list")
    return render(request, "org/role_assign.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    access.require_perm(user, "org.assign_roles")
    assignment = access.get_object_or_404(
        RoleAssignment.objects.select_related("employee"), user, pk=pk
    )
    access.ensure(user, access.DELETE, assignment)
    if assignment.role not in grantable_roles(user):
        raise PermissionDenied
    if request.method == "POST":
        services.role_revoke(actor=user, assignment=assignment)
        messages.success(
            request,
            _("The role %(role)s of %(name)s was revoked.")
            % {"name": assignment.employee.name, "role": assignment.get_role_display()},
        )
        return redirect("org:role_list")
    return render(request, "org/role_revoke.html", {"assignment": assignment})


@login_required
@require_http_methods(["POST"])
def employee_login(request: HttpRequest, pk: int) -> HttpResponse:
    """HR creates a login or issues a temporary password; the password is shown once."""
    employee = access.get_object_or_404(Employee, request.user, pk=pk)
    try:
        login_user, password = services.employee_issue_login(
            actor=request.user, employee=employee, username=request.POST.get("username", "")[:150]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(employee)
    response = render(
        request,
        "org/employee_login_issued.html",
        {"employee": employee, "login_user": login_user, "password": password},
    )
    add_never_cache_headers(response)
    return response


# --- positions ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def position_list(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "org.view_directory")
    positions = selectors.position_list(user=request.user)
    return render(
        request,
        "org/position_list.html",
        {
            "positions": positions,
            "can_manage": access.has_perm(request.user, "org.manage_employees"),
        },
    )


def _position_form_page(request, form, position, status=200) -> HttpResponse:
    return render(
        request, "org/position_form.html", {"form": form, "position": position}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def position_create(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "org.manage_employees")
    form = PositionForm(request.POST or None)
    if request.method == "POST":
        position, status = _submit(
            form,
            lambda: services.position_create(
                actor=request.user,
                company=access.restrict(Company, request.user).get(),
                **form.cleaned_data,
            ),
        )
        if position is not None:
            messages.success(request, _("Position %(name)s was created.") % {"name": position})
            return redirect("org:position_list")
        return _position_form_page(request, form, None, status)
    return _position_form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def position_edit(request: HttpRequest, pk: int) -> HttpResponse:
    position = access.get_object_or_404(Position, request.user, pk=pk)
    access.ensure(request.user, access.CHANGE, position)
    form = PositionForm(
        request.POST or None,
        initial={
            "title": position.title,
            "grade": position.grade,
            "job_family": position.job_family,
        },
    )
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services.position_update(
                actor=request.user, position=position, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Position %(name)s was saved.") % {"name": saved})
            return redirect("org:position_list")
        return _position_form_page(request, form, position, status)
    return _position_form_page(request, form, position)
