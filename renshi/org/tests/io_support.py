"""Helpers for the import/export tests and the permission matrix rows (not a test module)."""

from __future__ import annotations

import datetime
import hashlib
import io
from typing import Any

import openpyxl

from renshi.core.fields import fernet
from renshi.org.imports import _dump_rows, _read_rows, build_import_workbook
from renshi.org.models import Employee, ImportBatch


def new_row(no: str = "N0001", **overrides: Any) -> dict[str, Any]:
    """A valid new employee of the test world (department sales_east, manager head_east)."""
    row = {
        "employee_no": no,
        "name": "新员工" + no,
        "department": "sales_east",
        "position": "专员",
        "grade": "P3",
        "manager": "T0007",
        "hire_date": datetime.date(2025, 3, 1),
        "probation_end": datetime.date(2025, 9, 1),
        "status": "probation",
        "email": f"{no.lower()}@example.com",
        "phone": "13900000000",
        "national_id": "11010119900307117X",
        "bank_account": "6222020000000001",
    }
    row.update(overrides)
    return row


def workbook(rows: list[dict[str, Any]]) -> bytes:
    return build_import_workbook(rows)


def read_xlsx(content: bytes, sheet: int = 0) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [tuple(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def pending_batch(world, rows: list[dict[str, Any]] | None = None) -> ImportBatch:
    """A pending batch uploaded by hrvp (created once; the matrix rolls it back per role)."""
    batch = ImportBatch.objects.filter(
        uploaded_by=world.users["hrvp"], filename="matrix.xlsx", status=ImportBatch.Status.PENDING
    ).first()
    if batch is None:
        # the file carries its creation time: identify the batch by name, not by digest
        data = workbook(rows or [new_row("M0001")])
        sha = hashlib.sha256(data).hexdigest()
        batch = ImportBatch.objects.create(
            company=world.company,
            uploaded_by=world.users["hrvp"],
            filename="matrix.xlsx",
            sha256=sha,
            content=fernet().encrypt(_dump_rows(_read_rows(data)[0])),
            summary={},
        )
    return batch


def org_state(world) -> tuple:
    """Comparable snapshot of the employees of both companies."""
    return tuple(
        Employee.objects.order_by("pk").values_list(
            "pk", "employee_no", "name", "department_id", "manager_id", "status", "version"
        )
    )
