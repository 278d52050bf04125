"""Who may see what: a user's scope in the organisation.

Scope rules (docs/access.md has the table):
* general manager, HR VP, performance manager: the whole company;
* vice president: the departments their VP role assignment lists, with their subtrees —
  never "anyone who manages somebody";
* department manager (head of a department): that department and its subtree;
* employee: themselves (and their own department's card, not its people);
* Django superuser: an operator account — no business scope unless it is linked to an employee;
* integration API key: company-wide read of what its scopes name, never writes through here.

Computed once per request with a constant number of queries (≤ 4) and cached on the user.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .models import Department, Employee, Role, RoleAssignment

COMPANY_WIDE_ROLES = frozenset({Role.GENERAL_MANAGER, Role.HR_VP, Role.PERFORMANCE_MANAGER})


@dataclass(frozen=True)
class Scope:
    company_id: int | None = None
    employee_id: int | None = None
    own_department_id: int | None = None
    roles: frozenset[str] = frozenset()
    company_wide: bool = False
    # departments whose people are visible (VP-supervised and headed subtrees)
    department_ids: frozenset[int] = frozenset()
    headed_department_ids: frozenset[int] = frozenset()
    supervised_department_ids: frozenset[int] = frozenset()
    api_scopes: frozenset[str] = field(default_factory=frozenset)
    # metric keys (fnmatch patterns) a key with "metrics.write" may write
    api_metric_patterns: tuple[str, ...] = ()
    is_api_key: bool = False

    def api_allows(self, api_scope: str) -> bool:
        """For an integration key: does it hold this scope? (Always False for people.)"""
        return self.is_api_key and api_scope in self.api_scopes

    @property
    def is_department_manager(self) -> bool:
        return bool(self.headed_department_ids)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def manages_anyone(self) -> bool:
        return self.company_wide or bool(self.department_ids)


NO_SCOPE = Scope()


def subtree_ids(children: dict[int | None, list[int]], roots: set[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(children.get(node, ()))
    return seen


def company_children(company_id: int) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Department.objects.filter(company_id=company_id).values_list(
        "id", "parent_id"
    ):
        children[parent_id].append(pk)
    return children


def compute_scope(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    api_key = getattr(user, "api_key", None)
    if api_key is not None:  # an integration principal (renshi.api.authentication)
        return Scope(
            company_id=api_key.company_id,
            company_wide=True,
            api_scopes=frozenset(api_key.scopes or ()),
            api_metric_patterns=tuple(getattr(api_key, "metric_keys", None) or ()),
            is_api_key=True,
        )
    employee = (
        Employee.objects.filter(user_id=user.pk)
        .exclude(status=Employee.Status.LEFT)
        .only("id", "company_id", "department_id")
        .first()
    )
    if employee is None:
        return NO_SCOPE
    roles: set[str] = set()
    vp_assignment_ids = []
    for pk, role in RoleAssignment.objects.filter(employee_id=employee.pk).values_list(
        "id", "role"
    ):
        roles.add(role)
        if role == Role.VICE_PRESIDENT:
            vp_assignment_ids.append(pk)
    supervised_roots: set[int] = set()
    if vp_assignment_ids:
        through = RoleAssignment.departments.through
        supervised_roots = set(
            through.objects.filter(
                roleassignment_id__in=vp_assignment_ids,
                department__company_id=employee.company_id,
            ).values_list("department_id", flat=True)
        )
    # one query for the whole tree: parent links and heads
    children: dict[int | None, list[int]] = defaultdict(list)
    headed_roots: set[int] = set()
    for pk, parent_id, head_id in Department.objects.filter(
        company_id=employee.company_id
    ).values_list("id", "parent_id", "head_id"):
        children[parent_id].append(pk)
        if head_id == employee.pk:
            headed_roots.add(pk)
    company_wide = bool(roles & COMPANY_WIDE_ROLES)
    supervised = subtree_ids(children, supervised_roots)
    headed = subtree_ids(children, headed_roots)
    if headed_roots:
        roles.add("department_manager")
    roles.add("employee")
    return Scope(
        company_id=employee.company_id,
        employee_id=employee.pk,
        own_department_id=employee.department_id,
        roles=frozenset(roles),
        company_wide=company_wide,
        department_ids=frozenset(supervised | headed),
        headed_department_ids=frozenset(headed),
        supervised_department_ids=frozenset(supervised),
    )


def get_scope(user: Any) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    if user is None:
        return NO_SCOPE
    cached = getattr(user, "_renshi_scope", None)
    if cached is None:
        cached = compute_scope(user)
        with contextlib.suppress(AttributeError):  # objects without __dict__
            user._renshi_scope = cached
    return cached


def clear_scope(user: Any) -> None:
    if hasattr(user, "_renshi_scope"):
        del user._renshi_scope
