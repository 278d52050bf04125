"""Actuals of manual indicators from Excel (docs/performance-360.md, "Importing actuals").

Flow:
1. ``actuals_template`` — a department head (or the performance manager) downloads, for a plan
   and one of its departments, one row per scorecard item of a *manual* indicator in their
   scope: employee number 工号, name 姓名, indicator 指标, target 目标值, actual 实际值 (the current
   actual, if any). Text cells are neutralised against formulas (``core.excel.write_workbook``).
2. ``actuals_check`` — the dry run: the upload is checked (``core.excel.check_upload`` then
   ``read_sheet``: .xlsx only, size and row limits, values never formulas) and every row is
   validated (``validate_rows``); nothing is written. Errors name the spreadsheet row.
3. ``actuals_commit`` — all rows or none. **No server state between the two steps**: the dry
   run hands the page a payload signed with ``django.core.signing`` (salted per purpose, tied to
   the plan and the user, valid ``PAYLOAD_MAX_AGE`` seconds) holding the parsed rows and the
   versions of the items it would change. The commit verifies the signature and age, validates
   the rows again as the organisation and the plan are *now*, locks the items and refuses the
   whole commit when any of them changed since the dry run (``ConflictError``). This works with
   several processes and no cache, and a pending import never needs cleaning up.

Writes: ``ScorecardItem.actual`` with ``actual_source = "import"`` and the file and row in
``actual_trace``; each item's version is bumped; one ``bulk_update``, the change log through
``audit_bulk`` and one ``audit_event`` on the plan.

Per-row errors: missing or malformed cells, an actual that is not a number, an unknown employee
number, an employee without a scorecard in the plan, a scorecard outside the uploader's scope,
an unknown indicator on that scorecard, an indicator fed by a metric or a goal, a rated
(1–5) indicator, the same employee and indicator twice. The plan must be in progress or in
self-evaluation (otherwise the whole file is refused). A blank actual leaves the item alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renshi.core import access, excel
from renshi.core.audit import audit_bulk, audit_event, snapshot
from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.metrics.imports import (
    EXAMPLE_PREFIX,
    Column,
    RowError,
    header_label,
    parse_header,
    parse_number,
)
from renshi.org.models import Department, Employee, Role
from renshi.org.scope import get_scope

from . import scoring
from .models import DataSource, Plan, PlanDepartment, Scorecard, ScorecardItem

PERMISSION = "performance.import_actuals"
OPEN_STATUSES = frozenset({Plan.Status.TRACKING, Plan.Status.SELF_EVALUATION})
SOURCE = "import"
PAYLOAD_SALT = "renshi.performance.actuals-import"
PAYLOAD_MAX_AGE = 30 * 60  # seconds between the dry run and the commit
PREVIEW_LIMIT = 200
ERROR_LIMIT = 1000
MAX_DIGITS = Decimal("1e14")  # ScorecardItem.actual: 18 digits, 4 decimals

COLUMNS: tuple[Column, ...] = (
    Column("employee_no", gettext_lazy("Employee number"), required=True),
    Column("name", gettext_lazy("Name")),
    Column("indicator", gettext_lazy("Indicator"), required=True, width=28),
    Column("target", gettext_lazy("Target")),
    Column("actual", gettext_lazy("Actual"), required=True),
)
WORDS = {
    "工号": "employee_no",
    "员工编号": "employee_no",
    "姓名": "name",
    "指标": "indicator",
    "指标名称": "indicator",
    "目标": "target",
    "目标值": "target",
    "实际": "actual",
    "实际值": "actual",
    "完成值": "actual",
}


# --- who, which rows ----------------------------------------------------------------------------


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


def may_import(user: Any) -> bool:
    return access.has_perm(user, PERMISSION)


def check_plan(user: Any, plan: Plan) -> None:
    """The plan is visible (caller fetched it through the access layer) and the user may
    import at all (403 otherwise)."""
    if not may_import(user):
        raise PermissionDenied


def _subtree(company_id: int, root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent in Department.objects.filter(company_id=company_id).values_list(
        "id", "parent_id"
    ):
        children.setdefault(parent, []).append(pk)
    found, stack = set(), [root_id]
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, ()))
    return found


def scope_cards(user: Any, plan: Plan, department_ids: set[int] | None = None):
    """The plan's scorecards whose actuals the user may import: scorecards they may change
    (never their own), and for a head only those of their headed subtree."""
    scope = get_scope(user)
    cards = access.restrict(Scorecard, user, access.CHANGE).filter(plan_id=plan.pk)
    if not scope.has_role(Role.PERFORMANCE_MANAGER):
        cards = cards.filter(department_id__in=scope.headed_department_ids)
    if department_ids is not None:
        cards = cards.filter(department_id__in=department_ids)
    return cards


def import_departments(*, user: Any, plan: Plan) -> list[Department]:
    """The plan's departments a user may download a template for."""
    scope = get_scope(user)
    if not _person(scope):
        return []
    parts = PlanDepartment.objects.filter(plan_id=plan.pk).select_related("department")
    if not scope.has_role(Role.PERFORMANCE_MANAGER):
        parts = parts.filter(department_id__in=scope.headed_department_ids)
    return [p.department for p in parts.order_by("department__name")]


def _is_rating(indicator) -> bool:
    return (indicator.rule or {}).get("kind") == scoring.RATING


def _importable(item: ScorecardItem) -> bool:
    ind = item.indicator
    return ind.data_source == DataSource.MANUAL and not _is_rating(ind)


def _plain(value: Decimal | None) -> Any:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral() else float(normal)


# --- template -----------------------------------------------------------------------------------


def actuals_template(*, actor: Any, plan: Plan, department: Department) -> bytes:
    """The template workbook for a plan and one of its departments (with its subtree)."""
    check_plan(actor, plan)
    if department.pk not in {d.pk for d in import_departments(user=actor, plan=plan)}:
        raise PermissionDenied
    cards = scope_cards(actor, plan, _subtree(plan.company_id, department.pk))
    items = (
        ScorecardItem.objects.filter(scorecard__in=cards.values("pk"))
        .select_related("scorecard__employee", "indicator")
        .order_by("scorecard__employee__employee_no", "indicator__category", "indicator__order")
    )
    rows = [
        (
            item.scorecard.employee.employee_no,
            item.scorecard.employee.name,
            item.indicator.name,
            _plain(item.target),
            _plain(item.actual),
        )
        for item in items
        if _importable(item)
    ]
    header = [header_label(c) for c in COLUMNS]
    return excel.write_workbook(
        [
            excel.SheetSpec(
                title=str(_("Actuals")), header=header, rows=rows, widths=[c.width for c in COLUMNS]
            )
        ]
    )


# --- parsing and validating ---------------------------------------------------------------------


@dataclass
class ParsedRow:
    row: int
    employee_no: str
    indicator: str
    actual: str  # a normalised decimal string


@dataclass
class Change:
    row: int
    item_id: int
    version: int
    employee_no: str
    employee: str
    indicator: str
    before: Decimal | None
    after: Decimal


@dataclass
class Check:
    rows: list[ParsedRow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0  # blank actuals
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.row, e.column))[:ERROR_LIMIT]


_text = excel.cell_text


def _label(key: str) -> str:
    for c in COLUMNS:
        if c.key == key:
            return str(c.label)
    return ""


def _error(row: int, column: str, message: str) -> RowError:
    return RowError(row, column, message, _label(column))


def parse_rows(sheet: excel.Sheet) -> tuple[list[ParsedRow], list[RowError], int]:
    """Rows with their format errors; returns (rows, errors, blank actuals skipped)."""
    columns, errors = parse_header(sheet.header, COLUMNS, WORDS)
    if errors:
        return [], errors, 0
    rows: list[ParsedRow] = []
    skipped = 0
    for number, cells in sheet.rows:

        def cell(key: str, cells=cells) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        employee_no = _text(cell("employee_no"))
        if employee_no.startswith(EXAMPLE_PREFIX):
            continue
        indicator = _text(cell("indicator"))
        raw = cell("actual")
        row_errors = []
        if not employee_no:
            row_errors.append(_error(number, "employee_no", _("This column is required.")))
        if not indicator:
            row_errors.append(_error(number, "indicator", _("This column is required.")))
        if raw is None or _text(raw) == "":
            if not row_errors:
                skipped += 1
            errors.extend(row_errors)
            continue
        value = parse_number(raw if not isinstance(raw, str) else _text(raw))
        if value is None:
            row_errors.append(_error(number, "actual", _("Not a number.")))
        elif abs(value) >= MAX_DIGITS:
            row_errors.append(_error(number, "actual", _("The number is too large.")))
        if row_errors:
            errors.extend(row_errors)
            continue
        value = value.quantize(Decimal("0.0001"))
        rows.append(ParsedRow(number, employee_no, indicator, format(value.normalize(), "f")))
    return rows, errors, skipped


def validate_rows(*, actor: Any, plan: Plan, rows: Sequence[ParsedRow]) -> Check:
    """Check parsed rows against the plan and the actor's scope as they are now (nothing
    written). Five queries whatever the number of rows."""
    check = Check(rows=list(rows))
    if plan.status not in OPEN_STATUSES:
        check.errors.append(
            RowError(
                0,
                "",
                _(
                    "Actuals can be imported only while the plan is in progress or in "
                    "self-evaluation (now: %(status)s)."
                )
                % {"status": plan.get_status_display()},
            )
        )
        return check
    numbers = {r.employee_no for r in rows}
    employees = {
        e.employee_no: e
        for e in Employee.objects.filter(company_id=plan.company_id, employee_no__in=numbers).only(
            "id", "employee_no", "name"
        )
    }
    cards = {
        c.employee_id: c
        for c in Scorecard.objects.filter(
            plan_id=plan.pk, employee_id__in=[e.pk for e in employees.values()]
        ).only("id", "employee_id", "department_id")
    }
    allowed = set(
        scope_cards(actor, plan)
        .filter(pk__in=[c.pk for c in cards.values()])
        .values_list("pk", flat=True)
    )
    items: dict[tuple[int, str], ScorecardItem] = {}
    for item in ScorecardItem.objects.filter(scorecard_id__in=allowed).select_related("indicator"):
        items[(item.scorecard_id, item.indicator.name.strip().lower())] = item
    seen: dict[int, int] = {}
    for r in rows:
        employee = employees.get(r.employee_no)
        if employee is None:
            check.errors.append(_error(r.row, "employee_no", _("Unknown employee number.")))
            continue
        card = cards.get(employee.pk)
        if card is None:
            check.errors.append(
                _error(r.row, "employee_no", _("This employee has no scorecard in this plan."))
            )
            continue
        if card.pk not in allowed:
            check.errors.append(
                _error(r.row, "employee_no", _("This employee's scorecard is outside your scope."))
            )
            continue
        item = items.get((card.pk, r.indicator.strip().lower()))
        if item is None:
            check.errors.append(
                _error(r.row, "indicator", _("This indicator is not on the employee's scorecard."))
            )
            continue
        if item.indicator.data_source != DataSource.MANUAL:
            check.errors.append(
                _error(
                    r.row,
                    "indicator",
                    _("This indicator is fed by a metric or a goal; its actual is computed."),
                )
            )
            continue
        if _is_rating(item.indicator):
            check.errors.append(
                _error(
                    r.row,
                    "indicator",
                    _("This indicator is rated in the evaluation; it has no actual."),
                )
            )
            continue
        if item.pk in seen:
            check.errors.append(
                _error(
                    r.row,
                    "",
                    _("Same employee and indicator as row %(row)s.") % {"row": seen[item.pk]},
                )
            )
            continue
        seen[item.pk] = r.row
        after = Decimal(r.actual)
        if item.actual is not None and item.actual == after:
            check.unchanged += 1
            continue
        check.changes.append(
            Change(
                row=r.row,
                item_id=item.pk,
                version=item.version,
                employee_no=employee.employee_no,
                employee=employee.name,
                indicator=item.indicator.name,
                before=item.actual,
                after=after,
            )
        )
    return check


def actuals_check(*, actor: Any, plan: Plan, filename: str, data: bytes) -> Check:
    """The dry run of an upload (nothing written). Raises ``excel.ExcelError`` for a file
    that is not an acceptable workbook."""
    check_plan(actor, plan)
    excel.check_upload(filename=filename, data=data, max_bytes=settings.RENSHI_IMPORT_MAX_BYTES)
    sheet = excel.read_sheet(data, max_rows=settings.RENSHI_IMPORT_MAX_ROWS)
    rows, errors, skipped = parse_rows(sheet)
    check = validate_rows(actor=actor, plan=plan, rows=rows)
    check.errors = errors + check.errors
    check.skipped = skipped
    if not check.errors and not rows and not errors:
        check.errors.append(RowError(0, "", _("The file has no actuals to import.")))
    return check


# --- the signed payload -------------------------------------------------------------------------


def payload_sign(*, actor: Any, plan: Plan, filename: str, check: Check) -> str:
    """What the commit form posts back: the rows to write and the versions seen, signed."""
    return signing.dumps(
        {
            "plan": plan.pk,
            "user": actor.pk,
            "file": str(filename)[:120],
            "rows": [[r.row, r.employee_no, r.indicator, r.actual] for r in check.rows],
            "versions": {str(c.item_id): c.version for c in check.changes},
        },
        salt=PAYLOAD_SALT,
        compress=True,
    )


def payload_load(*, actor: Any, plan: Plan, payload: str) -> dict[str, Any]:
    try:
        data = signing.loads(payload, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            _("The dry run is too old; upload the file again."), code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            _("The import could not be verified; upload the file again."), code="tampered"
        ) from None
    if not isinstance(data, dict) or data.get("plan") != plan.pk or data.get("user") != actor.pk:
        raise ValidationError(
            _("The import could not be verified; upload the file again."), code="tampered"
        )
    return data


# --- commit -------------------------------------------------------------------------------------


@transaction.atomic
def actuals_commit(*, actor: Any, plan: Plan, payload: str) -> int:
    """Write the actuals of a verified dry run, all or none. Returns how many items changed.

    ValidationError: the payload is stale or tampered, or a row is no longer valid (the
    message lists the rows); ConflictError: an item changed since the dry run."""
    check_plan(actor, plan)
    data = payload_load(actor=actor, plan=plan, payload=payload)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    try:
        rows = [
            ParsedRow(int(r[0]), str(r[1]), str(r[2]), str(Decimal(str(r[3]))))
            for r in data["rows"]
        ]
        versions = {int(k): int(v) for k, v in data["versions"].items()}
    except (KeyError, TypeError, ValueError, ArithmeticError):
        raise ValidationError(
            _("The import could not be verified; upload the file again.")
        ) from None
    check = validate_rows(actor=actor, plan=plan, rows=rows)
    if check.errors:
        raise ValidationError(
            [
                _("Row %(row)s: %(message)s") % {"row": e.row, "message": e.message}
                if e.row
                else e.message
                for e in check.sorted_errors()
            ]
        )
    wanted = {c.item_id: c for c in check.changes}
    if set(wanted) != set(versions):
        raise ConflictError()
    items = list(
        ScorecardItem.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")
    )
    if any(item.version != versions[item.pk] for item in items) or len(items) != len(wanted):
        raise ConflictError()
    now = timezone.now()
    befores = {}
    for item in items:
        change = wanted[item.pk]
        befores[item.pk] = snapshot(item)
        item.actual = change.after
        item.actual_source = SOURCE
        item.actual_trace = {"import": {"file": data.get("file", ""), "row": change.row}}
        item.version += 1
        item.updated_at = now
    ScorecardItem.objects.bulk_update(
        items, ["actual", "actual_source", "actual_trace", "version", "updated_at"], batch_size=500
    )
    audit_bulk(items, action=AuditLog.Action.UPDATE, befores=befores)
    audit_event(
        plan,
        "actuals imported",
        {"file": data.get("file", ""), "items": len(items), "rows": len(rows)},
    )
    return len(items)
