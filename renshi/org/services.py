"""Writes of the organisation app. Keyword-only, typed, transactional; each re-checks the actor's
permission on the object inside the transaction before commit (access layer)."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.audit import audit_event
from renshi.core.concurrency import bump_version

from . import validators
from .models import Company, Department, Employee, EmployeeHistory, Position, Role, RoleAssignment
from .permissions import can_view_sensitive, grantable_roles
from .scope import clear_scope, get_scope

EMPLOYEE_FIELDS = (
    "employee_no",
    "name",
    "department",
    "position",
    "manager",
    "hire_date",
    "probation_end",
    "status",
    "email",
    "phone",
    "national_id",
    "bank_account",
)
HISTORY_FIELDS = {
    "department": EmployeeHistory.Field.DEPARTMENT,
    "position": EmployeeHistory.Field.POSITION,
    "manager": EmployeeHistory.Field.MANAGER,
    "status": EmployeeHistory.Field.STATUS,
}


def _actor_company(actor: Any) -> int:
    scope = get_scope(actor)
    if scope.company_id is None:
        raise PermissionDenied
    return scope.company_id


# --- companies and departments ------------------------------------------------------------


@transaction.atomic
def company_create(*, name: str, code: str) -> Company:
    """Operator/bootstrap only (demo command, admin): not exposed to business roles."""
    company = Company(name=name, code=code)
    company.full_clean()
    company.save()
    return company


def _check_department_parent(department: Department, parent: Department | None) -> None:
    node = parent
    while node is not None:
        if department.pk is not None and node.pk == department.pk:
            raise ValidationError({"parent": _("A department cannot sit below itself.")})
        node = node.parent
    if parent is not None and parent.company_id != department.company_id:
        raise ValidationError({"parent": _("The parent department belongs to another company.")})


@transaction.atomic
def department_create(
    *,
    actor: Any,
    name: str,
    code: str,
    parent: Department | None = None,
    head: Employee | None = None,
    sort_order: int = 0,
    company: Company | None = None,
) -> Department:
    if company is None:
        access.require_perm(actor, "org.manage_departments")
        company_id = _actor_company(actor)
    else:  # bootstrap (demo, tests, operator command): no business actor
        company_id = company.pk
    department = Department(
        company_id=company_id, name=name, code=code, parent=parent, head=head, sort_order=sort_order
    )
    _check_department_parent(department, parent)
    if head is not None and head.company_id != company_id:
        raise ValidationError({"head": _("The head must work for the same company.")})
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def department_update(
    *, actor: Any, department: Department, version: int | None, **changes: Any
) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    access.ensure(actor, access.CHANGE, department)
    allowed = {"name", "code", "parent", "head", "sort_order"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    for key, value in changes.items():
        setattr(department, key, value)
    _check_department_parent(department, department.parent)
    if department.head is not None and department.head.company_id != department.company_id:
        raise ValidationError({"head": _("The head must work for the same company.")})
    department.full_clean()
    bump_version(department, expected_version=version)
    department.save()
    clear_scope(actor)
    return department


@transaction.atomic
def position_create(
    *, company: Company, title: str, grade: str = "", job_family: str = "", actor: Any = None
) -> Position:
    if actor is not None:
        access.require_perm(actor, "org.manage_employees")
        if _actor_company(actor) != company.pk:
            raise PermissionDenied
    position = Position(company=company, title=title, grade=grade, job_family=job_family)
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def position_update(*, actor: Any, position: Position, **changes: Any) -> Position:
    position = Position.objects.select_for_update().get(pk=position.pk)
    access.ensure(actor, access.CHANGE, position)
    unknown = set(changes) - {"title", "grade", "job_family"}
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    for key, value in changes.items():
        setattr(position, key, value)
    position.full_clean()
    position.save()
    return position


# --- employees ------------------------------------------------------------------------------


def _check_manager_chain(employee: Employee, manager: Employee | None) -> None:
    """No cycles in reporting lines (someone recorded as their own manager included)."""
    seen = set()
    node = manager
    while node is not None:
        if employee.pk is not None and node.pk == employee.pk:
            raise ValidationError(
                {"manager": _("This manager would create a cycle in reporting lines.")}
            )
        if node.pk in seen:
            break
        seen.add(node.pk)
        node = node.manager
    if manager is not None and manager.company_id != employee.company_id:
        raise ValidationError({"manager": _("The manager works for another company.")})


def _validate_employee(employee: Employee) -> None:
    errors: dict[str, list] = {}
    for name, check in (
        ("phone", validators.validate_phone),
        ("national_id", validators.validate_national_id),
        ("bank_account", validators.validate_bank_account),
    ):
        try:
            check(getattr(employee, name) or "")
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    for name in ("department", "position"):
        related = getattr(employee, name)
        if related is not None and related.company_id != employee.company_id:
            errors.setdefault(name, []).append(_("This belongs to another company."))
    if (
        employee.probation_end
        and employee.hire_date
        and employee.probation_end < employee.hire_date
    ):
        errors.setdefault("probation_end", []).append(
            _("Probation cannot end before the hire date.")
        )
    if errors:
        raise ValidationError(errors)
    _check_manager_chain(employee, employee.manager)
    employee.full_clean(validate_unique=True)


def _history_label(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field == "status":
        return str(Employee.Status(value).label)
    return str(value)


def _record_history(
    *, employee: Employee, before: dict[str, Any], actor: Any, effective_date: datetime.date
) -> list[EmployeeHistory]:
    rows = history_rows(
        employee=employee, before=before, actor=actor, effective_date=effective_date
    )
    EmployeeHistory.objects.bulk_create(rows)
    return rows


def history_rows(
    *, employee: Employee, before: dict[str, Any], actor: Any, effective_date: datetime.date
) -> list[EmployeeHistory]:
    """Unsaved history rows for the moves between ``before`` and the employee's current values
    (bulk callers such as the Excel import collect them and save them in one query)."""
    rows = []
    user = actor if getattr(actor, "pk", None) and not getattr(actor, "api_key", None) else None
    for field, kind in HISTORY_FIELDS.items():
        old = before.get(field)
        new = getattr(employee, field)
        old_id = getattr(old, "pk", None)
        new_id = getattr(new, "pk", None)
        if (old_id, old if old_id is None else None) == (new_id, new if new_id is None else None):
            continue
        rows.append(
            EmployeeHistory(
                company_id=employee.company_id,
                employee=employee,
                field=kind,
                old_value=_history_label(field, old)[:200],
                new_value=_history_label(field, new)[:200],
                old_id=old_id,
                new_id=new_id,
                effective_date=effective_date,
                changed_by=user,
            )
        )
    return rows


@transaction.atomic
def employee_create(*, actor: Any, company: Company | None = None, **data: Any) -> Employee:
    """Create an employee. With a business actor, the actor must be HR of the same company;
    ``company`` without an actor is the bootstrap path (demo, tests)."""
    if actor is not None:
        access.require_perm(actor, "org.manage_employees")
        company_id = _actor_company(actor)
        if company is not None and company.pk != company_id:
            raise PermissionDenied
    else:
        company_id = company.pk
    unknown = set(data) - set(EMPLOYEE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %s") % ", ".join(sorted(unknown)))
    employee = Employee(company_id=company_id, **data)
    _validate_employee(employee)
    employee.save()
    return employee


@transaction.atomic
def employee_update(
    *,
    actor: Any,
    employee: Employee,
    version: int | None,
    effective_date: datetime.date | None = None,
    **changes: Any,
) -> Employee:
    """Change an employee; department/position/manager/status moves go to the history.

    ``version`` is the version the client read: a stale one raises ConflictError."""
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    access.ensure(actor, access.CHANGE, employee)
    unknown = set(changes) - set(EMPLOYEE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    before = {field: getattr(employee, field) for field in HISTORY_FIELDS}
    for key, value in changes.items():
        setattr(employee, key, value)
    if employee.status == Employee.Status.LEFT and employee.leave_date is None:
        employee.leave_date = effective_date or timezone.localdate()
    _validate_employee(employee)
    bump_version(employee, expected_version=version)
    employee.save()
    _record_history(
        employee=employee,
        before=before,
        actor=actor,
        effective_date=effective_date or timezone.localdate(),
    )
    if before["status"] != Employee.Status.LEFT and employee.status == Employee.Status.LEFT:
        _end_access(employee)
    # the change must leave the row inside the actor's scope (no editing it out of sight)
    access.ensure(actor, access.VIEW, employee)
    return employee


@transaction.atomic
def employee_sensitive_view(*, actor: Any, employee: Employee) -> None:
    """Record that ``actor`` read the national ID / bank account of ``employee`` in clear.

    Allowed only to those who may see them (the HR VP; a person reading their own record needs
    no record and is not logged)."""
    if not can_view_sensitive(actor, employee):
        raise PermissionDenied
    audit_event(employee, "viewed sensitive fields")


def _end_access(employee: Employee) -> None:
    """An employee who leaves loses their login, sessions and API token at once."""
    if employee.user_id is None:
        return
    user = employee.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_signed_out_everywhere(user=user)
    audit_event(employee, "access ended: login deactivated, sessions and API token revoked")


def user_sessions_end(*, user: Any) -> int:
    """Delete every session of a user (database sessions: scans active sessions)."""
    uid = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == uid
    ]
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_signed_out_everywhere(*, user: Any) -> None:
    """End every session and delete the API token of a user."""
    from rest_framework.authtoken.models import Token

    user_sessions_end(user=user)
    Token.objects.filter(user=user).delete()


@transaction.atomic
def employee_link_user(
    *, employee: Employee, username: str, password: str | None = None, actor: Any = None
) -> Any:
    """Create the login of an employee (bootstrap, or HR)."""
    if actor is not None:
        access.ensure(actor, access.CHANGE, employee)
    if employee.user_id is not None:
        raise ValidationError(_("This employee already has a login."))
    user_model = get_user_model()
    user = user_model(username=username, email=employee.email, first_name=employee.name[:150])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    employee.user = user
    employee.save(update_fields=["user"])
    return user


def _temporary_password() -> str:
    """12 characters from an alphabet without look-alikes (no 0/O, 1/l/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


@transaction.atomic
def employee_issue_login(*, actor: Any, employee: Employee, username: str = "") -> tuple[Any, str]:
    """HR gives an employee a login, or a new temporary password for the existing one.

    Returns (user, temporary password) — the password is shown once and never stored in clear.
    The user must change it at the next login; older sessions and API tokens end."""
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    access.require_perm(actor, "org.manage_employees")
    access.ensure(actor, access.CHANGE, employee)
    if employee.status == Employee.Status.LEFT:
        raise ValidationError(_("An employee who has left cannot get a login."))
    scope = get_scope(actor)
    if scope.employee_id == employee.pk:
        raise PermissionDenied(_("Change your own password on the password page."))
    password = _temporary_password()
    if employee.user_id is None:
        username = (username or "").strip()
        if not username:
            raise ValidationError({"username": _("Choose a username.")})
        user_model = get_user_model()
        if user_model.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = employee_link_user(employee=employee, username=username, password=password)
        message = "login created"
    else:
        user = employee.user
        user.set_password(password)
        user_signed_out_everywhere(user=user)
        message = "temporary password issued"
    user.must_change_password = True
    user.is_active = True
    user.save(update_fields=["password", "must_change_password", "is_active"])
    audit_event(employee, message, {"username": user.get_username()})
    return user, password


# --- roles ------------------------------------------------------------------------------------


@transaction.atomic
def role_assign(
    *, actor: Any, employee: Employee, role: str, departments: list[Department] | None = None
) -> RoleAssignment:
    """Grant a role. Bootstrap callers pass actor=None. Nobody grants a role they may not grant
    or changes their own roles; a VP's departments must be in the same company."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if actor is not None:
        access.require_perm(actor, "org.assign_roles")
        access.ensure(actor, access.VIEW, employee)
        scope = get_scope(actor)
        if scope.employee_id == employee.pk:
            raise PermissionDenied(_("Nobody can change their own roles."))
        if role not in grantable_roles(actor):
            raise PermissionDenied(_("You cannot grant this role."))
    departments = list(departments or [])
    if role == Role.VICE_PRESIDENT and not departments:
        raise ValidationError(
            {"departments": _("A vice president supervises at least one department.")}
        )
    if role != Role.VICE_PRESIDENT and departments:
        raise ValidationError({"departments": _("Only a vice president supervises departments.")})
    if any(d.company_id != employee.company_id for d in departments):
        raise ValidationError({"departments": _("A department belongs to another company.")})
    assignment, _created = RoleAssignment.objects.get_or_create(
        employee=employee,
        role=role,
        defaults={
            "company_id": employee.company_id,
            "granted_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    if role == Role.VICE_PRESIDENT:
        current = set(assignment.departments.values_list("pk", flat=True))
        wanted = {d.pk for d in departments}
        if wanted - current:
            assignment.departments.add(*(wanted - current))
        if current - wanted:
            assignment.departments.remove(*(current - wanted))
    if employee.user_id:
        clear_scope(employee.user)
    return assignment


@transaction.atomic
def role_revoke(*, actor: Any, assignment: RoleAssignment) -> None:
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    access.require_perm(actor, "org.assign_roles")
    access.ensure(actor, access.DELETE, assignment)
    if assignment.role not in grantable_roles(actor):
        raise PermissionDenied(_("You cannot revoke this role."))
    assignment.delete()
