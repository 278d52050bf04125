"""The demo company: structure, roles and scopes, determinism, idempotence, the large variant."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from renshi.core import access
from renshi.core.models import AuditLog
from renshi.demo import data
from renshi.demo.services import demo_build, demo_plan, largest_remainder
from renshi.org import validators
from renshi.org.models import Company, Department, Employee, Role, RoleAssignment
from renshi.org.scope import get_scope

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def demo(db):
    return demo_build(today=TODAY)


def user(username):
    return Employee.objects.select_related("user").get(user__username=username).user


def test_about_120_people_in_11_departments(demo):
    assert Employee.objects.filter(company=demo).count() == 120
    root = Department.objects.get(company=demo, parent=None)
    assert root.name == "总经办"
    assert root.head.user.username == "gm"
    top = Department.objects.filter(company=demo, parent=root)
    assert sorted(top.values_list("name", flat=True)) == sorted(d[1] for d in data.DEPARTMENTS)
    assert Department.objects.filter(company=demo).count() == 11
    # every department has a head head01…head10, and people besides the head
    heads = sorted(top.values_list("head__user__username", flat=True))
    assert heads == [f"head{n:02d}" for n in range(1, 11)]
    for department in top:
        assert department.employees.exclude(pk=department.head_id).exists()


def test_leaders_sit_in_the_root_department(demo):
    root = Department.objects.get(company=demo, parent=None)
    usernames = set(root.employees.values_list("user__username", flat=True))
    assert usernames == {"gm", "vp1", "vp2", "vp3", "vp4", "vp5", "hrvp", "perf"}


def test_roles(demo):
    roles = RoleAssignment.objects.filter(company=demo)
    assert sorted(roles.values_list("employee__user__username", "role")) == sorted(
        [("gm", Role.GENERAL_MANAGER), ("hrvp", Role.HR_VP), ("perf", Role.PERFORMANCE_MANAGER)]
        + [(f"vp{n}", Role.VICE_PRESIDENT) for n in range(1, 6)]
    )


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_each_vp_supervises_exactly_two_departments_and_sees_only_them(demo, n):
    codes = [d[0] for d in data.DEPARTMENTS][2 * (n - 1) : 2 * n]
    assignment = RoleAssignment.objects.get(employee__user__username=f"vp{n}")
    assert sorted(assignment.departments.values_list("code", flat=True)) == sorted(codes)
    vp = user(f"vp{n}")
    visible = access.restrict(Employee, vp)
    expected = Employee.objects.filter(department__code__in=codes) | Employee.objects.filter(
        user=vp
    )
    assert set(visible.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))


def test_company_wide_roles_and_an_employee(demo):
    total = Employee.objects.filter(company=demo).count()
    for username in ("gm", "hrvp", "perf"):
        assert access.restrict(Employee, user(username)).count() == total
    employee = user("emp001")
    assert list(access.restrict(Employee, employee)) == [employee.employee]
    head = user("head01")
    assert get_scope(head).is_department_manager


def test_people_data_is_valid_and_complete(demo):
    employees = list(Employee.objects.filter(company=demo).select_related("user", "position"))
    for e in employees:
        validators.validate_phone(e.phone)
        validators.validate_national_id(e.national_id)
        validators.validate_bank_account(e.bank_account)
        assert e.position.grade and e.position.job_family
        assert e.user is not None and e.email.startswith(e.user.username + "@")
        assert e.hire_date <= TODAY
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e.name)
    managers = [e for e in employees if e.manager_id is None]
    assert [e.user.username for e in managers] == ["gm"]
    usernames = {e.user.username for e in employees}
    assert {"emp001", "emp102"} <= usernames
    # recent hires are on probation, the others are regular
    for e in employees:
        recent = (TODAY - e.hire_date).days < 180
        assert e.status == (Employee.Status.PROBATION if recent else Employee.Status.REGULAR)
    assert any(e.status == Employee.Status.PROBATION for e in employees)
    assert len({e.national_id for e in employees}) == len(employees)


def test_demo_password_logs_in(demo):
    assert user("vp1").check_password(data.DEMO_PASSWORD)
    assert user("emp050").check_password(data.DEMO_PASSWORD)


def test_every_row_is_audited(demo):
    created = AuditLog.objects.filter(company_id=demo.pk, action=AuditLog.Action.CREATE)
    assert created.filter(content_type__model="employee").count() == 120
    assert created.filter(content_type__model="department").count() == 11


def test_deterministic():
    one = demo_plan(today=TODAY)
    two = demo_plan(today=TODAY)
    assert [vars(p) for p in one.people] == [vars(p) for p in two.people]
    assert one.departments == two.departments


def test_the_database_rows_are_deterministic(db):
    def rows():
        return list(
            Employee.objects.order_by("employee_no").values_list(
                "employee_no", "name", "department__code", "manager__employee_no", "hire_date"
            )
        )

    demo_build(today=TODAY)
    first = rows()
    call_command("demo", "--reset", stdout=StringIO())
    # --reset rebuilds relative to today; compare what does not depend on the date
    second = rows()
    assert [r[:4] for r in first] == [r[:4] for r in second]


def test_command_is_idempotent(db):
    out = StringIO()
    call_command("demo", stdout=out)
    assert "renshi-demo-2026" in out.getvalue()
    assert "gm" in out.getvalue()
    counts = (Company.objects.count(), Employee.objects.count(), Department.objects.count())
    audit_rows = AuditLog.objects.count()
    out = StringIO()
    call_command("demo", stdout=out)
    assert (Company.objects.count(), Employee.objects.count(), Department.objects.count()) == (
        counts
    )
    assert AuditLog.objects.count() == audit_rows
    assert "renshi-demo-2026" in out.getvalue()


def test_reset_rebuilds_without_duplicates(db):
    call_command("demo", stdout=StringIO())
    call_command("demo", "--reset", stdout=StringIO())
    assert Company.objects.filter(code="demo").count() == 1
    assert Employee.objects.count() == 120


def test_too_few_employees_is_refused(db):
    with pytest.raises(CommandError):
        call_command("demo", "--employees", "5", stdout=StringIO())


def test_largest_remainder_adds_up():
    assert sum(largest_remainder(9982, [d[2] for d in data.DEPARTMENTS])) == 9982
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]


def test_plan_at_10000_has_teams_and_the_same_roles():
    plan = demo_plan(employees=10_000, today=TODAY)
    assert len(plan.people) == 10_000
    assert 50 <= len(plan.departments) <= 100
    assert [p.username for p in plan.structural[:8]] == [u for u, _n, _p in data.LEADERS]
    assert len({p.employee_no for p in plan.people}) == 10_000
    assert len({p.username for p in plan.people}) == 10_000


def test_large_company_uses_the_bulk_path_and_stays_audited(db):
    company = demo_build(employees=2500, today=TODAY)
    employees = Employee.objects.filter(company=company)
    assert employees.count() == 2500
    assert Department.objects.filter(company=company).count() > 11
    assert (
        AuditLog.objects.filter(
            company_id=company.pk, action="create", content_type__model="employee"
        ).count()
        == 2500
    )
    # vp1 sees exactly the sales and marketing subtrees
    vp1 = user("vp1")
    sales_tree = Department.objects.filter(company=company, code__regex=r"^(sales|marketing)")
    visible = access.restrict(Employee, vp1).exclude(user=vp1)
    assert set(visible.values_list("department_id", flat=True)) <= set(
        sales_tree.values_list("pk", flat=True)
    )
    assert visible.count() == employees.filter(department__in=sales_tree).count()
    e = employees.get(user__username="emp0500")
    validators.validate_national_id(e.national_id)  # decrypts
    assert user("emp0500").check_password(data.DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("username", "sees", "hidden"),
    [
        ("gm", ["销售部", "市场部", "生产部", "客服部"], []),
        ("vp1", ["销售部", "市场部"], ["数据中心事业部", "研发部", "生产部", "客服部"]),
        ("head03", ["数据中心事业部"], ["销售部", "研发部"]),
    ],
)
def test_demo_logins_see_their_part_on_the_pages(demo, client, username, sees, hidden):
    from django.urls import reverse

    client.force_login(user(username))
    for name in ("org:chart", "org:employee_list"):
        response = client.get(reverse(name))
        assert response.status_code == 200
    chart = client.get(reverse("org:chart")).content.decode()
    for department in sees:
        assert department in chart
    for department in hidden:
        assert department not in chart
