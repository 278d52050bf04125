"""Build and remove the demo company through the organisation services (bootstrap path).

The structure (company, departments, positions, leaders, heads, team leads, roles) always goes
through ``renshi.org.services`` one object at a time. The rank and file go through
``employee_create`` too, except for large companies (``--employees N`` for the benchmark), where
they are validated with the same validators, bulk-inserted and then written to the audit log
with ``audit_bulk`` so the change log stays complete.

Deterministic: every varying value is drawn from ``random.Random(SEED)`` in a fixed order; dates
are relative to ``today`` so that the same people are always the recent hires on probation.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renshi.core.audit import audit_bulk
from renshi.core.models import AuditLog
from renshi.org import validators
from renshi.org.models import (
    Company,
    Department,
    Employee,
    EmployeeHistory,
    Position,
    Role,
    RoleAssignment,
)
from renshi.org.services import (
    company_create,
    department_create,
    department_update,
    employee_create,
    employee_link_user,
    position_create,
    role_assign,
)
from renshi.org.validators import national_id_check_digit

from . import data
from .metrics import demo_metrics_build, demo_metrics_delete
from .performance import demo_performance_build, demo_performance_delete
from .strategy import demo_strategy_build, demo_strategy_delete

# Above this many rank-and-file employees the bulk path is used (one service call per person
# costs ~10 queries; 10,000 people would take minutes).
BULK_THRESHOLD = 1000
PROBATION_DAYS = 180
LEADER_COUNT = len(data.LEADERS)
HEAD_COUNT = len(data.DEPARTMENTS)
MIN_EMPLOYEES = LEADER_COUNT + HEAD_COUNT + len(data.DEPARTMENTS)


@dataclass
class Person:
    """One planned employee (before it exists in the database)."""

    number: int
    username: str
    name: str
    department: str  # department code
    position: tuple[str, str]
    manager: str | None  # username
    hire_date: datetime.date
    birth_date: datetime.date
    status: str = Employee.Status.REGULAR
    probation_end: datetime.date | None = None
    phone: str = ""
    national_id: str = ""
    bank_account: str = ""

    @property
    def employee_no(self) -> str:
        return f"HX{self.number:05d}"

    @property
    def email(self) -> str:
        return f"{self.username}@{data.EMAIL_DOMAIN}"


@dataclass
class Plan:
    """The whole company as data: departments (code → (name, parent code)) and people."""

    departments: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)  # department code → username
    positions: dict[tuple[str, str], str] = field(default_factory=dict)  # → job family
    structural: list[Person] = field(default_factory=list)  # leaders, heads, team leads
    rank_and_file: list[Person] = field(default_factory=list)

    @property
    def people(self) -> list[Person]:
        return self.structural + self.rank_and_file


def demo_company() -> Company | None:
    """The demo company if it exists (operator-level lookup by its fixed code)."""
    return Company.objects.filter(code=data.COMPANY_CODE).first()


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the shares add up to ``total`` exactly."""
    weight_sum = sum(weights)
    exact = [total * w / weight_sum for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def team_count(members: int) -> int:
    """Teams below a department: none for a small department, one per ~TEAM_SIZE people."""
    teams = members // data.TEAM_SIZE
    return teams if teams >= 2 else 0


def team_name(department_name: str, index: int) -> str:
    short = department_name.removesuffix("事业部").removesuffix("部")
    numeral = data.TEAM_NUMERALS[index] if index < len(data.TEAM_NUMERALS) else str(index + 1)
    return f"{short}{numeral}组"


class _Draw:
    """The random parts of a person, drawn in a fixed order from one seeded generator."""

    def __init__(self, today: datetime.date) -> None:
        self.rng = random.Random(data.SEED)
        self.today = today

    def name(self) -> str:
        given = "".join(self.rng.choice(data.GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(data.SURNAMES) + given

    def person(
        self,
        number: int,
        username: str,
        name: str | None,
        department: str,
        position: tuple[str, str],
        manager: str | None,
        *,
        senior: bool = False,
    ) -> Person:
        rng = self.rng
        name = name or self.name()
        age = rng.randint(38, 55) if senior else rng.randint(22, 50)
        birth = datetime.date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        days_ago = rng.randint(365 * 3, 365 * 15) if senior else rng.randint(10, 365 * 12)
        hire = self.today - datetime.timedelta(days=days_ago)
        person = Person(
            number=number,
            username=username,
            name=name,
            department=department,
            position=position,
            manager=manager,
            hire_date=hire,
            birth_date=birth,
            probation_end=hire + datetime.timedelta(days=PROBATION_DAYS),
        )
        if days_ago < PROBATION_DAYS:
            person.status = Employee.Status.PROBATION
        region = rng.choice(data.REGION_CODES)
        first17 = f"{region}{birth:%Y%m%d}{(number * 37) % 1000:03d}"
        person.national_id = first17 + national_id_check_digit(first17)
        person.phone = f"{rng.choice(data.PHONE_PREFIXES)}{(number * 7919 + 1234567) % 10**8:08d}"
        person.bank_account = f"622202{number:07d}{rng.randint(0, 999_999):06d}"
        return person


def demo_plan(*, employees: int = data.DEFAULT_EMPLOYEES, today: datetime.date | None = None):
    """The company of ``employees`` people as a Plan (pure: no database access)."""
    if employees < MIN_EMPLOYEES:
        raise ValidationError(
            _("The demo company needs at least %(min)d employees."),
            params={"min": MIN_EMPLOYEES},
        )
    draw = _Draw(today or timezone.localdate())
    plan = Plan()
    root_code, root_name = data.ROOT_DEPARTMENT
    plan.departments[root_code] = (root_name, None)
    mgmt = data.MANAGEMENT_FAMILY
    for pos in (
        data.GM_POSITION,
        data.VP_POSITION,
        data.HR_VP_POSITION,
        data.PERF_POSITION,
        data.HEAD_POSITION,
        data.TEAM_LEAD_POSITION,
    ):
        plan.positions[pos] = mgmt
    for code, name, _weight, family, positions in data.DEPARTMENTS:
        plan.departments[code] = (name, root_code)
        for pos in positions:
            plan.positions[pos] = family

    number = 0

    def next_number() -> int:
        nonlocal number
        number += 1
        return number

    for username, name, position in data.LEADERS:
        manager = {"gm": None, "perf": "hrvp"}.get(username, "gm")
        plan.structural.append(
            draw.person(next_number(), username, name, root_code, position, manager, senior=True)
        )
    plan.heads[root_code] = "gm"
    for index, (code, _name, *_rest) in enumerate(data.DEPARTMENTS):
        username = f"head{index + 1:02d}"
        vp = f"vp{index // 2 + 1}"
        plan.structural.append(
            draw.person(next_number(), username, None, code, data.HEAD_POSITION, vp, senior=True)
        )
        plan.heads[code] = username

    rank_total = employees - LEADER_COUNT - HEAD_COUNT
    counts = largest_remainder(rank_total, [d[2] for d in data.DEPARTMENTS])
    width = max(3, len(str(rank_total)))
    rank_number = 0
    for (code, name, _weight, _family, positions), count in zip(
        data.DEPARTMENTS, counts, strict=True
    ):
        teams = team_count(count)
        blocks: list[tuple[str, int]]
        if teams:
            sizes = largest_remainder(count, [1] * teams)
            blocks = []
            for t, size in enumerate(sizes):
                team_code = f"{code}-{t + 1:02d}"
                plan.departments[team_code] = (team_name(name, t), code)
                blocks.append((team_code, size))
        else:
            blocks = [(code, count)]
        for block_code, size in blocks:
            lead = plan.heads[code]
            for k in range(size):
                rank_number += 1
                username = f"emp{rank_number:0{width}d}"
                if block_code != code and k == 0:  # the first of a team leads it
                    person = draw.person(
                        next_number(), username, None, block_code, data.TEAM_LEAD_POSITION, lead
                    )
                    plan.heads[block_code] = username
                    plan.structural.append(person)
                    continue
                manager = plan.heads[block_code]
                position = positions[draw.rng.randrange(len(positions))]
                plan.rank_and_file.append(
                    draw.person(next_number(), username, None, block_code, position, manager)
                )
    return plan


@transaction.atomic
def demo_build(
    *, employees: int = data.DEFAULT_EMPLOYEES, today: datetime.date | None = None
) -> Company:
    """Create the demo company. Raises ValidationError if it already exists."""
    if demo_company() is not None:
        raise ValidationError(_("The demo company already exists."))
    plan = demo_plan(employees=employees, today=today)
    password_hash = make_password(data.DEMO_PASSWORD)  # hashed once, shared by all demo logins
    company = company_create(name=data.COMPANY_NAME, code=data.COMPANY_CODE)

    positions = {
        key: position_create(company=company, title=key[0], grade=key[1], job_family=family)
        for key, family in plan.positions.items()
    }
    departments: dict[str, Department] = {}
    for order, (code, (name, parent)) in enumerate(plan.departments.items()):
        departments[code] = department_create(
            actor=None,
            company=company,
            name=name,
            code=code,
            parent=departments[parent] if parent else None,
            sort_order=order,
        )

    people: dict[str, Employee] = {}

    def create(person: Person) -> Employee:
        employee = employee_create(
            actor=None,
            company=company,
            employee_no=person.employee_no,
            name=person.name,
            department=departments[person.department],
            position=positions[person.position],
            manager=people[person.manager] if person.manager else None,
            hire_date=person.hire_date,
            probation_end=person.probation_end,
            status=person.status,
            email=person.email,
            phone=person.phone,
            national_id=person.national_id,
            bank_account=person.bank_account,
        )
        employee_link_user(employee=employee, username=person.username)
        people[person.username] = employee
        return employee

    for person in plan.structural:
        create(person)
    if len(plan.rank_and_file) <= BULK_THRESHOLD:
        for person in plan.rank_and_file:
            create(person)
    else:
        _bulk_create(company, plan.rank_and_file, departments, positions, people, password_hash)

    user_model = get_user_model()
    user_model.objects.filter(employee__company=company).update(password=password_hash)

    role_assign(actor=None, employee=people["gm"], role=Role.GENERAL_MANAGER)
    role_assign(actor=None, employee=people["hrvp"], role=Role.HR_VP)
    role_assign(actor=None, employee=people["perf"], role=Role.PERFORMANCE_MANAGER)
    codes = [d[0] for d in data.DEPARTMENTS]
    for n in range(1, data.VP_COUNT + 1):
        role_assign(
            actor=None,
            employee=people[f"vp{n}"],
            role=Role.VICE_PRESIDENT,
            departments=[departments[c] for c in codes[2 * (n - 1) : 2 * n]],
        )
    # the general manager appoints the department heads
    gm_user = people["gm"].user
    for code, username in plan.heads.items():
        department = departments[code]
        department_update(
            actor=gm_user, department=department, version=department.version, head=people[username]
        )
    demo_strategy_build(company)  # the seeds' strategy map (renshi/demo/strategy.py)
    demo_metrics_build(company, today=today)  # metrics, data points, alerts (demo/metrics.py)
    demo_performance_build(company, today=today)  # two cycles (demo/performance.py)
    return company


def _bulk_create(
    company: Company,
    persons: list[Person],
    departments: dict[str, Department],
    positions: dict[tuple[str, str], Position],
    people: dict[str, Employee],
    password_hash: str,
) -> None:
    """Large companies: same checks as employee_create, bulk insert, audit with audit_bulk."""
    user_model = get_user_model()
    for person in persons:
        validators.validate_phone(person.phone)
        validators.validate_national_id(person.national_id)
        validators.validate_bank_account(person.bank_account)
    users = user_model.objects.bulk_create(
        [
            user_model(
                username=p.username, email=p.email, first_name=p.name, password=password_hash
            )
            for p in persons
        ],
        batch_size=1000,
    )
    employees = [
        Employee(
            company=company,
            employee_no=p.employee_no,
            name=p.name,
            department=departments[p.department],
            position=positions[p.position],
            manager=people[p.manager],
            hire_date=p.hire_date,
            probation_end=p.probation_end,
            status=p.status,
            email=p.email,
            phone=p.phone,
            national_id=p.national_id,
            bank_account=p.bank_account,
            user_id=user.pk,
        )
        for p, user in zip(persons, users, strict=True)
    ]
    Employee.objects.bulk_create(employees, batch_size=1000)
    audit_bulk(employees, action=AuditLog.Action.CREATE)
    for person, employee in zip(persons, employees, strict=True):
        people[person.username] = employee


@transaction.atomic
def demo_delete() -> bool:
    """Remove the demo company, its people and their logins. The audit log keeps its rows."""
    company = demo_company()
    if company is None:
        return False
    user_ids = list(
        Employee.objects.filter(company=company, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    demo_performance_delete(company)  # before the metrics: items point at goals and people
    demo_metrics_delete(company)
    demo_strategy_delete(company)
    RoleAssignment.objects.filter(company=company).delete()
    EmployeeHistory.objects.filter(company=company).delete()
    Employee.objects.filter(company=company).delete()
    remaining = Department.objects.filter(company=company)
    while remaining.exists():  # leaves first: the parent link protects a department
        remaining.filter(children__isnull=True).delete()
    Position.objects.filter(company=company).delete()
    get_user_model().objects.filter(pk__in=user_ids).delete()
    company.delete()
    return True


def demo_logins(company: Company) -> dict[str, Any]:
    """Usernames to print: the leaders, the heads and the first and last employee."""
    usernames = list(
        Employee.objects.filter(company=company, user__isnull=False)
        .order_by("employee_no")
        .values_list("user__username", flat=True)
    )
    employees = [u for u in usernames if u.startswith("emp")]
    return {
        "leaders": [u for u, _n, _p in data.LEADERS],
        "heads": [u for u in usernames if u.startswith("head")],
        "employees": (employees[0], employees[-1]) if employees else (),
        "count": len(usernames),
        "password": data.DEMO_PASSWORD,
    }
