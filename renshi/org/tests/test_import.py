"""Employee import: file checks, every row error kind, dry run, all-or-nothing commit,
idempotent re-import, history and audit rows, scope of batches, query counts."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from renshi.core import excel
from renshi.core.models import AuditLog
from renshi.org import imports
from renshi.org.imports import employee_import_commit, employee_import_upload
from renshi.org.models import Employee, EmployeeHistory, ImportBatch, Position, Role
from renshi.org.services import department_create, employee_create, role_assign

from .io_support import new_row, org_state, read_xlsx, workbook

pytestmark = pytest.mark.django_db


def upload(world, rows, actor="hrvp", filename="employees.xlsx"):
    return employee_import_upload(actor=world.users[actor], filename=filename, data=workbook(rows))


def commit(world, batch, actor="hrvp"):
    return employee_import_commit(actor=world.users[actor], batch_id=batch.pk)


def errors_of(result) -> set[tuple[int, str]]:
    return {(e["row"], e["column"]) for e in result.summary["errors"]}


def existing(world, key: str, **overrides):
    """The import row that describes a world employee exactly as stored."""
    e = Employee.objects.select_related("department", "position", "manager").get(
        pk=world.employees[key].pk
    )
    row = {
        "employee_no": e.employee_no,
        "name": e.name,
        "department": e.department.code,
        "position": e.position.title if e.position else "",
        "grade": e.position.grade if e.position else "",
        "manager": e.manager.employee_no if e.manager else "",
        "hire_date": e.hire_date,
        "status": e.status,
        "email": e.email,
        "phone": e.phone,
        "national_id": e.national_id,
        "bank_account": e.bank_account,
    }
    row.update(overrides)
    return row


# --- the template -------------------------------------------------------------------------


def test_template_has_header_example_and_instructions(world, client_for):
    response = client_for("hrvp").get(reverse("org:employee_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content) if response.streaming else response.content
    rows = read_xlsx(data)
    header = rows[0]
    assert [str(h).split()[-1] for h in header] == [c.key for c in imports.COLUMNS]
    assert header[0].startswith("工号") or header[0].endswith("employee_no")
    assert rows[1][0].startswith("#")  # the example row is ignored on import
    instructions = [c for r in read_xlsx(data, sheet=1) for c in r if c]
    assert "sales_east" in instructions and "exec" in instructions
    assert "other_dept" not in instructions  # only the actor's company
    assert {"probation", "regular", "left"} <= set(instructions)


def test_uploading_the_untouched_template_imports_nothing(world, client_for):
    data = client_for("hrvp").get(reverse("org:employee_import_template")).content
    result = employee_import_upload(actor=world.users["hrvp"], filename="t.xlsx", data=data)
    assert result.summary["rows"] == 0 and result.summary["error_count"] == 0


# --- file checks ------------------------------------------------------------------------------


def _zip_with(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        pytest.param("employees.xls", None, id="fake-extension"),
        pytest.param("employees.csv", None, id="csv-extension"),
        pytest.param("employees.xlsx", b"<html><body>hi</body></html>", id="html-renamed"),
        pytest.param("employees.xlsx", b"", id="empty"),
        pytest.param("employees.xlsx", _zip_with("readme.txt", b"x"), id="zip-not-workbook"),
        pytest.param("employees.xlsx", b"PK\x03\x04garbage", id="broken-zip"),
    ],
)
def test_file_checks_refuse_and_store_nothing(world, filename, data):
    data = workbook([new_row()]) if data is None else data
    with pytest.raises(excel.ExcelError):
        employee_import_upload(actor=world.users["hrvp"], filename=filename, data=data)
    assert not ImportBatch.objects.exists()
    assert not Employee.objects.filter(employee_no="N0001").exists()


def test_oversized_file_is_refused(world, settings, client_for):
    data = workbook([new_row()])
    settings.RENSHI_IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(excel.ExcelError):
        employee_import_upload(actor=world.users["hrvp"], filename="e.xlsx", data=data)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for("hrvp").post(
        reverse("org:employee_import"), {"file": SimpleUploadedFile("e.xlsx", data)}
    )
    assert response.status_code == 422
    assert not ImportBatch.objects.exists()


def test_too_many_rows_is_refused(world, settings):
    settings.RENSHI_IMPORT_MAX_ROWS = 3
    rows = [new_row(f"N{i:04d}") for i in range(4)]
    with pytest.raises(excel.ExcelError):
        upload(world, rows)
    assert not ImportBatch.objects.exists()
    assert upload(world, rows[:3]).batch is not None


def test_formulas_are_read_as_values_not_formulas(world):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(workbook([new_row()])))
    wb.worksheets[0]["B2"] = '=HYPERLINK("http://evil.example","x")'
    buffer = io.BytesIO()
    wb.save(buffer)
    result = upload_bytes(world, buffer.getvalue())
    # openpyxl stored no cached value: the name is empty, never the formula text
    assert (2, "name") in errors_of(result)
    assert "HYPERLINK" not in json.dumps(result.summary)


def upload_bytes(world, data, actor="hrvp"):
    return employee_import_upload(actor=world.users[actor], filename="e.xlsx", data=data)


def test_macro_workbooks_are_refused(world):
    data = workbook([new_row()])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"macro")
    with pytest.raises(excel.ExcelError):
        upload_bytes(world, buffer.getvalue())


# --- row errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"department": "nope"}, "department"),
        ({"department": "other_dept"}, "department"),  # another company's code
        ({"employee_no": ""}, "employee_no"),
        ({"name": ""}, "name"),
        ({"department": ""}, "department"),
        ({"hire_date": ""}, "hire_date"),
        ({"hire_date": "2025-13-45"}, "hire_date"),
        ({"probation_end": "tomorrow"}, "probation_end"),
        ({"probation_end": datetime.date(2024, 1, 1)}, "probation_end"),  # before hire date
        ({"phone": "12345"}, "phone"),
        ({"national_id": "110101199003071234"}, "national_id"),  # wrong check digit
        ({"national_id": "abc"}, "national_id"),
        ({"bank_account": "12ab"}, "bank_account"),
        ({"email": "not-an-email"}, "email"),
        ({"manager": "X9999"}, "manager"),
        ({"manager": "T0014"}, "manager"),  # other_emp: another company's number
        ({"status": "fired"}, "status"),
        ({"grade": "P9", "position": ""}, "grade"),
        ({"name": "长" * 101}, "name"),
    ],
)
def test_each_error_kind_is_reported_with_row_and_column(world, overrides, column):
    result = upload(world, [new_row("N0001"), new_row("N0002", **overrides)])
    assert result.batch is None
    assert (3, column) in errors_of(result)
    assert (2, column) not in errors_of(result)  # the good row has no error
    assert not ImportBatch.objects.exists()
    assert not Employee.objects.filter(employee_no__in=["N0001", "N0002"]).exists()


def test_every_row_error_is_reported_at_once(world):
    rows = [
        new_row("N0001", department="nope"),
        new_row("N0002", phone="1"),
        new_row("N0003", hire_date="x", status="?"),
    ]
    result = upload(world, rows)
    assert errors_of(result) == {
        (2, "department"),
        (3, "phone"),
        (4, "hire_date"),
        (4, "status"),
    }
    assert result.summary["error_count"] == 4


def test_duplicate_employee_number_in_file(world):
    result = upload(world, [new_row("N0001"), new_row("N0001")])
    assert errors_of(result) == {(3, "employee_no")}


def test_cycle_in_file(world):
    rows = [new_row("N0001", manager="N0002"), new_row("N0002", manager="N0001")]
    result = upload(world, rows)
    assert errors_of(result) == {(2, "manager"), (3, "manager")}


def test_own_manager_is_a_cycle(world):
    result = upload(world, [new_row("N0001", manager="N0001")])
    assert errors_of(result) == {(2, "manager")}


def test_cycle_formed_with_existing_employees(world):
    # head_east (T0007) reports to head_sales (T0006); making head_sales report to a new row
    # that reports to head_east closes a loop through the stored reporting lines
    rows = [
        new_row("N0001", manager="T0007"),
        existing(world, "head_sales", manager="N0001"),
    ]
    result = upload(world, rows)
    assert (3, "manager") in errors_of(result)
    assert (2, "manager") in errors_of(result)


def test_manager_may_be_a_later_row_of_the_file(world):
    result = upload(world, [new_row("N0001", manager="N0002"), new_row("N0002")])
    assert result.batch is not None
    commit(world, result.batch)
    assert Employee.objects.get(employee_no="N0001").manager.employee_no == "N0002"


def test_sensitive_values_never_appear_in_summaries(world):
    bad_id = "110101199003071234"
    bad_bank = "62220200000000009999999"
    result = upload(world, [new_row("N0001", national_id=bad_id, bank_account=bad_bank)])
    text = json.dumps(result.summary, ensure_ascii=False)
    assert bad_id not in text and bad_bank not in text
    good = upload(world, [existing(world, "emp_east", national_id="11010119900307117X")])
    text = json.dumps(good.summary, ensure_ascii=False)
    assert "11010119900307117X" not in text
    assert world.employees["emp_east"].national_id not in text
    assert "national_id" in text  # the change is listed, masked


def test_chinese_labels_and_header_without_key(world):
    import openpyxl

    data = workbook([new_row("N0001", status="正式")])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.worksheets[0]["A1"] = "工号"  # label only
    buffer = io.BytesIO()
    wb.save(buffer)
    result = upload_bytes(world, buffer.getvalue())
    assert result.summary["error_count"] == 0, result.summary["errors"]
    commit(world, result.batch)
    assert Employee.objects.get(employee_no="N0001").status == Employee.Status.REGULAR


def test_missing_required_column(world):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(workbook([new_row()])))
    wb.worksheets[0]["D1"] = "whatever"  # position column renamed: fine (ignored)
    wb.worksheets[0]["C1"] = "something else"  # department column gone: refused
    buffer = io.BytesIO()
    wb.save(buffer)
    result = upload_bytes(world, buffer.getvalue())
    assert errors_of(result) == {(1, "department")}


# --- dry run and commit -----------------------------------------------------------------------


def test_dry_run_changes_nothing_and_summarises(world):
    before = org_state(world)
    audit_before = AuditLog.objects.exclude(content_type__model="importbatch").count()
    rows = [
        new_row("N0001"),
        existing(world, "emp_east", department="sales"),
        existing(world, "emp_prod"),
    ]
    result = upload(world, rows)
    assert result.batch is not None and result.batch.status == ImportBatch.Status.PENDING
    assert org_state(world) == before
    assert AuditLog.objects.exclude(content_type__model="importbatch").count() == audit_before
    summary = result.summary
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (1, 1, 1)
    changed = summary["changed"][0]
    assert changed["employee_no"] == "T0008"
    assert [c["field"] for c in changed["changes"]] == ["department"]
    # the file is kept encrypted, not as plain bytes
    stored = bytes(ImportBatch.objects.get(pk=result.batch.pk).content)
    assert not stored.startswith(excel.XLSX_MAGIC)


def test_commit_creates_and_updates_with_history_and_audit(world):
    hrvp = world.users["hrvp"]
    rows = [
        new_row("N0001", position="新岗位", grade="P5"),
        existing(world, "emp_east", department="sales", manager="T0006", status="regular"),
    ]
    result = upload(world, rows)
    version = Employee.objects.get(employee_no="T0008").version
    batch = commit(world, result.batch)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert batch.content == b""  # the file is dropped once committed
    created = Employee.objects.get(employee_no="N0001")
    assert created.company == world.company
    assert created.national_id == "11010119900307117X"  # stored, encrypted at rest
    assert created.position.title == "新岗位"  # positions named in the file are created
    assert Position.objects.filter(company=world.company, title="新岗位", grade="P5").exists()
    moved = Employee.objects.get(employee_no="T0008")
    assert moved.department == world.departments["sales"]
    assert moved.manager.employee_no == "T0006"
    assert moved.version == version + 1
    history = EmployeeHistory.objects.filter(employee=moved)
    assert {h.field for h in history} == {"department", "manager"}
    assert all(h.changed_by == hrvp for h in history)
    dept = history.get(field="department")
    assert (dept.old_id, dept.new_id) == (
        world.departments["sales_east"].pk,
        world.departments["sales"].pk,
    )
    logs = AuditLog.objects.filter(content_type__model="employee")
    assert logs.filter(object_id=str(created.pk), action="create").count() == 1
    update = logs.filter(object_id=str(moved.pk), action="update").order_by("-id").first()
    assert set(update.changes) == {"department", "manager"}
    assert update.changes["department"]["before"] == world.departments["sales_east"].pk
    assert AuditLog.objects.filter(
        content_type__model="position", action="create", company_id=world.company.pk
    ).exists()
    assert AuditLog.objects.filter(message="import committed", company_id=world.company.pk)


def test_reimport_of_the_same_file_is_idempotent(world):
    rows = [new_row("N0001"), new_row("N0002", manager="N0001"), existing(world, "emp_prod")]
    commit(world, upload(world, rows).batch)
    state = org_state(world)
    employee_audit = AuditLog.objects.filter(content_type__model="employee").count()
    history = EmployeeHistory.objects.count()
    again = upload(world, rows)
    assert (again.summary["created"], again.summary["updated"], again.summary["unchanged"]) == (
        0,
        0,
        3,
    )
    commit(world, again.batch)
    assert org_state(world) == state  # no duplicates, no version bumps
    assert AuditLog.objects.filter(content_type__model="employee").count() == employee_audit
    assert EmployeeHistory.objects.count() == history


def test_blank_cells_leave_stored_values_unchanged(world):
    row = existing(world, "emp_east", phone="", national_id="", bank_account="", manager="")
    result = upload(world, [row])
    assert result.summary["unchanged"] == 1
    emp = Employee.objects.get(pk=world.employees["emp_east"].pk)
    assert emp.national_id and emp.manager_id == world.employees["head_east"].pk


def test_one_bad_row_at_commit_time_writes_nothing(world):
    """The organisation changed between dry run and commit: the re-validation fails, nothing
    of the file is written and the batch is failed."""
    result = upload(world, [new_row("N0001"), existing(world, "emp_east", department="rnd")])
    before = org_state(world)
    audit_count = AuditLog.objects.filter(content_type__model="employee").count()
    # another HR user creates the employee number N0001 meanwhile … with a cycle-free manager;
    # and the manager of row 2 (head_east) is fine — but the department code is renamed
    from renshi.org.models import Department

    Department.objects.filter(pk=world.departments["rnd"].pk).update(code="rnd2")
    batch = commit(world, result.batch)
    assert batch.status == ImportBatch.Status.FAILED
    assert org_state(world) == before
    assert not Employee.objects.filter(employee_no="N0001").exists()
    assert AuditLog.objects.filter(content_type__model="employee").count() == audit_count
    assert (3, "department") in {(e["row"], e["column"]) for e in batch.summary["errors"]}


def test_database_error_at_commit_rolls_everything_back(world, monkeypatch):
    result = upload(world, [new_row("N0001"), existing(world, "emp_east", department="sales")])
    before = org_state(world)

    def boom(*args, **kwargs):
        from django.db import IntegrityError

        raise IntegrityError("simulated")

    monkeypatch.setattr(EmployeeHistory.objects, "bulk_create", boom)
    batch = commit(world, result.batch)
    assert batch.status == ImportBatch.Status.FAILED
    assert org_state(world) == before
    assert not Employee.objects.filter(employee_no="N0001").exists()


def test_a_batch_is_committed_once(world):
    result = upload(world, [new_row("N0001")])
    commit(world, result.batch)
    with pytest.raises(imports.ImportStateError):
        commit(world, result.batch)
    assert Employee.objects.filter(employee_no="N0001").count() == 1
    with pytest.raises(imports.ImportStateError):
        imports._finish(result.batch, ImportBatch.Status.PENDING, {})


def test_failed_batch_cannot_be_committed(world):
    result = upload(world, [new_row("N0001", manager="T0007")])
    Employee.objects.filter(pk=world.employees["head_east"].pk).update(employee_no="Z0007")
    assert commit(world, result.batch).status == ImportBatch.Status.FAILED
    Employee.objects.filter(pk=world.employees["head_east"].pk).update(employee_no="T0007")
    with pytest.raises(imports.ImportStateError):
        commit(world, result.batch)
    assert not Employee.objects.filter(employee_no="N0001").exists()


def test_leaving_through_import_ends_access(world):
    user = world.users["emp_east"]
    Token.objects.create(user=user)
    result = upload(world, [existing(world, "emp_east", status="离职")])
    commit(world, result.batch)
    emp = Employee.objects.get(pk=world.employees["emp_east"].pk)
    assert emp.status == Employee.Status.LEFT and emp.leave_date is not None
    user.refresh_from_db()
    assert not user.is_active
    assert not Token.objects.filter(user=user).exists()
    assert EmployeeHistory.objects.filter(employee=emp, field="status").exists()


# --- who may import, and whose batches --------------------------------------------------------


@pytest.mark.parametrize("role", ["gm", "vp1", "perf", "head_sales", "emp_east", "other_gm"])
def test_only_hr_may_import(world, role):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(world, [new_row()], actor=role)
    batch = upload(world, [new_row()]).batch
    with pytest.raises(PermissionDenied):
        commit(world, batch, actor=role)
    assert not Employee.objects.filter(employee_no="N0001").exists()


def _second_hr(world, company_key="acme"):
    employee = world.employees["perf" if company_key == "acme" else "other_gm"]
    role_assign(actor=None, employee=employee, role=Role.HR_VP)
    return employee.user


def test_batch_of_another_user_is_404(world, client_for):
    batch = upload(world, [new_row()]).batch
    _second_hr(world)
    with pytest.raises(Http404):
        commit(world, batch, actor="perf")
    response = client_for("perf").post(reverse("org:employee_import_batch", args=[batch.pk]))
    assert response.status_code == 404
    assert (
        client_for("perf").get(reverse("org:employee_import_batch", args=[batch.pk])).status_code
        == 404
    )
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING


def test_batch_of_another_company_is_404_and_codes_stay_in_company(world, client_for):
    batch = upload(world, [new_row()]).batch
    _second_hr(world, "other")
    response = client_for("other_gm").get(reverse("org:employee_import_batch", args=[batch.pk]))
    assert response.status_code == 404
    # the other company's HR cannot use acme's department codes or employee numbers
    result = upload(world, [new_row("O1", manager="T0007")], actor="other_gm")
    assert errors_of(result) == {(2, "department"), (2, "manager")}
    # … nor update acme's employee numbers: T0008 is simply a new number over there
    other = upload(
        world,
        [new_row("T0008", department="other_dept", manager="", position="")],
        actor="other_gm",
    )
    assert other.summary["created"] == 1 and other.summary["updated"] == 0


# --- pages ------------------------------------------------------------------------------------


def test_upload_dry_run_and_commit_through_the_pages(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("hrvp")
    page = client.get(reverse("org:employee_import"))
    assert page.status_code == 200
    assert reverse("org:employee_import_template") in page.content.decode()
    data = workbook([new_row("N0001"), existing(world, "emp_east", department="sales")])
    response = client.post(
        reverse("org:employee_import"),
        {"file": SimpleUploadedFile("e.xlsx", data, content_type="text/html")},
    )
    assert response.status_code == 302  # the browser's content type is ignored
    batch_url = response["Location"]
    page = client.get(batch_url)
    assert page.status_code == 200
    assert 'data-testid="import-commit"' in page.content.decode()
    assert not Employee.objects.filter(employee_no="N0001").exists()
    response = client.post(batch_url)
    assert response.status_code == 302
    assert Employee.objects.filter(employee_no="N0001").exists()
    page = client.get(batch_url)
    assert 'data-testid="import-commit"' not in page.content.decode()
    again = client.post(batch_url)
    assert again.status_code == 409
    assert Employee.objects.filter(employee_no="N0001").count() == 1


def test_upload_with_errors_renders_the_report(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = workbook([new_row("N0001", department="nope", national_id="110101199003071234")])
    response = client_for("hrvp").post(
        reverse("org:employee_import"), {"file": SimpleUploadedFile("e.xlsx", data)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html and "nope" in html
    assert "110101199003071234" not in html
    assert not ImportBatch.objects.exists()


def test_upload_page_refuses_a_fake_file(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for("hrvp").post(
        reverse("org:employee_import"),
        {"file": SimpleUploadedFile("e.xlsx", b"<script>alert(1)</script>")},
    )
    assert response.status_code == 422
    assert not ImportBatch.objects.exists()


# --- cost -------------------------------------------------------------------------------------


def _world_rows(world, n_new: int, n_existing: int, prefix: str):
    rows = [new_row(f"{prefix}{i:04d}") for i in range(n_new)]
    for i in range(n_existing):
        e = employee_create(
            actor=None,
            company=world.company,
            employee_no=f"{prefix}X{i:04d}",
            name=f"老员工{i}",
            department=world.departments["production"],
            hire_date=datetime.date(2024, 1, 1),
        )
        rows.append(
            {
                "employee_no": e.employee_no,
                "name": e.name,
                "department": "rnd",
                "manager": "T0012",
                "hire_date": e.hire_date,
                "status": "regular",
            }
        )
    return rows


def _commit_queries(world, rows) -> int:
    batch = upload(world, rows).batch
    assert batch is not None
    with CaptureQueriesContext(connection) as ctx:
        assert commit(world, batch).status == ImportBatch.Status.COMMITTED
    return len(ctx.captured_queries)


def test_commit_query_count_does_not_grow_with_rows(world):
    _commit_queries(world, _world_rows(world, 1, 1, "W"))  # warm caches
    small = _commit_queries(world, _world_rows(world, 2, 2, "A"))
    large = _commit_queries(world, _world_rows(world, 40, 40, "B"))
    assert large == small


def test_dry_run_query_count_does_not_grow_with_rows(world):
    def dry(rows):
        with CaptureQueriesContext(connection) as ctx:
            upload(world, rows)
        return len(ctx.captured_queries)

    dry(_world_rows(world, 1, 1, "W"))  # warm caches (scope, content types)
    assert dry(_world_rows(world, 2, 2, "C")) == dry(_world_rows(world, 40, 40, "D"))


def test_build_import_workbook_round_trips(world):
    department_create(actor=None, company=world.company, name="新部门", code="new")
    rows = [new_row("N0001", department="new", hire_date="2025-01-02")]
    result = upload(world, rows)
    assert result.summary["error_count"] == 0, result.summary["errors"]
    commit(world, result.batch)
    assert Employee.objects.get(employee_no="N0001").hire_date == datetime.date(2025, 1, 2)


def test_new_reporting_chain_is_inserted_level_by_level(world):
    rows = [
        new_row("N0004", manager="N0003"),
        new_row("N0003", manager="N0002"),
        new_row("N0002", manager="N0001"),
        new_row("N0001", manager="T0007"),
    ]
    commit(world, upload(world, rows).batch)
    chain = []
    node = Employee.objects.get(employee_no="N0004")
    while node is not None:
        chain.append(node.employee_no)
        node = node.manager
    assert chain[:6] == ["N0004", "N0003", "N0002", "N0001", "T0007", "T0006"]
    assert (
        AuditLog.objects.filter(
            content_type__model="employee",
            action="create",
            object_id__in=[
                str(pk)
                for pk in Employee.objects.filter(employee_no__startswith="N").values_list(
                    "pk", flat=True
                )
            ],
        ).count()
        == 4
    )


def test_pending_batch_keeps_cleaned_rows_not_the_workbook():
    import datetime

    from renshi.org.imports import ParsedRow, _dump_rows, _load_rows

    rows = [
        ParsedRow(
            row=2, employee_no="A1", values={"name": "张三", "hire_date": datetime.date(2024, 3, 1)}
        )
    ]
    assert _load_rows(_dump_rows(rows)) == rows
