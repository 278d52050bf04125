"""Export of the employees a user may see to Excel.

The rows are exactly the employee directory's (``selectors.employee_search``: access layer plus
the list page's ``q``/``department``/``sub``/``position``/``status`` parameters). The columns are
the import template's, so HR can export, edit and re-import; a department-name column is added
for people (the import ignores it). National ID and bank account are masked unless the user may
see them in clear (``permissions.can_view_sensitive``); every text cell is neutralised against
formula injection by ``renshi.core.excel``. Each export is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renshi.core import access, excel
from renshi.core.audit import audit_event

from .imports import COLUMNS, Column, header_label
from .models import Company, Employee
from .permissions import can_view_sensitive
from .selectors import employee_search

PERMISSION = "org.export_employees"
EXTRA_COLUMNS = (Column("department_name", gettext_lazy("Department name"), width=18),)


@dataclass
class ExportFile:
    content: bytes
    filename: str
    rows: int


def _row(employee: Employee, *, sensitive: bool) -> list[Any]:
    position = employee.position
    values = {
        "employee_no": employee.employee_no,
        "name": employee.name,
        "department": employee.department.code,
        "position": position.title if position else "",
        "grade": position.grade if position else "",
        "manager": employee.manager.employee_no if employee.manager_id else "",
        "hire_date": employee.hire_date,
        "probation_end": employee.probation_end,
        "status": str(employee.get_status_display()),
        "email": employee.email,
        "phone": employee.phone,
        "national_id": employee.national_id if sensitive else employee.national_id_masked,
        "bank_account": employee.bank_account if sensitive else employee.bank_account_masked,
        "department_name": employee.department.name,
    }
    return [values[c.key] for c in (*COLUMNS, *EXTRA_COLUMNS)]


@transaction.atomic
def employee_export(*, user: Any, params: Any) -> ExportFile:
    """The visible employees matching ``params`` (the list page's query) as an .xlsx file.

    A fixed number of queries whatever the number of rows (employees with department, position
    and manager in one query; scope and company lookups are constant)."""
    access.require_perm(user, PERMISSION)
    company = access.restrict(Company, user, access.VIEW).get()
    queryset = employee_search(user=user, params=params).queryset
    rows: list[list[Any]] = []
    for employee in queryset:
        rows.append(_row(employee, sensitive=can_view_sensitive(user, employee)))
    content = excel.write_workbook(
        [
            excel.SheetSpec(
                title=_("Employees"),
                header=[header_label(c) for c in (*COLUMNS, *EXTRA_COLUMNS)],
                rows=rows,
                widths=[c.width for c in (*COLUMNS, *EXTRA_COLUMNS)],
            )
        ]
    )
    audit_event(company, "exported employees", {"rows": len(rows)})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(content=content, filename=f"employees-{stamp}.xlsx", rows=len(rows))
