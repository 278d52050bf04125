"""Employee directory, employee record (masking, reveal audit, history) and HR's forms."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.core.models import AuditLog
from renshi.org import services
from renshi.org.models import Employee, EmployeeHistory

pytestmark = pytest.mark.django_db

LIST = "/org/employees/"


def html(response) -> str:
    return response.content.decode()


def listed(response) -> set[str]:
    """Employee numbers in the results table."""
    body = html(response)
    table = body[body.index("<tbody>") : body.index("</tbody>")]
    return set(re.findall(r"<tr>\s*<td>([A-Z]\w+)</td>", table))


def nos(world, *keys) -> set[str]:
    return {world.employees[k].employee_no for k in keys}


# --- directory: scope, search, filters ---------------------------------------------------------


def test_directory_is_restricted_to_scope(client_for, world):
    assert listed(client_for("vp1").get(LIST)) == nos(
        world, "vp1", "head_sales", "head_east", "emp_east", "emp_east2"
    )
    assert listed(client_for("emp_east").get(LIST)) == nos(world, "emp_east")
    gm = listed(client_for("gm").get(LIST))
    assert len(gm) == 12 and world.other_emp.employee_no not in gm


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("郑员工", {"emp_east"}),
        ("T0008", {"emp_east"}),
        ("emp_east2@", {"emp_east2"}),
        ("13800000009", {"emp_east2"}),
        ("孙副总", set()),  # exists, but out of vp1's scope
        ("Other", set()),  # another company
    ],
)
def test_directory_search(client_for, world, q, expected):
    response = client_for("vp1").get(LIST, {"q": q})
    assert listed(response) == nos(world, *expected)


def test_department_filter_with_and_without_subdepartments(client_for, world):
    client = client_for("vp1")
    only = listed(client.get(LIST, {"department": world.sales.pk}))
    assert only == nos(world, "head_sales")
    sub = listed(client.get(LIST, {"department": world.sales.pk, "sub": "on"}))
    assert sub == nos(world, "head_sales", "head_east", "emp_east", "emp_east2")


@pytest.mark.parametrize("dept", ["production", "other_dept"])
def test_out_of_scope_department_filter_gives_error_and_no_rows(client_for, world, dept):
    response = client_for("vp1").get(LIST, {"department": world.departments[dept].pk, "sub": "on"})
    assert response.status_code == 200
    assert listed(response) == set()
    assert 'data-testid="filter-errors"' in html(response)


def test_employee_own_department_filter_shows_only_themselves(client_for, world):
    response = client_for("emp_east").get(LIST, {"department": world.sales_east.pk})
    assert listed(response) == nos(world, "emp_east")


def test_status_and_position_filters_and_ordering(client_for, world):
    Employee.objects.filter(pk=world.emp_east2.pk).update(status=Employee.Status.LEFT)
    client = client_for("hrvp")
    assert listed(client.get(LIST, {"status": "left"})) == nos(world, "emp_east2")
    active = listed(client.get(LIST, {"status": "active"}))
    assert world.emp_east2.employee_no not in active and len(active) == 11
    assert len(listed(client.get(LIST, {"position": world.position.pk}))) == 12
    body = html(client.get(LIST, {"order": "-employee_no"}))
    numbers = re.findall(r"<tr>\s*<td>(T\d+)</td>", body)
    assert numbers == sorted(numbers, reverse=True)
    bad = client.get(LIST, {"order": "national_id"})  # not on the allow-list
    assert listed(bad) == set() and 'data-testid="filter-errors"' in html(bad)


def test_directory_htmx_request_returns_results_partial(client_for, world):
    response = client_for("hrvp").get(LIST, {"q": "郑"}, headers={"HX-Request": "true"})
    body = html(response)
    assert "<html" not in body and "<form" not in body
    assert listed(response) == nos(world, "emp_east")
    assert "HX-Request" in response["Vary"]


def test_export_and_import_links_follow_permissions_and_query(client_for):
    body = html(client_for("vp1").get(LIST, {"q": "郑", "sub": "on"}))
    link = re.search(r'href="([^"]+)" data-testid="export-link"', body).group(1)
    assert link.startswith(reverse("org:employee_export") + "?")
    assert "q=%E9%83%91" in link and "sub=on" in link and "page=" not in link
    assert reverse("org:employee_import") not in body
    hr = html(client_for("hrvp").get(LIST))
    assert f'href="{reverse("org:employee_import")}"' in hr
    assert 'data-testid="export-link"' not in html(client_for("emp_east").get(LIST))


def _bulk_employees(world, n, prefix="B"):
    Employee.objects.bulk_create(
        Employee(
            company=world.company,
            employee_no=f"{prefix}{i:04d}",
            name=f"批量{i}",
            department=world.sales_east if i % 2 else world.production,
            position=world.position,
            manager=world.head_east,
            hire_date=datetime.date(2024, 1, 1),
            status=Employee.Status.REGULAR,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("key", ["gm", "vp1"])
def test_directory_query_count_does_not_grow_with_rows(client_for, world, key):
    client = client_for(key)
    params = {"q": "", "status": "active", "department": world.sales.pk, "sub": "on"}
    with CaptureQueriesContext(connection) as small:
        assert client.get(LIST, params).status_code == 200
    _bulk_employees(world, 130)
    with CaptureQueriesContext(connection) as large:
        response = client.get(LIST, params)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(listed(response)) == 50
    page2 = listed(client.get(LIST, {**params, "page": 2}))
    assert len(page2) == 4 + 65 - 50  # 4 in the world's sales subtree + 65 new, 50 per page


def test_directory_pager_links_keep_the_filters(client_for, world):
    _bulk_employees(world, 60)
    body = html(client_for("gm").get(LIST, {"status": "active"}))
    assert 'href="?status=active&amp;page=2"' in body
    assert 'hx-get="?status=active&amp;page=2"' in body


# --- employee record ------------------------------------------------------------------------


def sensitive(response) -> tuple[str, str]:
    body = html(response)
    nid = re.search(r'data-testid="national-id">([^<]*)<', body).group(1)
    bank = re.search(r'data-testid="bank-account">([^<]*)<', body).group(1)
    return nid, bank


@pytest.mark.parametrize("key", ["gm", "perf", "vp1", "head_east", "hrvp"])
def test_sensitive_fields_are_masked_for_others(client_for, world, key):
    e = world.emp_east
    response = client_for(key).get(e.get_absolute_url())
    assert sensitive(response) == (e.national_id_masked, e.bank_account_masked)
    assert e.national_id not in html(response)
    has_button = 'data-testid="reveal"' in html(response)
    assert has_button == (key == "hrvp")


def test_own_sensitive_fields_are_shown_in_clear(client_for, world):
    e = world.emp_east
    response = client_for("emp_east").get(e.get_absolute_url())
    assert sensitive(response) == (e.national_id, e.bank_account)
    assert 'data-testid="reveal"' not in html(response)
    assert not AuditLog.objects.filter(message="viewed sensitive fields").exists()


def test_hr_reveal_is_audited(client_for, world):
    e = world.emp_east
    response = client_for("hrvp").post(e.get_absolute_url(), {"reveal": "1"})
    assert response.status_code == 200
    assert sensitive(response) == (e.national_id, e.bank_account)
    assert "no-store" in response["Cache-Control"]
    entry = AuditLog.objects.get(message="viewed sensitive fields")
    assert entry.actor == world.users["hrvp"] and entry.object_id == str(e.pk)
    assert entry.company_id == world.company.pk


def test_hr_reveal_over_htmx_returns_the_sensitive_card(client_for, world):
    e = world.emp_east
    response = client_for("hrvp").post(
        e.get_absolute_url(), {"reveal": "1"}, headers={"HX-Request": "true"}
    )
    body = html(response)
    assert "<html" not in body and e.national_id in body


@pytest.mark.parametrize(("key", "status"), [("gm", 403), ("vp1", 403), ("vp2", 404)])
def test_reveal_refused_records_nothing(client_for, world, key, status):
    response = client_for(key).post(world.emp_east.get_absolute_url(), {"reveal": "1"})
    assert response.status_code == status
    assert world.emp_east.national_id not in html(response)
    assert not AuditLog.objects.filter(message="viewed sensitive fields").exists()


def test_detail_links_follow_permissions(client_for, world):
    e = world.emp_east
    hr = html(client_for("hrvp").get(e.get_absolute_url()))
    assert reverse("org:employee_edit", args=[e.pk]) in hr
    assert reverse("org:employee_changes", args=[e.pk]) in hr
    head = html(client_for("head_east").get(e.get_absolute_url()))
    assert reverse("org:employee_edit", args=[e.pk]) not in head
    assert reverse("org:employee_changes", args=[e.pk]) in head
    own = html(client_for("emp_east").get(e.get_absolute_url()))
    assert reverse("org:employee_changes", args=[e.pk]) not in own


def test_detail_query_count_does_not_grow_with_history(client_for, world):
    client = client_for("hrvp")
    url = world.emp_east.get_absolute_url()
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    employee = world.emp_east
    for i in range(4):
        employee = services.employee_update(
            actor=world.users["hrvp"],
            employee=employee,
            version=employee.version,
            manager=world.head_sales if i % 2 == 0 else world.head_east,
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert html(response).count('<td class="text-nowrap">') == 4


# --- HR's forms ---------------------------------------------------------------------------------


def edit_data(world, employee, **overrides):
    data = {
        "employee_no": employee.employee_no,
        "name": employee.name,
        "department": employee.department_id,
        "position": employee.position_id or "",
        "manager": employee.manager.employee_no if employee.manager else "",
        "hire_date": employee.hire_date.isoformat(),
        "probation_end": "",
        "status": employee.status,
        "email": employee.email,
        "phone": employee.phone,
        "national_id": "",
        "bank_account": "",
        "effective_date": "",
        "version": employee.version,
    }
    data.update(overrides)
    return data


def snapshot(employee):
    return Employee.objects.filter(pk=employee.pk).values().get(), EmployeeHistory.objects.count()


def test_edit_moves_employee_and_records_history(client_for, world):
    e = world.emp_east
    old_version, old_id = e.version, e.national_id
    url = reverse("org:employee_edit", args=[e.pk])
    response = client_for("hrvp").post(
        url,
        edit_data(
            world,
            e,
            department=world.production.pk,
            manager=world.head_prod.employee_no,
            effective_date="2025-07-01",
        ),
    )
    assert response.status_code == 302 and response["Location"] == e.get_absolute_url()
    e.refresh_from_db()
    assert e.department == world.production and e.manager == world.head_prod
    assert e.version == old_version + 1
    # sensitive fields left empty in the form are kept
    assert e.national_id == old_id and old_id
    moves = {
        h.field: h for h in EmployeeHistory.objects.filter(employee=e).select_related("changed_by")
    }
    assert set(moves) == {"department", "manager"}
    dept = moves["department"]
    assert (dept.old_value, dept.new_value) == ("华东销售组", "生产部")
    assert dept.effective_date == datetime.date(2025, 7, 1)
    assert dept.changed_by == world.users["hrvp"]
    body = html(client_for("hrvp").get(e.get_absolute_url()))
    history = body[body.index('data-testid="history"') :]
    assert "2025-07-01" in history and "华东销售组" in history and "生产部" in history
    assert "李人资" in history


def test_edit_with_stale_version_conflicts_and_changes_nothing(client_for, world):
    e = world.emp_east
    url = reverse("org:employee_edit", args=[e.pk])
    stale = edit_data(world, e, name="甲")
    assert client_for("hrvp").post(url, edit_data(world, e, name="乙")).status_code == 302
    before = snapshot(e)
    response = client_for("hrvp").post(url, {**stale, "department": world.production.pk})
    assert response.status_code == 409
    assert "data-form-errors" in html(response)
    assert snapshot(e) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"national_id": "110101199001010000"}, "national_id"),
        ({"manager": "T0014"}, "manager"),  # other company's employee
        ({"manager": "T0008"}, "manager"),  # themselves
        ({"department": "__other__"}, "department"),
        ({"probation_end": "2023-01-01"}, "probation_end"),
        ({"employee_no": "T0001"}, None),  # duplicate number
    ],
)
def test_edit_errors_are_shown_per_field_and_change_nothing(client_for, world, overrides, field):
    e = world.emp_east
    if overrides.get("department") == "__other__":
        overrides = {"department": world.other_dept.pk}
    before = snapshot(e)
    response = client_for("hrvp").post(
        reverse("org:employee_edit", args=[e.pk]), edit_data(world, e, **overrides)
    )
    assert response.status_code == 422
    body = html(response)
    if field:
        assert f'data-field-error="{field}"' in body, body[body.index("<form") :][:3000]
    else:
        assert "data-form-errors" in body
    assert snapshot(e) == before


def test_edit_form_never_sends_sensitive_values(client_for, world):
    body = html(client_for("hrvp").get(reverse("org:employee_edit", args=[world.emp_east.pk])))
    assert world.emp_east.national_id not in body
    assert world.emp_east.bank_account not in body
    assert world.emp_east.national_id_masked in body


def test_create_employee(client_for, world):
    response = client_for("hrvp").post(
        reverse("org:employee_create"),
        {
            "employee_no": "N0100",
            "name": "新同事",
            "department": world.rnd.pk,
            "position": world.position.pk,
            "manager": world.head_rnd.employee_no,
            "hire_date": "2025-05-06",
            "status": "probation",
            "phone": "13911112222",
        },
    )
    assert response.status_code == 302
    e = Employee.objects.get(employee_no="N0100")
    assert e.company == world.company and e.manager == world.head_rnd
    assert response["Location"] == e.get_absolute_url()


def test_create_refuses_mass_assigned_company_and_version(client_for, world):
    client_for("hrvp").post(
        reverse("org:employee_create"),
        {
            "employee_no": "N0101",
            "name": "甲",
            "department": world.rnd.pk,
            "hire_date": "2025-05-06",
            "status": "regular",
            "company": world.other_company.pk,
            "version": 99,
        },
    )
    e = Employee.objects.get(employee_no="N0101")
    assert e.company == world.company and e.version == 1
