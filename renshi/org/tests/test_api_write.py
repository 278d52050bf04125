"""Organisation API writes: HR creates and edits employees through the services.

Mass assignment: fields outside an operation's allow-list (status, company, user, id, …) are
REJECTED with a 400 field error, and nothing changes — a client never believes it changed a
field it could not. Related ids must resolve inside the caller's company and scope.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from renshi.core.models import AuditLog
from renshi.org.models import Employee, EmployeeHistory


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_for(world):
    def make(key: str | None) -> APIClient:
        client = APIClient()
        if key is not None:
            client.force_login(world.users[key])
        return client

    return make


def _row(employee: Employee) -> dict:
    fresh = Employee.objects.get(pk=employee.pk)
    return {
        f.attname: getattr(fresh, f.attname)
        for f in Employee._meta.concrete_fields
        if f.attname != "updated_at"
    }


def _patch(client, employee, data, **headers):
    return client.patch(
        f"/api/v1/employees/{employee.pk}/",
        data=json.dumps(data),
        content_type="application/json",
        headers=headers,
    )


def test_hr_patches_with_the_version_read(world, api_for):
    emp = world.emp_east
    response = _patch(
        api_for("hrvp"),
        emp,
        {"version": emp.version, "name": "郑新名", "department": world.sales.pk},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "郑新名"
    assert body["department"]["id"] == world.sales.pk
    assert body["version"] == emp.version + 1
    assert response["ETag"] == f'"{emp.version + 1}"'
    emp.refresh_from_db()
    assert emp.name == "郑新名" and emp.department_id == world.sales.pk
    # the move is kept as history and the change is audited with the API channel and actor
    assert EmployeeHistory.objects.filter(employee=emp, field="department").exists()
    log = AuditLog.objects.filter(object_id=str(emp.pk), action="update").first()
    assert log.channel == "api" and log.actor_id == world.users["hrvp"].pk


def test_version_from_if_match_header(world, api_for):
    emp = world.emp_east
    response = _patch(
        api_for("hrvp"), emp, {"phone": "13912345678"}, **{"If-Match": f'"{emp.version}"'}
    )
    assert response.status_code == 200
    emp.refresh_from_db()
    assert emp.phone == "13912345678"


def test_stale_version_is_409_with_current_version(world, api_for):
    emp = world.emp_east
    client = api_for("hrvp")
    first = _patch(client, emp, {"version": emp.version, "name": "第一次"})
    assert first.status_code == 200
    before = _row(emp)
    stale = _patch(client, emp, {"version": emp.version, "name": "第二次"})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"]["current_version"] == emp.version + 1
    assert _row(emp) == before
    stale_header = _patch(client, emp, {"name": "第三次"}, **{"If-Match": f'W/"{emp.version}"'})
    assert stale_header.status_code == 409
    assert _row(emp) == before


def test_patch_without_version_is_refused(world, api_for):
    emp = world.emp_east
    before = _row(emp)
    response = _patch(api_for("hrvp"), emp, {"name": "无版本"})
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "precondition_required"
    disagree = _patch(api_for("hrvp"), emp, {"name": "x", "version": 1}, **{"If-Match": '"7"'})
    assert disagree.status_code == 400
    assert _row(emp) == before


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("gm", "emp_east", 403),  # sees, may not edit
        ("perf", "emp_east", 403),
        ("vp1", "emp_east", 403),
        ("head_east", "emp_east", 403),
        ("emp_east", "emp_east", 403),  # not even oneself
        ("vp1", "emp_prod", 404),  # out of scope
        ("emp_east", "emp_east2", 404),
        ("other_gm", "emp_east", 404),  # another company
        ("hrvp", "other_emp", 404),
    ],
)
def test_patch_denied_changes_nothing(world, api_for, role, target, status):
    emp = world.employees[target]
    before = _row(emp)
    response = _patch(api_for(role), emp, {"version": emp.version, "name": "被改了"})
    assert response.status_code == status
    assert _row(emp) == before


@pytest.mark.parametrize(
    "field_values",
    [
        {"status": "left"},
        {"company": 999},
        {"user": 1},
        {"id": 12345},
        {"leave_date": "2025-01-01"},
        {"employee_no": "HACK"},  # not changeable by PATCH (natural key of imports)
        {"created_at": "2020-01-01T00:00:00Z"},
    ],
)
def test_mass_assignment_is_rejected(world, api_for, field_values):
    emp = world.emp_east
    before = _row(emp)
    response = _patch(api_for("hrvp"), emp, {"version": emp.version, "name": "x", **field_values})
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert set(field_values) <= set(details)
    assert _row(emp) == before


@pytest.mark.parametrize(
    ("field", "target"),
    [
        ("department", lambda w: w.other_dept.pk),  # another company
        ("manager", lambda w: w.other_emp.pk),
        ("position", lambda w: w.other_company.positions.first().pk),
        ("department", lambda w: 987654),  # does not exist
        ("manager", lambda w: w.emp_east.pk),  # a cycle: one's own manager
    ],
)
def test_ids_in_body_must_resolve_in_scope(world, api_for, field, target):
    emp = world.emp_east
    before = _row(emp)
    response = _patch(api_for("hrvp"), emp, {"version": emp.version, field: target(world)})
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert _row(emp) == before


def test_hr_creates_an_employee(world, api_for):
    payload = {
        "employee_no": "N0001",
        "name": "新同事",
        "department": world.production.pk,
        "position": world.position.pk,
        "manager": world.head_prod.pk,
        "hire_date": "2026-03-01",
        "probation_end": "2026-09-01",
        "phone": "13800001111",
        "national_id": world.emp_east.national_id,
    }
    response = api_for("hrvp").post("/api/v1/employees/", data=payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    created = Employee.objects.get(pk=body["id"])
    assert created.company_id == world.company.pk
    assert created.status == Employee.Status.PROBATION
    assert created.manager_id == world.head_prod.pk
    assert body["national_id"] == payload["national_id"]  # HR sees it in clear
    assert created.user_id is None


@pytest.mark.parametrize("role", ["gm", "perf", "vp1", "head_east", "emp_east", "other_gm"])
def test_create_denied_for_non_hr(world, api_for, role):
    count = Employee.objects.count()
    response = api_for(role).post(
        "/api/v1/employees/",
        data={
            "employee_no": "N9",
            "name": "x",
            "department": world.sales.pk,
            "hire_date": "2026-01-01",
        },
        format="json",
    )
    assert response.status_code == 403
    assert Employee.objects.count() == count


@pytest.mark.parametrize(
    "extra",
    [
        {"status": "regular"},
        {"company": 2},
        {"department": "OTHER"},  # replaced below with the other company's department
        {"employee_no": "T0001"},  # duplicate employee number
    ],
)
def test_create_rejects_forbidden_fields_and_foreign_ids(world, api_for, extra):
    if extra.get("department") == "OTHER":
        extra = {"department": world.other_dept.pk}
    payload = {
        "employee_no": "N0002",
        "name": "x",
        "department": world.sales.pk,
        "hire_date": "2026-01-01",
        **extra,
    }
    count = Employee.objects.count()
    response = api_for("hrvp").post("/api/v1/employees/", data=payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Employee.objects.count() == count
