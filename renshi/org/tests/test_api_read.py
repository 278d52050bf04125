"""Organisation API reads: exact scope per role, 404 out of scope, filters, ordering, sensitive
fields, page-size cap and constant query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from renshi.org.models import Department, Employee

ACME = [
    "gm",
    "hrvp",
    "perf",
    "vp1",
    "vp2",
    "head_sales",
    "head_east",
    "emp_east",
    "emp_east2",
    "head_prod",
    "emp_prod",
    "head_rnd",
]
EXPECTED_EMPLOYEES = {
    "gm": ACME,
    "hrvp": ACME,
    "perf": ACME,
    "vp1": ["vp1", "head_sales", "head_east", "emp_east", "emp_east2"],
    "vp2": ["vp2", "head_prod", "emp_prod", "head_rnd"],
    "head_sales": ["head_sales", "head_east", "emp_east", "emp_east2"],
    "head_east": ["head_east", "emp_east", "emp_east2"],
    "emp_east": ["emp_east"],
    "emp_prod": ["emp_prod"],
    "other_gm": ["other_gm", "other_emp"],
}
ALL_ACME_DEPTS = ["exec", "sales", "sales_east", "production", "rnd"]
EXPECTED_DEPARTMENTS = {
    "gm": ALL_ACME_DEPTS,
    "hrvp": ALL_ACME_DEPTS,
    "perf": ALL_ACME_DEPTS,
    "vp1": ["exec", "sales", "sales_east"],
    "vp2": ["exec", "production", "rnd"],
    "head_east": ["sales_east"],
    "emp_east": ["sales_east"],
    "other_gm": ["other_dept"],
}


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


def _ids(world, keys):
    return sorted(world.employees[k].pk for k in keys)


@pytest.mark.parametrize("role", sorted(EXPECTED_EMPLOYEES))
def test_employee_list_is_exactly_the_scope(world, api_for, role):
    response = api_for(role).get("/api/v1/employees/?page_size=200")
    assert response.status_code == 200
    body = response.json()
    assert sorted(r["id"] for r in body["results"]) == _ids(world, EXPECTED_EMPLOYEES[role])
    assert body["count"] == len(EXPECTED_EMPLOYEES[role])


@pytest.mark.parametrize("role", sorted(EXPECTED_DEPARTMENTS))
def test_department_list_is_exactly_the_scope(world, api_for, role):
    response = api_for(role).get("/api/v1/departments/")
    assert response.status_code == 200
    got = sorted(r["id"] for r in response.json()["results"])
    assert got == sorted(world.departments[k].pk for k in EXPECTED_DEPARTMENTS[role])


def test_positions_are_those_of_the_company(world, api_for):
    got = api_for("emp_east").get("/api/v1/positions/").json()["results"]
    assert [p["id"] for p in got] == [world.position.pk]
    other = api_for("other_gm").get("/api/v1/positions/").json()["results"]
    assert world.position.pk not in [p["id"] for p in other]
    assert api_for("other_gm").get(f"/api/v1/positions/{world.position.pk}/").status_code == 404
    assert api_for("emp_east").get(f"/api/v1/positions/{world.position.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("gm", "emp_prod", 200),
        ("vp1", "emp_east", 200),
        ("vp1", "emp_prod", 404),  # department of another VP
        ("vp1", "gm", 404),
        ("head_east", "emp_east", 200),
        ("head_east", "head_sales", 404),  # above them
        ("emp_east", "emp_east", 200),
        ("emp_east", "emp_east2", 404),  # a colleague
        ("emp_east", "head_east", 404),  # their own manager is not in their scope
        ("other_gm", "emp_east", 404),  # another company
        ("gm", "other_emp", 404),
    ],
)
def test_employee_detail_scope(world, api_for, role, target, status):
    response = api_for(role).get(f"/api/v1/employees/{world.employees[target].pk}/")
    assert response.status_code == status
    if status == 404:
        assert response.json()["error"]["code"] == "not_found"


def test_department_detail_scope(world, api_for):
    assert api_for("vp1").get(f"/api/v1/departments/{world.sales_east.pk}/").status_code == 200
    assert api_for("vp1").get(f"/api/v1/departments/{world.rnd.pk}/").status_code == 404
    assert api_for("gm").get(f"/api/v1/departments/{world.other_dept.pk}/").status_code == 404
    assert api_for("emp_east").get(f"/api/v1/departments/{world.sales.pk}/").status_code == 404


def test_anonymous_gets_401(world, api_for):
    for url in (
        "/api/v1/employees/",
        "/api/v1/departments/",
        "/api/v1/me/",
        f"/api/v1/employees/{world.emp_east.pk}/",
    ):
        response = api_for(None).get(url)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "not_authenticated"


# --- sensitive fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target", "clear"),
    [
        ("hrvp", "emp_east", True),
        ("emp_east", "emp_east", True),  # the person themselves
        ("gm", "emp_east", False),
        ("perf", "emp_east", False),
        ("vp1", "emp_east", False),
        ("head_east", "emp_east", False),
    ],
)
def test_sensitive_fields_clear_only_for_hr_and_self(world, api_for, role, target, clear):
    employee = world.employees[target]
    body = api_for(role).get(f"/api/v1/employees/{employee.pk}/").json()
    assert body["sensitive_visible"] is clear
    if clear:
        assert body["national_id"] == employee.national_id
        assert body["bank_account"] == employee.bank_account
    else:
        assert body["national_id"] == employee.national_id_masked
        assert employee.national_id not in body["national_id"]
        assert body["bank_account"] == employee.bank_account_masked
        assert employee.bank_account not in str(body)


def test_lists_never_carry_sensitive_fields(world, api_for):
    body = api_for("hrvp").get("/api/v1/employees/").json()
    text = str(body)
    for row in body["results"]:
        assert "national_id" not in row and "bank_account" not in row
    assert world.emp_east.national_id not in text


def test_sensitive_fields_cannot_filter_or_order(world, api_for):
    client = api_for("gm")
    baseline = client.get("/api/v1/employees/?page_size=200").json()["count"]
    # unknown query parameters are ignored: no narrowing that would reveal a value
    probe = client.get(
        f"/api/v1/employees/?page_size=200&national_id={world.emp_east.national_id}"
        f"&national_id__startswith=1101&bank_account={world.emp_east.bank_account}"
    )
    assert probe.status_code == 200
    assert probe.json()["count"] == baseline
    for field in ("national_id", "-bank_account", "user__password", "manager__national_id"):
        response = client.get(f"/api/v1/employees/?ordering={field}")
        assert response.status_code == 400, field
        assert "ordering" in response.json()["error"]["details"]


# --- filters, ordering, pagination --------------------------------------------------------------


def test_filters_and_ordering(world, api_for):
    client = api_for("gm")
    rows = client.get(f"/api/v1/employees/?department={world.sales_east.pk}").json()["results"]
    assert sorted(r["id"] for r in rows) == _ids(world, ["head_east", "emp_east", "emp_east2"])
    rows = client.get("/api/v1/employees/?q=华东").json()["results"]
    assert [r["id"] for r in rows] == [world.head_east.pk]
    rows = client.get(f"/api/v1/employees/?q={world.emp_prod.employee_no}").json()["results"]
    assert [r["id"] for r in rows] == [world.emp_prod.pk]
    rows = client.get("/api/v1/employees/?status=probation").json()["results"]
    assert rows == []
    rows = client.get("/api/v1/employees/?ordering=-employee_no&page_size=200").json()["results"]
    numbers = [r["employee_no"] for r in rows]
    assert numbers == sorted(numbers, reverse=True)
    rows = client.get("/api/v1/employees/?ordering=name&page_size=200").json()["results"]
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    bad = client.get("/api/v1/employees/?status=boss")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["details"]


def test_department_filter_must_be_visible(world, api_for):
    # an id in a filter is authorised like an id in a body: no probing of other departments
    for dept in (world.rnd, world.other_dept):
        response = api_for("vp1").get(f"/api/v1/employees/?department={dept.pk}")
        assert response.status_code == 400
        assert "department" in response.json()["error"]["details"]
    assert api_for("vp1").get("/api/v1/employees/?department=abc").status_code == 400


def _bulk_employees(world, n: int) -> None:
    start = Employee.objects.count() + 1000
    Employee.objects.bulk_create(
        Employee(
            company=world.company,
            employee_no=f"B{start + i:06d}",
            name=f"批量{i}",
            department=world.sales_east,
            position=world.position,
            manager=world.head_east,
            hire_date=datetime.date(2025, 1, 1),
            status=Employee.Status.REGULAR,
        )
        for i in range(n)
    )


def test_page_size_is_capped(world, api_for):
    _bulk_employees(world, 210)
    body = api_for("gm").get("/api/v1/employees/?page_size=5000").json()
    assert body["count"] == 222
    assert len(body["results"]) == 200
    assert body["next"] is not None
    default = api_for("gm").get("/api/v1/employees/").json()
    assert len(default["results"]) == 50


@pytest.mark.parametrize("role", ["gm", "vp1", "head_east"])
def test_employee_list_query_count_does_not_grow(world, api_for, role, django_assert_num_queries):
    client = api_for(role)
    client.get("/api/v1/employees/")  # warm up (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/employees/?page_size=200").status_code == 200
    _bulk_employees(world, 120)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/employees/?page_size=200")
    assert response.status_code == 200


def test_department_list_query_count_does_not_grow(world, api_for, django_assert_num_queries):
    client = api_for("gm")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/api/v1/departments/")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/departments/")
    for i in range(15):
        Department.objects.create(
            company=world.company,
            name=f"D{i}",
            code=f"d{i}",
            parent=world.sales,
            head=world.head_east,
        )
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/api/v1/departments/").status_code == 200


def test_position_list_query_count(world, api_for, django_assert_max_num_queries):
    client = api_for("gm")
    client.get("/api/v1/positions/")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/positions/").status_code == 200


# --- me ---------------------------------------------------------------------------------------


def test_me_summarises_the_caller(world, api_for):
    body = api_for("vp1").get("/api/v1/me/").json()
    assert body["user"]["username"] == "vp1"
    assert body["employee"]["id"] == world.vp1.pk
    assert "national_id" not in body["employee"]
    assert body["roles"] == ["employee", "vp"]
    assert body["scope"]["company"]["id"] == world.company.pk
    assert body["scope"]["company_wide"] is False
    assert body["scope"]["supervised_department_ids"] == sorted(
        [world.sales.pk, world.sales_east.pk]
    )
    head = api_for("head_east").get("/api/v1/me/").json()
    assert "department_manager" in head["roles"]
    assert head["scope"]["headed_department_ids"] == [world.sales_east.pk]
    gm = api_for("gm").get("/api/v1/me/").json()
    assert gm["scope"]["company_wide"] is True and "gm" in gm["roles"]


def test_me_for_a_login_without_employee(db, django_user_model):
    user = django_user_model.objects.create_user(username="operator", password="x" * 12)
    client = APIClient()
    client.force_login(user)
    body = client.get("/api/v1/me/").json()
    assert body["employee"] is None and body["roles"] == []
    assert body["scope"]["company"] is None
    assert client.get("/api/v1/employees/").json()["count"] == 0
