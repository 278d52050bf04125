"""Export of the visible employees: scope per role, list filters, masking, formula
neutralisation, audit, constant query count; and the generic cell neutraliser."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.core import excel
from renshi.core.models import AuditLog
from renshi.org.imports import employee_import_commit, employee_import_upload
from renshi.org.models import Employee
from renshi.org.services import employee_create

from .io_support import read_xlsx

pytestmark = pytest.mark.django_db


def export_rows(client, query: str = "") -> list[tuple]:
    response = client.get(reverse("org:employee_export") + query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    return read_xlsx(response.content)


def numbers(rows: list[tuple]) -> set[str]:
    return {r[0] for r in rows[1:]}


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'],
)
def test_neutralise_prefixes_formula_starts(value):
    assert excel.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "a=b", "", 5, -5, None, datetime.date(2025, 1, 1)])
def test_neutralise_leaves_other_values(value):
    assert excel.neutralise(value) == value


def test_vp1_exports_only_their_departments(world, client_for):
    rows = export_rows(client_for("vp1"))
    expected = {
        world.employees[k].employee_no
        for k in ("vp1", "head_sales", "head_east", "emp_east", "emp_east2")
    }
    assert numbers(rows) == expected
    assert world.employees["emp_prod"].employee_no not in numbers(rows)


def test_gm_exports_the_company_only(world, client_for):
    rows = export_rows(client_for("gm"))
    acme = set(Employee.objects.filter(company=world.company).values_list("employee_no", flat=True))
    assert numbers(rows) == acme


@pytest.mark.parametrize("role", ["emp_east", "emp_prod"])
def test_employees_without_management_scope_get_403(world, client_for, role):
    before = AuditLog.objects.count()
    assert client_for(role).get(reverse("org:employee_export")).status_code == 403
    assert AuditLog.objects.count() == before


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("org:employee_export"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_honours_list_filters(world, client_for):
    client = client_for("gm")
    sales = world.departments["sales"]
    with_sub = numbers(export_rows(client, f"?department={sales.pk}&sub=1"))
    assert with_sub == {
        world.employees[k].employee_no for k in ("head_sales", "head_east", "emp_east", "emp_east2")
    }
    only = numbers(export_rows(client, f"?department={sales.pk}"))
    assert only == {world.employees["head_sales"].employee_no}
    assert numbers(export_rows(client, "?q=郑员工")) == {world.employees["emp_east"].employee_no}
    Employee.objects.filter(pk=world.employees["emp_prod"].pk).update(status="left")
    assert numbers(export_rows(client, "?status=left")) == {world.employees["emp_prod"].employee_no}


def test_out_of_scope_department_filter_gives_nothing_wider(world, client_for):
    rnd = world.departments["production"]
    rows = export_rows(client_for("vp1"), f"?department={rnd.pk}&sub=1")
    assert world.employees["emp_prod"].employee_no not in numbers(rows)


def _column(rows, key):
    index = [str(h).split()[-1] for h in rows[0]].index(key)
    return {r[0]: r[index] for r in rows[1:]}


def test_sensitive_values_are_masked_unless_allowed(world, client_for):
    emp = world.employees["emp_east"]
    vp_ids = _column(export_rows(client_for("vp1")), "national_id")
    assert vp_ids[emp.employee_no] == emp.national_id_masked
    assert emp.national_id not in vp_ids.values()
    vp_bank = _column(export_rows(client_for("vp1")), "bank_account")
    assert vp_bank[emp.employee_no] == emp.bank_account_masked
    hr_ids = _column(export_rows(client_for("hrvp")), "national_id")
    assert hr_ids[emp.employee_no] == emp.national_id


def test_text_cells_are_neutralised(world, client_for):
    Employee.objects.filter(pk=world.employees["emp_east"].pk).update(
        name='=HYPERLINK("http://evil.example","click")', email="@evil"
    )
    rows = export_rows(client_for("gm"))
    names = _column(rows, "name")
    no = world.employees["emp_east"].employee_no
    assert names[no] == '\'=HYPERLINK("http://evil.example","click")'
    assert _column(rows, "email")[no] == "'@evil"
    # nothing in the sheet is a formula
    import io

    import openpyxl

    response = client_for("gm").get(reverse("org:employee_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_is_audited(world, client_for):
    export_rows(client_for("vp1"))
    entry = AuditLog.objects.get(message="exported employees")
    assert entry.changes == {"rows": 5}
    assert entry.company_id == world.company.pk
    assert entry.actor == world.users["vp1"]


def test_export_query_count_does_not_grow_with_rows(world, client_for):
    client = client_for("gm")
    export_rows(client)  # warm caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export_rows(client)
        return len(ctx.captured_queries)

    small = count()
    for i in range(30):
        employee_create(
            actor=None,
            company=world.company,
            employee_no=f"Q{i:04d}",
            name=f"员工{i}",
            department=world.departments["rnd"],
            manager=world.employees["head_rnd"],
            position=world.position,
            hire_date=datetime.date(2024, 1, 1),
        )
    assert count() == small


def test_hr_export_can_be_reimported_unchanged(world, client_for):
    """The export has the template's columns: HR can export, edit and re-import."""
    Employee.objects.filter(pk=world.employees["emp_east"].pk).update(phone="+8613800000008")
    content = client_for("hrvp").get(reverse("org:employee_export")).content
    hrvp = world.users["hrvp"]
    result = employee_import_upload(actor=hrvp, filename="export.xlsx", data=content)
    assert result.summary["error_count"] == 0, result.summary["errors"]
    acme = Employee.objects.filter(company=world.company).count()
    assert result.summary["unchanged"] == acme
    batch = employee_import_commit(actor=hrvp, batch_id=result.batch.pk)
    assert batch.summary["updated"] == 0 and batch.summary["created"] == 0
