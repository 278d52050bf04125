"""Employee import from Excel: template, dry run, all-or-nothing commit, idempotent re-import.

Flow (stateless web processes): ``employee_import_upload`` checks the file, parses and validates
every row against the current organisation and, when no row has an error, keeps the cleaned rows
(JSON, encrypted; the workbook itself is not parsed twice) as a pending ``ImportBatch`` with the
file's SHA-256. ``employee_import_commit`` re-validates those rows against the organisation as it
is now, inside one transaction, and writes everything or nothing; the batch then becomes
``committed`` or ``failed`` (never anything else, never twice).

Rules of the file (also written on the template's instructions sheet):
* row 1 is the header; a header cell is "<label> <key>" (``工号 employee_no``), the key alone or
  the label alone; unknown columns are ignored; rows whose employee number starts with ``#``
  (the template's example row) and empty rows are skipped;
* rows are matched to employees by employee number inside the actor's company: a known number
  updates that employee, an unknown number creates one;
* employee number, name, department code and hire date are required on every row;
* a blank cell leaves the stored value unchanged on updates (so an import never clears a
  manager, phone, national ID, …); on new rows a blank status means probation;
* department codes, managers' employee numbers and positions are looked up only inside the
  actor's company (through the access layer); a manager may be another row of the same file;
* a position is "title" + "grade": an existing position is used when title and grade match (or,
  without a grade, when exactly one position has that title); otherwise the commit creates it
  (the dry run lists the positions it will create);
* status: probation / regular / left, or their Chinese or English labels; an employee set to
  "left" gets today's leave date (if none) and loses their login, sessions and API token;
* department, position, manager and status moves are written to the employee history; every
  created or updated row is written to the audit log; sensitive values (national ID, bank
  account) never appear in messages or summaries.

Cost: one query per lookup table (departments, positions, employees in scope, the employees of
the file) plus a bounded number of bulk statements; no per-row queries except for employees
who leave (their login is ended one by one, as ``employee_update`` does).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renshi.core import access, excel
from renshi.core.audit import audit_bulk, audit_event, snapshot
from renshi.core.fields import fernet, mask
from renshi.core.models import AuditLog

from . import validators
from .models import Company, Department, Employee, EmployeeHistory, ImportBatch, Position
from .scope import get_scope
from .services import EMPLOYEE_FIELDS as SERVICE_EMPLOYEE_FIELDS
from .services import _end_access, history_rows

PERMISSION = "org.import_employees"
DETAIL_LIMIT = 1000  # changed/new rows listed in a summary (counts are always complete)
ERROR_LIMIT = 5000  # errors kept in a summary (the count is always complete)
EXAMPLE_PREFIX = "#"


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy, translated
    required: bool = False
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column("employee_no", gettext_lazy("Employee number"), required=True),
    Column("name", gettext_lazy("Employee name"), required=True),
    Column("department", gettext_lazy("Department code"), required=True, width=16),
    Column("position", gettext_lazy("Position title"), width=18),
    Column("grade", gettext_lazy("Grade"), width=10),
    Column("manager", gettext_lazy("Manager employee number"), width=18),
    Column("hire_date", gettext_lazy("Hire date"), required=True),
    Column("probation_end", gettext_lazy("Probation end")),
    Column("status", gettext_lazy("Status"), width=10),
    Column("email", gettext_lazy("Email"), width=24),
    Column("phone", gettext_lazy("Mobile phone"), width=16),
    Column("national_id", gettext_lazy("National ID"), width=22),
    Column("bank_account", gettext_lazy("Bank account"), width=22),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED_KEYS = tuple(c.key for c in COLUMNS if c.required)
SENSITIVE_KEYS = frozenset({"national_id", "bank_account"})
# fields of Employee an import may set (position/grade resolve to ``position``)
EMPLOYEE_FIELDS = tuple(f for f in SERVICE_EMPLOYEE_FIELDS if f != "employee_no")
EMPLOYEE_FIELDS = (
    "name",
    "department",
    "position",
    "manager",
    "hire_date",
    "probation_end",
    "status",
    "email",
    "phone",
    "national_id",
    "bank_account",
)
MAX_LENGTHS = {"employee_no": 32, "name": 100, "position": 200, "grade": 20, "email": 254}
# status words people type, besides the stored values and the labels in every UI language
STATUS_WORDS = {
    "试用": Employee.Status.PROBATION,
    "试用期": Employee.Status.PROBATION,
    "正式": Employee.Status.REGULAR,
    "转正": Employee.Status.REGULAR,
    "在职": Employee.Status.REGULAR,
    "离职": Employee.Status.LEFT,
    "已离职": Employee.Status.LEFT,
}


# header words people type (the Chinese labels of the template, and common synonyms); the
# labels of every UI language are accepted as well (``_header_aliases``)
HEADER_WORDS = {
    "工号": "employee_no",
    "员工编号": "employee_no",
    "姓名": "name",
    "部门": "department",
    "部门编码": "department",
    "部门代码": "department",
    "职位": "position",
    "岗位": "position",
    "职位名称": "position",
    "职级": "grade",
    "直属上级": "manager",
    "上级工号": "manager",
    "直属上级工号": "manager",
    "入职日期": "hire_date",
    "试用期结束": "probation_end",
    "试用期结束日期": "probation_end",
    "转正日期": "probation_end",
    "状态": "status",
    "员工状态": "status",
    "邮箱": "email",
    "电子邮箱": "email",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "身份证号": "national_id",
    "身份证号码": "national_id",
    "银行账号": "bank_account",
    "银行卡号": "bank_account",
}


class ImportStateError(Exception):
    """A batch that is no longer pending cannot be committed."""


# --- access policy of the batches -----------------------------------------------------------


# --- parsing ----------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str  # a column key, or "" for the whole row/file
    message: str

    def as_dict(self) -> dict[str, Any]:
        label = str(COLUMN_BY_KEY[self.column].label) if self.column in COLUMN_BY_KEY else ""
        return {"row": self.row, "column": self.column, "label": label, "message": self.message}


def _status_aliases() -> dict[str, str]:
    aliases = {k.lower(): v for k, v in STATUS_WORDS.items()}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for choice in Employee.Status:
                aliases[str(choice.label).strip().lower()] = choice.value
    for choice in Employee.Status:
        aliases[choice.value] = choice.value
    return aliases


def _header_aliases() -> dict[str, str]:
    aliases: dict[str, str] = dict(HEADER_WORDS)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in COLUMNS:
                aliases[str(column.label).strip().lower()] = column.key
    for column in COLUMNS:
        aliases[column.key] = column.key
    return aliases


def header_label(column: Column) -> str:
    """The template's header cell: translated label and key, e.g. "工号 employee_no"."""
    return f"{column.label} {column.key}"


def parse_header(header: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    """Map column keys to indexes. A cell may be "<label> <key>", the key or the label."""
    aliases = _header_aliases()
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        text = str(cell or "").strip()
        if not text:
            continue
        key = None
        tokens = text.replace("\n", " ").split()
        if tokens and tokens[-1].lower() in COLUMN_BY_KEY:
            key = tokens[-1].lower()
        elif text.lower() in aliases:
            key = aliases[text.lower()]
        if key is None:
            continue  # extra columns (e.g. a department name in an export) are ignored
        if key in found:
            errors.append(
                RowError(1, key, _("The column %(column)s appears twice.") % {"column": text})
            )
            continue
        found[key] = index
    for key in REQUIRED_KEYS:
        if key not in found:
            errors.append(
                RowError(
                    1,
                    key,
                    _("The required column %(column)s is missing.")
                    % {"column": header_label(COLUMN_BY_KEY[key])},
                )
            )
    return found, errors


_text = excel.cell_text
_date = excel.cell_date


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]  # cleaned values of the non-blank cells, by column key
    employee_no: str


def parse_rows(sheet: excel.Sheet) -> tuple[list[ParsedRow], list[RowError]]:
    """Clean every cell; format errors are collected per row and column, never raised."""
    columns, errors = parse_header(sheet.header)
    if errors:
        return [], errors
    statuses = _status_aliases()
    parsed: list[ParsedRow] = []
    for number, cells in sheet.rows:

        def cell(key: str, cells=cells) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        employee_no = _text(cell("employee_no"))
        if employee_no.startswith(EXAMPLE_PREFIX):
            continue
        values: dict[str, Any] = {}

        def error(key: str, message: str, number=number) -> None:
            errors.append(RowError(number, key, message))

        for key in COLUMN_BY_KEY:
            raw = cell(key)
            if key in ("hire_date", "probation_end"):
                if raw is None or _text(raw) == "":
                    continue
                parsed_date = _date(raw)
                if parsed_date is None:
                    error(key, _("Not a date; use the format YYYY-MM-DD."))
                else:
                    values[key] = parsed_date
                continue
            text = _text(raw)
            if not text:
                continue
            limit = MAX_LENGTHS.get(key)
            if limit and len(text) > limit:
                error(key, _("Too long (at most %(limit)s characters).") % {"limit": limit})
                continue
            if key == "status":
                status = statuses.get(text.lower())
                if status is None:
                    error(
                        key,
                        _("Unknown status %(value)s; use probation, regular or left.")
                        % {"value": text[:20]},
                    )
                    continue
                values[key] = status
                continue
            checks = {
                "email": validate_email,
                "phone": validators.validate_phone,
                "national_id": validators.validate_national_id,
                "bank_account": validators.validate_bank_account,
            }
            if key in checks:
                if key == "bank_account":
                    text = text.replace(" ", "")
                try:
                    checks[key](text)
                except ValidationError as exc:
                    # the validators' messages never repeat the value
                    error(key, " ".join(str(m) for m in exc.messages))
                    continue
            values[key] = text
        for key in REQUIRED_KEYS:
            if key not in values and not any(e.row == number and e.column == key for e in errors):
                error(key, _("This column is required."))
        if "grade" in values and "position" not in values:
            error("grade", _("A grade needs a position title."))
        parsed.append(ParsedRow(row=number, values=values, employee_no=employee_no))
    return parsed, errors


# --- validation against the organisation ------------------------------------------------------


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class PlannedRow:
    row: int
    employee_no: str
    values: dict[str, Any]
    employee: Employee | None = None  # None: a new employee
    changes: list[Change] = field(default_factory=list)
    position_key: tuple[str, str] | None = None  # a position the commit creates


@dataclass(frozen=True)
class Person:
    pk: int
    name: str
    manager_id: int | None

    def label(self, employee_no: str) -> str:
        return f"{self.name} ({employee_no})"


@dataclass
class Plan:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: int = 0
    new_positions: list[tuple[str, str]] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    positions: dict[tuple[str, str], Position] = field(default_factory=dict)
    # employees in the actor's scope: employee_no -> Person (plain data, no model instances)
    people: dict[str, Person] = field(default_factory=dict)
    _stand_ins: dict[str, Employee] = field(default_factory=dict)

    def employee_ref(self, employee_no: str, company_id: int) -> Employee:
        """A light Employee instance (pk, number, name) to assign as a manager and to label
        history rows, without loading and decrypting the whole row."""
        ref = self._stand_ins.get(employee_no)
        if ref is None:
            person = self.people[employee_no]
            ref = Employee(
                pk=person.pk, company_id=company_id, employee_no=employee_no, name=person.name
            )
            self._stand_ins[employee_no] = ref
        return ref

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        def row_info(planned: PlannedRow) -> dict[str, Any]:
            name = planned.values.get("name") or (planned.employee.name if planned.employee else "")
            return {
                "row": planned.row,
                "employee_no": planned.employee_no,
                "name": name,
                "changes": [c.__dict__ for c in planned.changes],
            }

        errors = sorted(self.errors, key=lambda e: (e.row, e.column))
        return {
            "rows": self.rows,
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": self.unchanged,
            "new_positions": [f"{t} ({g})" if g else t for t, g in self.new_positions],
            "error_count": len(errors),
            "errors": [e.as_dict() for e in errors[:ERROR_LIMIT]],
            "new": [row_info(p) for p in self.creates[:DETAIL_LIMIT]],
            "changed": [row_info(p) for p in self.updates[:DETAIL_LIMIT]],
        }


def _display(key: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if key == "national_id":
        return mask(str(value), keep_start=4, keep_end=4)
    if key == "bank_account":
        return mask(str(value), keep_start=0, keep_end=4)
    if key == "status":
        return str(Employee.Status(value).label)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _cycles(edges: dict[str, str | None], starts: Iterable[str]) -> dict[str, list[str]]:
    """Nodes on a cycle of the manager graph (each node has at most one manager) → the cycle."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    found: dict[str, list[str]] = {}
    for start in starts:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = edges.get(node)
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            for member in cycle:
                found[member] = cycle
        for member in path:
            state[member] = 2
    return found


def _employees_for_update(actor: Any, numbers: list[str], *, lock: bool) -> QuerySet:
    queryset = access.restrict(Employee, actor, access.CHANGE).filter(employee_no__in=numbers)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset


def plan_import(*, actor: Any, rows: list[ParsedRow], errors: list[RowError], lock: bool = False):
    """Check every row against the organisation (in the actor's scope) and work out what the
    commit will do. Reads only; a fixed number of queries whatever the number of rows."""
    plan = Plan(rows=len(rows), errors=list(errors))
    plan.departments = {
        d.code: d
        for d in access.restrict(Department, actor, access.VIEW).only(
            "id", "code", "name", "company_id"
        )
    }
    by_title: dict[str, list[Position]] = {}
    for position in access.restrict(Position, actor, access.VIEW):
        plan.positions[(position.title, position.grade)] = position
        by_title.setdefault(position.title, []).append(position)
    people = access.restrict(Employee, actor, access.VIEW).values_list(
        "id", "employee_no", "name", "manager_id"
    )
    plan.people = {no: Person(pk, name, manager_id) for pk, no, name, manager_id in people}
    number_of = {p.pk: no for no, p in plan.people.items()}
    file_numbers = [r.employee_no for r in rows if r.employee_no]
    current = {e.employee_no: e for e in _employees_for_update(actor, file_numbers, lock=lock)}
    # related objects from the lookup tables instead of joins (no per-row decrypting/snapshots)
    departments_by_id = {d.pk: d for d in plan.departments.values()}
    positions_by_id = {p.pk: p for p in plan.positions.values()}
    for employee in current.values():
        if employee.department_id in departments_by_id:
            employee.department = departments_by_id[employee.department_id]
        if employee.position_id is None or employee.position_id in positions_by_id:
            employee.position = positions_by_id.get(employee.position_id)
        manager_no = number_of.get(employee.manager_id)
        if manager_no is not None:
            employee.manager = plan.employee_ref(manager_no, employee.company_id)

    seen: dict[str, int] = {}
    edges: dict[str, str | None] = {
        no: number_of.get(p.manager_id) for no, p in plan.people.items()
    }
    planned_rows: list[PlannedRow] = []
    for parsed in rows:
        values = parsed.values
        no = parsed.employee_no

        def error(key: str, message: str, parsed=parsed) -> None:
            plan.errors.append(RowError(parsed.row, key, message))

        if no:
            if no in seen:
                error(
                    "employee_no",
                    _("Employee number %(no)s appears more than once (first in row %(row)s).")
                    % {"no": no, "row": seen[no]},
                )
                continue
            seen[no] = parsed.row
        planned = PlannedRow(row=parsed.row, employee_no=no, values=values)
        if no and no in plan.people and no not in current:
            error("employee_no", _("You may not change employee %(no)s.") % {"no": no})
            continue
        planned.employee = current.get(no)
        code = values.get("department")
        if code is not None and code not in plan.departments:
            error("department", _("Unknown department code %(code)s.") % {"code": code})
        title = values.get("position")
        if title is not None:
            grade = values.get("grade", "")
            key = (title, grade)
            if key not in plan.positions and "grade" not in values:
                matches = by_title.get(title, [])
                if len(matches) == 1:
                    key = (matches[0].title, matches[0].grade)
                elif len(matches) > 1:
                    error(
                        "grade",
                        _("Several positions are called %(title)s; give the grade.")
                        % {"title": title},
                    )
            if key not in plan.positions:
                planned.position_key = key
            values["position_key"] = key
        manager_no = values.get("manager")
        if manager_no is not None:
            edges[no] = manager_no
        elif no and planned.employee is None:
            edges[no] = None
        hire = values.get("hire_date") or (planned.employee and planned.employee.hire_date)
        probation_end = values.get("probation_end") or (
            planned.employee and planned.employee.probation_end
        )
        if hire and probation_end and probation_end < hire:
            error("probation_end", _("Probation cannot end before the hire date."))
        planned_rows.append(planned)

    in_file = {p.employee_no for p in planned_rows}
    for planned in planned_rows:
        manager_no = planned.values.get("manager")
        if manager_no is not None and manager_no not in plan.people and manager_no not in in_file:
            plan.errors.append(
                RowError(
                    planned.row,
                    "manager",
                    _("Manager %(no)s not found in the file or the company.") % {"no": manager_no},
                )
            )
            planned.values.pop("manager")
            edges[planned.employee_no] = None
    cycles = _cycles(edges, [p.employee_no for p in planned_rows if p.employee_no])
    for planned in planned_rows:
        cycle = cycles.get(planned.employee_no)
        if cycle:
            plan.errors.append(
                RowError(
                    planned.row,
                    "manager",
                    _("Reporting lines would form a cycle: %(cycle)s.")
                    % {"cycle": " → ".join([*cycle, cycle[0]])},
                )
            )

    new_positions: dict[tuple[str, str], None] = {}
    for planned in planned_rows:
        if planned.position_key is not None:
            new_positions[planned.position_key] = None
        if planned.employee is None:
            plan.creates.append(planned)
        else:
            planned.changes = _changes(planned, plan)
            if planned.changes:
                plan.updates.append(planned)
            else:
                plan.unchanged += 1
    plan.new_positions = list(new_positions)
    return plan


def _changes(planned: PlannedRow, plan: Plan) -> list[Change]:
    employee = planned.employee
    changes = []
    for key in EMPLOYEE_FIELDS:
        if key not in planned.values:
            continue
        new = planned.values[key]
        if key == "department":
            old = employee.department.code
        elif key == "position":
            new = planned.values["position_key"]
            old = (employee.position.title, employee.position.grade) if employee.position else None
        elif key == "manager":
            old = employee.manager.employee_no if employee.manager_id else None
        else:
            old = getattr(employee, key)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        if key == "position":
            before = str(employee.position) if employee.position else ""
            title, grade = new
            after = f"{title} ({grade})" if grade else title
        elif key == "department":
            before = f"{employee.department.name} ({old})"
            after = f"{plan.departments[new].name} ({new})" if new in plan.departments else new
        elif key == "manager":
            before = str(employee.manager) if employee.manager_id else ""
            after = plan.people[new].label(new) if new in plan.people else new
        else:
            before, after = _display(key, old), _display(key, new)
        changes.append(Change(field=key, before=before, after=after))
    return changes


# --- services -------------------------------------------------------------------------------


@dataclass
class UploadResult:
    summary: dict[str, Any]
    batch: ImportBatch | None  # None when a row has an error (nothing is stored)


def _company_id(actor: Any) -> int:
    company_id = get_scope(actor).company_id
    if company_id is None:
        raise PermissionDenied
    return company_id


def _read_rows(data: bytes) -> tuple[list[ParsedRow], list[RowError]]:
    sheet = excel.read_sheet(data, max_rows=settings.RENSHI_IMPORT_MAX_ROWS)
    return parse_rows(sheet)


def _plan(*, actor: Any, rows: list[ParsedRow], errors: list[RowError], lock: bool = False):
    if errors and not rows:  # a broken header: nothing else to check
        return Plan(rows=0, errors=errors)
    return plan_import(actor=actor, rows=rows, errors=errors, lock=lock)


def _dump_rows(rows: list[ParsedRow]) -> bytes:
    """The cleaned rows of a valid file, as JSON (dates tagged), for the pending batch: the
    commit re-validates them against the organisation without parsing the workbook again."""

    def value(v: Any) -> Any:
        return {"date": v.isoformat()} if isinstance(v, datetime.date) else v

    payload = [[r.row, r.employee_no, {k: value(v) for k, v in r.values.items()}] for r in rows]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _load_rows(data: bytes) -> list[ParsedRow]:
    def value(v: Any) -> Any:
        if isinstance(v, dict) and set(v) == {"date"}:
            return datetime.date.fromisoformat(v["date"])
        return v

    return [
        ParsedRow(row=row, employee_no=number, values={k: value(v) for k, v in values.items()})
        for row, number, values in json.loads(data)
    ]


@transaction.atomic
def employee_import_upload(*, actor: Any, filename: str, data: bytes) -> UploadResult:
    """The dry run: check the file, validate every row, change nothing in the organisation.

    Raises ``excel.ExcelError`` for a file that is not an acceptable workbook (nothing stored).
    When every row is valid, its cleaned rows are kept (encrypted) as a pending batch to commit
    by id."""
    access.require_perm(actor, PERMISSION)
    company_id = _company_id(actor)
    excel.check_upload(filename=filename, data=data, max_bytes=settings.RENSHI_IMPORT_MAX_BYTES)
    rows, errors = _read_rows(data)
    plan = _plan(actor=actor, rows=rows, errors=errors)
    summary = plan.summary()
    if not plan.ok:
        return UploadResult(summary=summary, batch=None)
    batch = ImportBatch(
        company_id=company_id,
        uploaded_by=actor,
        filename=str(filename)[-255:],
        sha256=hashlib.sha256(data).hexdigest(),
        content=fernet().encrypt(_dump_rows(rows)),
        summary=summary,
    )
    batch.full_clean(exclude=["content"])
    batch.save()
    return UploadResult(summary=summary, batch=batch)


def _finish(batch: ImportBatch, status: str, summary: dict[str, Any]) -> None:
    """The only status change of a batch: pending → committed | failed (compare-and-set)."""
    if status not in (ImportBatch.Status.COMMITTED, ImportBatch.Status.FAILED):
        raise ImportStateError(status)
    now = timezone.now()
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PENDING).update(
        status=status, summary=summary, finished_at=now, content=b""
    )
    if not updated:
        raise ImportStateError(batch.status)
    before = snapshot(batch)
    batch.status, batch.summary, batch.finished_at, batch.content = status, summary, now, b""
    audit_bulk([batch], action=AuditLog.Action.UPDATE, befores={batch.pk: before})


class _Invalid(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__("invalid import")
        self.plan = plan


@transaction.atomic
def employee_import_commit(*, actor: Any, batch_id: int) -> ImportBatch:
    """Commit a pending batch: re-validate against the current organisation and write all rows
    or none. The batch becomes committed or failed; committing it again raises
    ImportStateError. Another user's or company's batch raises Http404."""
    access.require_perm(actor, PERMISSION)
    batch = access.get_object_or_404(
        ImportBatch.objects.select_for_update(), actor, access.CHANGE, pk=batch_id
    )
    if batch.status != ImportBatch.Status.PENDING:
        raise ImportStateError(batch.status)
    rows = _load_rows(fernet().decrypt(bytes(batch.content)))
    try:
        with transaction.atomic():
            plan = _plan(actor=actor, rows=rows, errors=[], lock=True)
            if not plan.ok:
                raise _Invalid(plan)
            _apply(actor=actor, plan=plan)
    except _Invalid as invalid:
        _finish(batch, ImportBatch.Status.FAILED, invalid.plan.summary())
        return batch
    except DatabaseError:
        # e.g. an employee number taken meanwhile outside the actor's scope: nothing written
        failed = Plan(errors=[RowError(0, "", _("The database refused the changes."))])
        _finish(batch, ImportBatch.Status.FAILED, failed.summary())
        return batch
    summary = plan.summary()
    _finish(batch, ImportBatch.Status.COMMITTED, summary)
    audit_event(
        Company.objects.get(pk=batch.company_id),
        "import committed",
        {
            "batch": batch.pk,
            "sha256": batch.sha256,
            "created": summary["created"],
            "updated": summary["updated"],
            "unchanged": summary["unchanged"],
        },
    )
    return batch


def _apply(*, actor: Any, plan: Plan) -> None:
    company_id = _company_id(actor)
    if plan.creates or plan.updates:
        access.require_perm(actor, "org.manage_employees")
    today = timezone.localdate()
    now = timezone.now()
    positions = dict(plan.positions)
    new_positions = [
        Position(company_id=company_id, title=title, grade=grade)
        for title, grade in plan.new_positions
    ]
    if new_positions:
        Position.objects.bulk_create(new_positions)
        audit_bulk(new_positions, action=AuditLog.Action.CREATE)
        positions.update({(p.title, p.grade): p for p in new_positions})
    created_by_no: dict[str, Employee] = {}

    def manager(no: str) -> Employee:
        return created_by_no[no] if no in created_by_no else plan.employee_ref(no, company_id)

    def resolve(planned: PlannedRow, key: str) -> Any:
        value = planned.values[key]
        if key == "department":
            return plan.departments[value]
        if key == "position":
            return positions[planned.values["position_key"]]
        return value

    # new employees, inserted level by level of the reporting lines among the new rows (a
    # manager who is a new row is inserted before their reports): the number of statements
    # grows with the depth of the new reporting lines, never with the number of rows
    new_numbers = {p.employee_no for p in plan.creates}
    by_no = {p.employee_no: p for p in plan.creates}
    depth: dict[str, int] = {}
    for planned in plan.creates:
        chain = []
        node = planned.employee_no
        while node not in depth:
            chain.append(node)
            manager_no = by_no[node].values.get("manager")
            if manager_no not in new_numbers:
                depth[node] = 0
                chain.pop()
                break
            node = manager_no
        for member in reversed(chain):
            depth[member] = depth[by_no[member].values["manager"]] + 1
    levels: dict[int, list[Employee]] = {}
    created: list[Employee] = []
    for planned in plan.creates:
        employee = Employee(company_id=company_id, employee_no=planned.employee_no)
        for key in EMPLOYEE_FIELDS:
            if key in planned.values and key != "manager":
                setattr(employee, key, resolve(planned, key))
        if employee.status == Employee.Status.LEFT:
            employee.leave_date = today
        levels.setdefault(depth[planned.employee_no], []).append(employee)
        created.append(employee)
    for level in sorted(levels):
        for employee in levels[level]:
            manager_no = by_no[employee.employee_no].values.get("manager")
            if manager_no is not None:
                employee.manager = manager(manager_no)
        Employee.objects.bulk_create(levels[level], batch_size=500)
        created_by_no.update({e.employee_no: e for e in levels[level]})
    audit_bulk(created, action=AuditLog.Action.CREATE)

    # updates: only the fields that changed, one version bump each
    updated: list[Employee] = []
    befores: dict[int, dict[str, Any]] = {}
    history: list[EmployeeHistory] = []
    leavers: list[Employee] = []
    fields: set[str] = {"version", "updated_at"}
    for planned in plan.updates:
        employee = planned.employee
        befores[employee.pk] = snapshot(employee)
        moves_before = {
            key: getattr(employee, key) for key in ("department", "position", "manager", "status")
        }
        for change in planned.changes:
            key = change.field
            if key == "manager":
                employee.manager = manager(planned.values["manager"])
            else:
                setattr(employee, key, resolve(planned, key))
            fields.add(key)
        if employee.status == Employee.Status.LEFT and employee.leave_date is None:
            employee.leave_date = today
            fields.add("leave_date")
        if (
            moves_before["status"] != Employee.Status.LEFT
            and employee.status == Employee.Status.LEFT
        ):
            leavers.append(employee)
        employee.version += 1
        employee.updated_at = now
        history.extend(
            history_rows(employee=employee, before=moves_before, actor=actor, effective_date=today)
        )
        updated.append(employee)
    if updated:
        Employee.objects.bulk_update(updated, sorted(fields), batch_size=500)
        EmployeeHistory.objects.bulk_create(history, batch_size=1000)
        audit_bulk(updated, action=AuditLog.Action.UPDATE, befores=befores)
    for employee in leavers:
        _end_access(employee)
    # every written row must still be inside the actor's scope (no importing out of sight)
    written = [e.pk for e in created] + [e.pk for e in updated]
    if written:
        visible = access.restrict(Employee, actor, access.VIEW).filter(pk__in=written).count()
        if visible != len(written):
            raise PermissionDenied


# --- files ------------------------------------------------------------------------------------


def build_import_workbook(rows: Iterable[dict[str, Any]]) -> bytes:
    """An import file (first sheet) as .xlsx bytes, with the template's header row.

    ``rows``: one dict per employee keyed by column key — ``employee_no``, ``name``,
    ``department`` (department code), ``position`` (title), ``grade``, ``manager`` (the
    manager's employee number), ``hire_date`` and ``probation_end`` (``datetime.date`` or
    "YYYY-MM-DD"), ``status`` ("probation" | "regular" | "left" or a label), ``email``,
    ``phone``, ``national_id``, ``bank_account`` (text). Missing keys give blank cells.
    Used by the template download, the tests and the benchmark (``import_10k_s``).
    """
    header = [header_label(c) for c in COLUMNS]

    def lines():
        for row in rows:
            yield [row.get(c.key) for c in COLUMNS]

    return excel.write_workbook(
        [
            excel.SheetSpec(
                title=_("Employees"),
                header=header,
                rows=lines(),
                widths=[c.width for c in COLUMNS],
            )
        ]
    )


def import_template(*, actor: Any) -> bytes:
    """The template: header row, an example row (ignored on import) and an instructions sheet
    with the formats, the statuses and the department codes of the actor's company."""
    access.require_perm(actor, PERMISSION)
    departments = list(access.restrict(Department, actor, access.VIEW).order_by("code"))
    first_code = departments[0].code if departments else "D01"
    example = {
        "employee_no": EXAMPLE_PREFIX + "E0001",
        "name": _("Zhang San"),
        "department": first_code,
        "position": _("Sales representative"),
        "grade": "P3",
        "manager": "",
        "hire_date": datetime.date(2025, 3, 1),
        "probation_end": datetime.date(2025, 9, 1),
        "status": Employee.Status.PROBATION.value,
        "email": "zhangsan@example.com",
        "phone": "13800000000",
        "national_id": "",
        "bank_account": "",
    }
    header = [header_label(c) for c in COLUMNS]
    instructions: list[list[Any]] = [
        [_("How to fill in this file")],
        [_("Row 1 is the header; keep it. One employee per row from row 2.")],
        [_("Rows whose employee number starts with # are ignored (the example row).")],
        [_("A known employee number updates that employee; a new one creates an employee.")],
        [_("A blank cell leaves the stored value unchanged when an employee is updated.")],
        [_("Required: employee number, name, department code, hire date.")],
        [_("Dates: YYYY-MM-DD (or a date cell).")],
        [_("Manager: the manager's employee number, in this file or already in the company.")],
        [_("Positions that do not exist yet (title + grade) are created by the import.")],
        [_("Enter national IDs and bank accounts as text, so no digit is lost.")],
        [_("Upload: a dry run shows every error first; nothing changes until you commit.")],
        [],
        [_("Column"), _("Required"), _("Format")],
    ]
    formats = {
        "employee_no": _("text, at most 32 characters, unique in the company"),
        "name": _("text, at most 100 characters"),
        "department": _("a department code from the list below"),
        "position": _("position title"),
        "grade": _("grade, e.g. P3"),
        "manager": _("employee number"),
        "hire_date": "YYYY-MM-DD",
        "probation_end": "YYYY-MM-DD",
        "status": _("see the statuses below"),
        "email": "name@example.com",
        "phone": _("mobile phone, e.g. 13800000000"),
        "national_id": _("18 characters, the last may be X"),
        "bank_account": _("12 to 19 digits"),
    }
    for column in COLUMNS:
        instructions.append(
            [header_label(column), _("yes") if column.required else "", formats[column.key]]
        )
    instructions += [[], [_("Status"), _("Accepted values")]]
    for choice in Employee.Status:
        instructions.append([str(choice.label), choice.value])
    instructions += [[], [_("Department code"), _("Department")]]
    for department in departments:
        instructions.append([department.code, department.name])
    example_row = [example.get(c.key) for c in COLUMNS]
    return excel.write_workbook(
        [
            excel.SheetSpec(
                title=_("Employees"),
                header=header,
                rows=[example_row],
                widths=[c.width for c in COLUMNS],
            ),
            excel.SheetSpec(
                title=_("Instructions"),
                header=[_("Employee import")],
                rows=instructions,
                widths=[28, 12, 48],
            ),
        ]
    )
