"""Who hears about an alert: the organisation of one company loaded in bulk (4 queries whatever
its size), for evaluators that need "the employee's head", "one level up", "the VP who
supervises this department" or "the HR VP" for thousands of subjects.

Rules (docs/alerts.md, "Recipients"):
* **head** of an employee: the head of their department; when they head it themselves (or it
  has no head), the head of the nearest department above with another head;
* **one level up** from a head: the head's own direct manager (``Employee.manager``) when that
  is an active colleague with a login; otherwise the VP(s) supervising the head's department;
* **supervising VPs** of a department: the VPs whose role assignment lists the department or the
  nearest ancestor that some VP lists (never another VP's departments);
* **role holders**: GM, HR VP, performance manager by role.
Only people with a login who have not left are returned (as user ids).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from renshi.org.models import Department, Employee, Role, RoleAssignment


@dataclass
class OrgIndex:
    company_id: int
    parent: dict[int, int | None] = field(default_factory=dict)
    head: dict[int, int | None] = field(default_factory=dict)  # department → employee
    user: dict[int, int] = field(default_factory=dict)  # employee → user (active, with login)
    department_of: dict[int, int] = field(default_factory=dict)  # employee → department
    manager_of: dict[int, int | None] = field(default_factory=dict)
    vps_of: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # dept → emps
    role_holders: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    # --- lookups (pure, no queries) -----------------------------------------------------

    def users(self, employee_ids) -> list[int]:
        out: list[int] = []
        for pk in employee_ids:
            uid = self.user.get(pk) if pk is not None else None
            if uid is not None and uid not in out:
                out.append(uid)
        return out

    def ancestors(self, department_id: int | None):
        seen: set[int] = set()
        while department_id is not None and department_id not in seen:
            seen.add(department_id)
            yield department_id
            department_id = self.parent.get(department_id)

    def head_of_department(self, department_id: int | None, *, not_employee=None) -> int | None:
        for dept in self.ancestors(department_id):
            head = self.head.get(dept)
            if head is not None and head != not_employee:
                return head
        return None

    def head_of(self, employee_id: int) -> int | None:
        return self.head_of_department(
            self.department_of.get(employee_id), not_employee=employee_id
        )

    def supervising_vps(self, department_id: int | None) -> set[int]:
        for dept in self.ancestors(department_id):
            found = self.vps_of.get(dept)
            if found:
                return set(found)
        return set()

    def level_up(self, head_id: int | None) -> set[int]:
        """One level above a head: their direct manager, else the supervising VPs."""
        if head_id is None:
            return set()
        manager = self.manager_of.get(head_id)
        if manager is not None and manager in self.user and manager != head_id:
            return {manager}
        return self.supervising_vps(self.department_of.get(head_id)) - {head_id}

    def holders(self, *roles: str) -> set[int]:
        out: set[int] = set()
        for role in roles:
            out |= self.role_holders.get(role, set())
        return out


def org_index(company_id: int) -> OrgIndex:
    """Load the company's departments, people and roles (4 queries)."""
    index = OrgIndex(company_id=company_id)
    for pk, parent_id, head_id in Department.objects.filter(company_id=company_id).values_list(
        "id", "parent_id", "head_id"
    ):
        index.parent[pk] = parent_id
        index.head[pk] = head_id
    rows = (
        Employee.objects.filter(company_id=company_id)
        .exclude(status=Employee.Status.LEFT)
        .values_list("id", "department_id", "manager_id", "user_id", "user__is_active")
    )
    for pk, dept, manager, user_id, active in rows:
        index.department_of[pk] = dept
        index.manager_of[pk] = manager
        if user_id is not None and active:
            index.user[pk] = user_id
    assignments = RoleAssignment.objects.filter(company_id=company_id).values_list(
        "id", "employee_id", "role"
    )
    vp_assignment: dict[int, int] = {}
    for pk, employee_id, role in assignments:
        if employee_id not in index.department_of:
            continue  # left
        index.role_holders[role].add(employee_id)
        if role == Role.VICE_PRESIDENT:
            vp_assignment[pk] = employee_id
    if vp_assignment:
        through = RoleAssignment.departments.through
        for ra_id, dept in through.objects.filter(roleassignment_id__in=vp_assignment).values_list(
            "roleassignment_id", "department_id"
        ):
            index.vps_of[dept].add(vp_assignment[ra_id])
    return index
