"""Landing page, organisation chart, departments, change logs and roles (server-rendered pages)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.core.context import actor_context
from renshi.core.models import AuditLog
from renshi.org import services
from renshi.org.models import Department, Employee, Role, RoleAssignment
from renshi.org.views import ROLE_LABELS

pytestmark = pytest.mark.django_db


def count_queries(client, url, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


def html(response) -> str:
    return response.content.decode()


# --- home and me ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "roles", "links"),
    [
        ("gm", [Role.GENERAL_MANAGER.label, "department_manager"], ["org:role_list"]),
        ("hrvp", [Role.HR_VP.label], ["org:employee_create", "org:employee_import"]),
        ("vp1", [Role.VICE_PRESIDENT.label], ["org:employee_list"]),
        ("emp_east", ["employee"], ["org:chart"]),
    ],
)
def test_home_greets_and_lists_roles_and_links(client_for, world, key, roles, links):
    response = client_for(key).get(reverse("home"))
    body = html(response)
    assert response.status_code == 200
    assert world.employees[key].name in body
    roles_block = re.search(r'data-testid="roles">(.*?)</ul>', body, re.S).group(1)
    for role in roles:
        label = str(ROLE_LABELS.get(role, role))
        assert f">{label}<" in roles_block, (label, roles_block)
    for name in links:
        assert f'href="{reverse(name)}"' in body


def test_home_hides_links_the_user_may_not_use(client_for):
    body = html(client_for("emp_east").get(reverse("home")))
    for name in ("org:role_list", "org:employee_create", "org:employee_import"):
        assert f'href="{reverse(name)}"' not in body


def test_home_for_operator_account_says_it_has_no_business_scope(db, client, django_user_model):
    admin = django_user_model.objects.create_superuser("ops", "ops@example.com", "x-pass-123456")
    client.force_login(admin)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'data-testid="no-scope"' in html(response)
    me = client.get(reverse("org:me"))
    assert me.status_code == 200
    assert 'data-testid="no-employee"' in html(me)
    assert client.get(reverse("org:employee_list")).status_code == 403


def test_me_redirects_to_own_record(client_for, world):
    response = client_for("emp_east").get(reverse("org:me"))
    assert response.status_code == 302
    assert response["Location"] == world.emp_east.get_absolute_url()


# --- organisation chart ----------------------------------------------------------------------


def chart_counts(body: str) -> dict[str, tuple[str | None, str | None]]:
    """{department code: (own head count, subtree total)} as rendered."""
    result = {}
    for m in re.finditer(
        r'<li class="py-1" data-department="([^"]+)">(.*?)(?:<ul>|</li>)', body, re.S
    ):
        own = re.search(r'data-head-count="(\d+)"', m.group(2))
        total = re.search(r'data-total="(\d+)"', m.group(2))
        result[m.group(1)] = (own and own.group(1), total and total.group(1))
    return result


def test_chart_for_gm_shows_whole_company_with_counts(client_for):
    counts = chart_counts(html(client_for("gm").get(reverse("org:chart"))))
    assert counts == {
        "exec": ("5", "12"),
        "sales": ("1", "4"),
        "sales_east": ("3", None),
        "production": ("2", None),
        "rnd": ("1", None),
    }


def test_chart_for_vp_shows_supervised_subtree_only(client_for):
    counts = chart_counts(html(client_for("vp1").get(reverse("org:chart"))))
    # exec is vp1's own department: visible card, but its people are not in scope (no count)
    assert counts == {"exec": (None, None), "sales": ("1", "4"), "sales_east": ("3", None)}


def test_chart_for_employee_shows_own_department_without_counts(client_for):
    counts = chart_counts(html(client_for("emp_east").get(reverse("org:chart"))))
    assert counts == {"sales_east": (None, None)}


def test_chart_counts_only_active_employees(client_for, world):
    Employee.objects.filter(pk=world.emp_east2.pk).update(status=Employee.Status.LEFT)
    counts = chart_counts(html(client_for("gm").get(reverse("org:chart"))))
    assert counts["sales_east"] == ("2", None)
    assert counts["sales"] == ("1", "3")


def test_chart_query_count_does_not_grow_with_departments(client_for, world):
    client = client_for("gm")
    before, _ = count_queries(client, reverse("org:chart"))
    for i in range(6):
        dept = services.department_create(
            actor=None,
            company=world.company,
            name=f"新部门{i}",
            code=f"n{i}",
            parent=world.sales,
        )
        services.employee_create(
            actor=None,
            company=world.company,
            employee_no=f"X{i:03d}",
            name=f"人{i}",
            department=dept,
            hire_date="2024-01-01",
        )
    after, response = count_queries(client, reverse("org:chart"))
    assert after == before
    assert chart_counts(html(response))["sales"] == ("1", "10")


# --- departments --------------------------------------------------------------------------------


def test_department_detail_lists_visible_members_and_edit_link(client_for, world):
    url = reverse("org:department_detail", args=[world.sales_east.pk])
    body = html(client_for("gm").get(url))
    for key in ("head_east", "emp_east", "emp_east2"):
        assert world.employees[key].name in body
    assert reverse("org:department_edit", args=[world.sales_east.pk]) in body
    # an employee sees their own department's card but only themselves among its members
    body = html(client_for("emp_east").get(url))
    assert world.emp_east.name in body
    assert world.emp_east2.employee_no not in body
    assert reverse("org:department_edit", args=[world.sales_east.pk]) not in body
    assert reverse("org:department_changes", args=[world.sales_east.pk]) not in body


def test_department_detail_out_of_scope_is_404(client_for, world):
    assert (
        client_for("vp1")
        .get(reverse("org:department_detail", args=[world.production.pk]))
        .status_code
        == 404
    )
    assert (
        client_for("gm")
        .get(reverse("org:department_detail", args=[world.other_dept.pk]))
        .status_code
        == 404
    )


def test_department_members_are_paginated_with_constant_queries(client_for, world):
    client = client_for("gm")
    url = reverse("org:department_detail", args=[world.rnd.pk])
    before, _ = count_queries(client, url)
    Employee.objects.bulk_create(
        Employee(
            company=world.company,
            employee_no=f"R{i:03d}",
            name=f"研{i}",
            department=world.rnd,
            hire_date="2024-01-01",
            status="regular",
        )
        for i in range(60)
    )
    after, response = count_queries(client, url)
    assert after == before
    assert html(response).count('<td><a href="/org/employees/') == 50
    page2 = html(client.get(url + "?page=2"))
    assert page2.count('<td><a href="/org/employees/') == 11


def test_department_detail_htmx_returns_members_partial(client_for, world):
    response = client_for("gm").get(
        reverse("org:department_detail", args=[world.sales_east.pk]), headers={"HX-Request": "true"}
    )
    body = html(response)
    assert "<html" not in body and "<table" in body
    assert "HX-Request" in response["Vary"]


def _dept_post(world, dept, **overrides):
    data = {
        "name": dept.name,
        "code": dept.code,
        "parent": dept.parent_id or "",
        "head": dept.head.employee_no if dept.head else "",
        "sort_order": dept.sort_order,
        "version": dept.version,
    }
    data.update(overrides)
    return data


def test_department_edit_saves_through_service_and_logs(client_for, world):
    url = reverse("org:department_edit", args=[world.sales.pk])
    response = client_for("hrvp").post(url, _dept_post(world, world.sales, name="销售中心"))
    assert response.status_code == 302
    sales = Department.objects.get(pk=world.sales.pk)
    assert sales.name == "销售中心" and sales.version == world.sales.version + 1
    changes = html(client_for("gm").get(reverse("org:department_changes", args=[sales.pk])))
    assert "销售部" in changes and "销售中心" in changes and "李人资" in changes


def test_department_edit_with_stale_version_conflicts_and_changes_nothing(client_for, world):
    url = reverse("org:department_edit", args=[world.sales.pk])
    stale = _dept_post(world, world.sales, name="甲")
    client_for("gm").post(url, _dept_post(world, world.sales, name="乙"))
    response = client_for("hrvp").post(url, stale)
    assert response.status_code == 409
    assert "data-form-errors" in html(response)
    assert Department.objects.get(pk=world.sales.pk).name == "乙"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"head": "T0014"}, "head"),  # other_emp: another company → not found
        ({"parent": "sales_east"}, "parent"),  # a cycle
        ({"code": ""}, "code"),
    ],
)
def test_department_edit_errors_are_shown_and_nothing_changes(client_for, world, overrides, field):
    if overrides.get("parent") == "sales_east":
        overrides = {"parent": world.sales_east.pk}
    if "head" in overrides:
        overrides = {"head": world.other_emp.employee_no}
    before = Department.objects.filter(pk=world.sales.pk).values().get()
    response = client_for("gm").post(
        reverse("org:department_edit", args=[world.sales.pk]),
        _dept_post(world, world.sales, **overrides),
    )
    assert response.status_code == 422
    assert f'data-field-error="{field}"' in html(response)
    assert Department.objects.filter(pk=world.sales.pk).values().get() == before


def test_department_create(client_for, world):
    response = client_for("gm").post(
        reverse("org:department_create"),
        {
            "name": "质量部",
            "code": "qa",
            "parent": world.production.pk,
            "sort_order": 3,
            "head": world.emp_prod.employee_no,
        },
    )
    assert response.status_code == 302
    qa = Department.objects.get(code="qa")
    assert qa.company == world.company and qa.parent == world.production
    assert qa.head == world.emp_prod
    assert response["Location"] == qa.get_absolute_url()


# --- change logs ------------------------------------------------------------------------------


def test_employee_change_log_shows_before_after_with_names(client_for, world):
    with actor_context(actor=world.users["hrvp"], channel="web", ip="10.0.0.7"):
        services.employee_update(
            actor=world.users["hrvp"],
            employee=world.emp_east,
            version=world.emp_east.version,
            department=world.production,
            phone="13912345678",
        )
    url = reverse("org:employee_changes", args=[world.emp_east.pk])
    response = client_for("gm").get(url)
    body = html(response)
    assert response.status_code == 200
    assert "华东销售组" in body and "生产部" in body  # FK ids shown by name
    assert "13912345678" in body
    assert "李人资" in body and "10.0.0.7" in body
    # vp2 now sees emp_east (moved into production) but not the department they came from:
    # its name is not resolved for them
    body = html(client_for("vp2").get(url))
    assert "生产部" in body and "华东销售组" not in body


def test_change_log_rules(client_for, world):
    url = reverse("org:employee_changes", args=[world.emp_east.pk])
    assert client_for("emp_east").get(url).status_code == 403  # no management scope
    assert client_for("vp2").get(url).status_code == 404  # not visible
    assert client_for("head_east").get(url).status_code == 200
    # read-only: no write methods
    assert client_for("gm").post(url).status_code == 405


def test_change_log_query_count_does_not_grow_with_entries(client_for, world):
    client = client_for("gm")
    url = reverse("org:employee_changes", args=[world.emp_east.pk])
    before, _ = count_queries(client, url)
    employee = world.emp_east
    for i in range(5):
        employee = services.employee_update(
            actor=world.users["hrvp"],
            employee=employee,
            version=employee.version,
            name=f"郑{i}",
            manager=world.head_sales if i % 2 else world.head_east,
        )
    after, _ = count_queries(client, url)
    assert after == before
    assert AuditLog.objects.filter(object_id=str(employee.pk)).count() >= 6


# --- roles ----------------------------------------------------------------------------------------


def test_role_list_shows_assignments_and_revocable_ones(client_for, world):
    body = html(client_for("hrvp").get(reverse("org:role_list")))
    gm_row = re.search(r'<tr data-role="gm"[^>]*>(.*?)</tr>', body, re.S).group(1)
    hr_row = re.search(r'<tr data-role="hr_vp"[^>]*>(.*?)</tr>', body, re.S).group(1)
    vp_row = re.search(
        rf'<tr data-role="vp" data-employee="{world.vp2.employee_no}">(.*?)</tr>', body, re.S
    ).group(1)
    assert "/revoke/" not in gm_row  # HR VP cannot revoke the GM role
    assert "/revoke/" not in hr_row  # nor their own
    assert "/revoke/" in vp_row and "生产部" in vp_row and "研发部" in vp_row
    assert "Other GM" not in body


def test_role_list_query_count_constant(client_for, world):
    client = client_for("gm")
    before, _ = count_queries(client, reverse("org:role_list"))
    for key in ("head_prod", "head_rnd", "emp_prod"):
        services.role_assign(
            actor=None,
            employee=world.employees[key],
            role=Role.VICE_PRESIDENT,
            departments=[world.rnd],
        )
    after, _ = count_queries(client, reverse("org:role_list"))
    assert after == before


def test_role_assign_vp_with_departments(client_for, world):
    response = client_for("hrvp").post(
        reverse("org:role_assign"),
        {
            "employee": world.head_prod.employee_no,
            "role": "vp",
            "departments": [world.production.pk, world.rnd.pk],
        },
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(employee=world.head_prod, role="vp")
    assert set(assignment.departments.all()) == {world.production, world.rnd}
    assert assignment.granted_by == world.users["hrvp"]


@pytest.mark.parametrize(
    ("actor", "data", "error"),
    [
        ("hrvp", {"employee": "hrvp", "role": "perf"}, "employee"),  # own roles
        ("hrvp", {"employee": "emp_east", "role": "gm"}, "role"),  # HR VP cannot grant GM
        ("gm", {"employee": "emp_east", "role": "vp"}, "departments"),  # VP needs departments
        ("gm", {"employee": "other_emp", "role": "perf"}, "employee"),  # other company
    ],
)
def test_role_assign_rules(client_for, world, actor, data, error):
    data = {**data, "employee": world.employees[data["employee"]].employee_no}
    before = list(RoleAssignment.objects.values_list("employee_id", "role"))
    response = client_for(actor).post(reverse("org:role_assign"), data)
    assert response.status_code == 422
    assert f'data-field-error="{error}"' in html(response)
    assert list(RoleAssignment.objects.values_list("employee_id", "role")) == before


def test_role_assign_form_offers_only_grantable_roles(client_for):
    body = html(client_for("hrvp").get(reverse("org:role_assign")))
    assert 'value="perf"' in body and 'value="vp"' in body
    assert 'value="gm"' not in body


def test_role_revoke_confirm_then_post(client_for, world):
    assignment = RoleAssignment.objects.get(employee=world.vp1, role="vp")
    url = reverse("org:role_revoke", args=[assignment.pk])
    client = client_for("hrvp")
    confirm = client.get(url)
    assert confirm.status_code == 200 and world.vp1.name in html(confirm)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


@pytest.mark.parametrize(
    ("actor", "holder", "role"),
    [("hrvp", "gm", "gm"), ("hrvp", "hrvp", "hr_vp"), ("gm", "gm", "gm")],
)
def test_role_revoke_refused_for_own_or_ungrantable_roles(client_for, world, actor, holder, role):
    assignment = RoleAssignment.objects.get(employee=world.employees[holder], role=role)
    url = reverse("org:role_revoke", args=[assignment.pk])
    assert client_for(actor).get(url).status_code == 403
    assert client_for(actor).post(url).status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
