"""A small standard organisation for tests (used by every app's tests and the permission matrix).

Company "acme":
  exec (head: gm)                       — gm, hrvp, perf work here
  sales (head: head_sales)   ← vp1 supervises
    sales_east (head: head_east)        — emp_east (manager head_east)
  production (head: head_prod) ← vp2 supervises — emp_prod
  rnd (head: head_rnd)       ← vp2 supervises
Company "other": other_dept (head: other_gm) with other_emp; other_gm is GM there.

Every person has a login whose username is the attribute name (``world.users["vp1"]``) and the
password ``TEST_PASSWORD``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .models import Company, Department, Employee, Position, Role
from .services import (
    company_create,
    department_create,
    employee_create,
    employee_link_user,
    role_assign,
)

TEST_PASSWORD = "Test-pass-2026!"


def _national_id(n: int) -> str:
    from .validators import national_id_check_digit

    first17 = f"11010119900101{n % 1000:03d}"
    return first17 + national_id_check_digit(first17)


@dataclass
class World:
    company: Company
    other_company: Company
    departments: dict[str, Department] = field(default_factory=dict)
    employees: dict[str, Employee] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    position: Position | None = None

    def __getattr__(self, name: str):
        employees = self.__dict__.get("employees", {})
        if name in employees:
            return employees[name]
        departments = self.__dict__.get("departments", {})
        if name in departments:
            return departments[name]
        raise AttributeError(name)


def build_world() -> World:
    acme = company_create(name="Acme 电子", code="acme")
    other = company_create(name="Other Co", code="other")
    world = World(company=acme, other_company=other)
    pos = Position.objects.create(company=acme, title="专员", grade="P3", job_family="通用")
    world.position = pos
    other_pos = Position.objects.create(company=other, title="Staff", grade="P1")

    def dept(key, name, company=acme, parent=None):
        d = department_create(
            actor=None,
            company=company,
            name=name,
            code=key,
            parent=world.departments.get(parent) if parent else None,
        )
        world.departments[key] = d
        return d

    dept("exec", "总经办")
    dept("sales", "销售部", parent="exec")
    dept("sales_east", "华东销售组", parent="sales")
    dept("production", "生产部", parent="exec")
    dept("rnd", "研发部", parent="exec")
    dept("other_dept", "Other HQ", company=other)

    def person(key, name, dept_key, manager=None, company=acme, position=pos):
        n = len(world.employees) + 1
        e = employee_create(
            actor=None,
            company=company,
            employee_no=f"T{n:04d}",
            name=name,
            department=world.departments[dept_key],
            manager=world.employees.get(manager) if manager else None,
            position=position,
            hire_date=datetime.date(2024, 1, 1),
            status=Employee.Status.REGULAR,
            email=f"{key}@example.com",
            phone=f"1380000{n:04d}",
            national_id=_national_id(n),
            bank_account=f"62220200000000{n:04d}",
        )
        world.employees[key] = e
        world.users[key] = employee_link_user(employee=e, username=key, password=TEST_PASSWORD)
        return e

    person("gm", "王总", "exec")
    person("hrvp", "李人资", "exec", manager="gm")
    person("perf", "赵绩效", "exec", manager="hrvp")
    person("vp1", "钱副总", "exec", manager="gm")
    person("vp2", "孙副总", "exec", manager="gm")
    person("head_sales", "周销售", "sales", manager="vp1")
    person("head_east", "吴华东", "sales_east", manager="head_sales")
    person("emp_east", "郑员工", "sales_east", manager="head_east")
    person("emp_east2", "冯员工", "sales_east", manager="head_east")
    person("head_prod", "陈生产", "production", manager="vp2")
    person("emp_prod", "褚工人", "production", manager="head_prod")
    person("head_rnd", "卫研发", "rnd", manager="vp2")
    person("other_gm", "Other GM", "other_dept", company=other, position=other_pos)
    person(
        "other_emp",
        "Other Emp",
        "other_dept",
        manager="other_gm",
        company=other,
        position=other_pos,
    )

    heads = {
        "exec": "gm",
        "sales": "head_sales",
        "sales_east": "head_east",
        "production": "head_prod",
        "rnd": "head_rnd",
        "other_dept": "other_gm",
    }
    for dkey, ekey in heads.items():
        world.departments[dkey] = _set_head(world.departments[dkey], world.employees[ekey])

    e = world.employees
    role_assign(actor=None, employee=e["gm"], role=Role.GENERAL_MANAGER)
    role_assign(actor=None, employee=e["hrvp"], role=Role.HR_VP)
    role_assign(actor=None, employee=e["perf"], role=Role.PERFORMANCE_MANAGER)
    role_assign(
        actor=None,
        employee=e["vp1"],
        role=Role.VICE_PRESIDENT,
        departments=[world.departments["sales"]],
    )
    role_assign(
        actor=None,
        employee=e["vp2"],
        role=Role.VICE_PRESIDENT,
        departments=[world.departments["production"], world.departments["rnd"]],
    )
    role_assign(actor=None, employee=e["other_gm"], role=Role.GENERAL_MANAGER)
    for key in list(world.employees):
        world.employees[key].refresh_from_db()
    for key in list(world.departments):
        world.departments[key].refresh_from_db()
    return world


def _set_head(department: Department, head: Employee) -> Department:
    """Bootstrap: set the head without a business actor (services require one for edits)."""
    department.head = head
    department.save(update_fields=["head"])
    return department
