"""Data points from a spreadsheet: the upload of any metric and the attendance import.

Flow (the same as the employee import, renshi/org/imports.py): the *dry run* checks the file
(.xlsx through ``core.excel``, or .csv), parses every row, validates the resulting points with
``services.points_validate`` (nothing written) and, when no row has an error, keeps the points
(JSON, encrypted) as a pending ``IngestBatch`` with the file's SHA-256 and a summary. The
*commit* re-validates those points as the organisation and the catalogue are now and writes
them all or none (``services.points_ingest(..., atomic=True)``); the pending batch becomes
committed or failed, never twice. Errors always name the spreadsheet row (row 1 is the header).

Upload file (``points_upload``, permission ``metrics.ingest``): columns metric 指标, subject
对象 (employee number, department code, or empty for company metrics), date 日期
(YYYY-MM-DD or a date cell), value 数值, optional source 来源 ("upload" when empty).

Attendance file (``attendance_upload``, permission ``metrics.manage``): employee number 工号,
month 月份 (YYYY-MM or any date in the month), scheduled days 应出勤天数 and days present
实际出勤天数 (other columns such as leave or absence are ignored). Each row becomes two points
dated the first day of the month, source "attendance": ``attendance.days_scheduled`` and
``attendance.days_present``. ``attendance.rate`` is a ratio metric (present / scheduled), so
the rate over any period is Σ present / Σ scheduled: months weigh by their working days, which
is the true attendance rate of the period (not the mean of the monthly rates).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renshi.core import access, excel
from renshi.core.audit import audit_bulk, snapshot
from renshi.core.fields import fernet
from renshi.core.models import AuditLog
from renshi.org.models import Company
from renshi.org.scope import get_scope

from .models import IngestBatch, Metric, SubjectKind
from .permissions import is_metric_manager
from .services import BatchTooLarge, max_batch, points_ingest, points_validate

UPLOAD_PERMISSION = "metrics.ingest"
ATTENDANCE_PERMISSION = "metrics.manage"
PREVIEW_LIMIT = 20
ERROR_LIMIT = 1000
EXAMPLE_PREFIX = "#"
UPLOAD_SOURCE = "upload"
ATTENDANCE_SOURCE = "attendance"
MAX_MONTH_DAYS = 31

SCHEDULED_KEY = "attendance.days_scheduled"
PRESENT_KEY = "attendance.days_present"
RATE_KEY = "attendance.rate"


class BatchStateError(Exception):
    """The batch is no longer pending (already committed or failed)."""


# --- columns and headers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy, translated
    required: bool = False
    width: int = 16


POINT_COLUMNS: tuple[Column, ...] = (
    Column("metric", gettext_lazy("Metric"), required=True, width=24),
    Column("subject", gettext_lazy("Subject"), width=18),
    Column("date", gettext_lazy("Date"), required=True, width=14),
    Column("value", gettext_lazy("Value"), required=True, width=14),
    Column("source", gettext_lazy("Source"), width=14),
)
POINT_WORDS = {
    "指标": "metric",
    "指标代码": "metric",
    "指标键": "metric",
    "对象": "subject",
    "工号": "subject",
    "部门编码": "subject",
    "部门代码": "subject",
    "日期": "date",
    "数值": "value",
    "值": "value",
    "数据": "value",
    "来源": "source",
}

ATTENDANCE_COLUMNS: tuple[Column, ...] = (
    Column("employee_no", gettext_lazy("Employee number"), required=True),
    Column("month", gettext_lazy("Month"), required=True, width=12),
    Column("scheduled", gettext_lazy("Scheduled days"), required=True),
    Column("present", gettext_lazy("Days present"), required=True),
)
ATTENDANCE_WORDS = {
    "工号": "employee_no",
    "员工编号": "employee_no",
    "月份": "month",
    "月": "month",
    "应出勤天数": "scheduled",
    "应出勤": "scheduled",
    "实际出勤天数": "present",
    "实出勤天数": "present",
    "出勤天数": "present",
}


def header_label(column: Column) -> str:
    """The template's header cell: translated label and key, e.g. "指标 metric"."""
    return f"{column.label} {column.key}"


@dataclass
class RowError:
    row: int  # spreadsheet row (1 = header), 0 for the whole file
    column: str  # a column key or ""
    message: str
    label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "label": self.label,
            "message": self.message,
        }


def _aliases(columns: Sequence[Column], words: dict[str, str]) -> dict[str, str]:
    aliases = {k.lower(): v for k, v in words.items()}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in columns:
                aliases[str(column.label).strip().lower()] = column.key
    for column in columns:
        aliases[column.key] = column.key
    return aliases


def parse_header(
    header: Sequence[Any], columns: Sequence[Column], words: dict[str, str]
) -> tuple[dict[str, int], list[RowError]]:
    """Column keys → indexes. A cell may be "<label> <key>", the key alone or the label alone;
    unknown columns are ignored."""
    keys = {c.key for c in columns}
    aliases = _aliases(columns, words)
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        text = str(cell or "").strip().lstrip("\ufeff")
        if not text:
            continue
        tokens = text.replace("\n", " ").split()
        key = None
        if tokens and tokens[-1].lower() in keys:
            key = tokens[-1].lower()
        elif text.lower() in aliases:
            key = aliases[text.lower()]
        if key is None:
            continue
        if key in found:
            errors.append(
                RowError(1, key, _("The column %(column)s appears twice.") % {"column": text})
            )
            continue
        found[key] = index
    for column in columns:
        if column.required and column.key not in found:
            errors.append(
                RowError(
                    1,
                    column.key,
                    _("The required column %(column)s is missing.")
                    % {"column": header_label(column)},
                )
            )
    return found, errors


# --- reading files ------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Chinese Excel writes); refuses binary."""
    if b"\x00" in data or data.startswith(excel.XLSX_MAGIC):
        raise excel.ExcelError(_("This file is not a CSV text file."))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise excel.ExcelError(
            _("The CSV file could not be read: save it as UTF-8 or GB18030 text.")
        ) from exc


def read_csv(data: bytes, *, max_rows: int) -> excel.Sheet:
    """The rows of a CSV file as a ``Sheet`` (row numbers as a spreadsheet shows them)."""
    text = decode_csv(data)
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text[:65536]):
        raise excel.ExcelError(_("This file is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[Any] | None = None
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        for values in reader:
            number = reader.line_num
            cells = tuple(v.strip() or None for v in values)
            if header is None:
                if not any(cells):
                    raise excel.ExcelError(_("The first row must be the header row."))
                header = list(cells)
                continue
            if not any(cells):
                continue
            rows.append((number, cells))
            if len(rows) > max_rows:
                raise excel.ExcelError(
                    _("The file has too many rows (at most %(limit)s).") % {"limit": max_rows}
                )
    except csv.Error as exc:
        raise excel.ExcelError(_("The CSV file could not be read.")) from exc
    if header is None:
        raise excel.ExcelError(_("The file is empty."))
    return excel.Sheet(header=header, rows=rows)


def read_table(*, filename: str, data: bytes, max_rows: int) -> excel.Sheet:
    """An .xlsx workbook's first sheet or a .csv file, checked by content and size."""
    name = str(filename or "").lower()
    max_bytes = settings.RENSHI_IMPORT_MAX_BYTES
    if name.endswith(".csv"):
        if len(data) > max_bytes:
            raise excel.ExcelError(
                _("The file is too large (at most %(limit)s MB).")
                % {"limit": round(max_bytes / (1024 * 1024), 1)}
            )
        return read_csv(data, max_rows=max_rows)
    if not name.endswith(".xlsx"):
        raise excel.ExcelError(_("Only Excel workbooks (.xlsx) or CSV files (.csv) are accepted."))
    excel.check_upload(filename=filename, data=data, max_bytes=max_bytes)
    return excel.read_sheet(data, max_rows=max_rows)


# --- cell values --------------------------------------------------------------------------------


_text = excel.cell_text
parse_date = excel.cell_date


_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def parse_month(value: Any) -> datetime.date | None:
    """The first day of a month given as YYYY-MM (2026-03, 2026/3, 2026年3月) or any date in it."""
    if not isinstance(value, datetime.date | int | float) or isinstance(value, bool):
        match = _MONTH_RE.match(_text(value))
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if year >= 1900 and 1 <= month <= 12:
                return datetime.date(year, month, 1)
            return None
    day = parse_date(value)
    return day.replace(day=1) if day else None


def parse_number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    else:
        try:
            number = Decimal(_text(value).replace(",", ""))
        except (InvalidOperation, ValueError):
            return None
    return number if number.is_finite() else None


# --- parsing rows -------------------------------------------------------------------------------


def _cell_getter(columns: dict[str, int], cells: Sequence[Any]) -> Callable[[str], Any]:
    def cell(key: str) -> Any:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    return cell


def _value(raw: Any) -> Any:
    """A value cell as the ingestion expects it: numbers stay numbers, text is trimmed."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        return str(raw) if isinstance(raw, Decimal) else raw
    return _text(raw)


def parse_point_rows(sheet: excel.Sheet) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Raw points (with their spreadsheet ``row``) and the format errors of each row."""
    columns, errors = parse_header(sheet.header, POINT_COLUMNS, POINT_WORDS)
    if errors:
        return [], errors
    points: list[dict[str, Any]] = []
    for number, cells in sheet.rows:
        cell = _cell_getter(columns, cells)
        metric = _text(cell("metric"))
        if metric.startswith(EXAMPLE_PREFIX):
            continue
        row_errors: list[RowError] = []
        if not metric:
            row_errors.append(RowError(number, "metric", _("This column is required.")))
        raw_date = cell("date")
        day = None
        if raw_date is None or _text(raw_date) == "":
            row_errors.append(RowError(number, "date", _("This column is required.")))
        else:
            day = parse_date(raw_date)
            if day is None:
                row_errors.append(
                    RowError(number, "date", _("Not a date; use the format YYYY-MM-DD."))
                )
        value = _value(cell("value"))
        if value == "":
            row_errors.append(RowError(number, "value", _("This column is required.")))
        if row_errors:
            errors.extend(row_errors)
            continue
        point = {
            "row": number,
            "metric": metric,
            "subject": _text(cell("subject")),
            "date": day.isoformat(),
            "value": value,
        }
        source = _text(cell("source"))
        if source:
            point["source"] = source
        points.append(point)
    return points, errors


@dataclass
class AttendanceRow:
    row: int
    employee_no: str
    month: datetime.date
    scheduled: Decimal
    present: Decimal


def parse_attendance_rows(sheet: excel.Sheet) -> tuple[list[AttendanceRow], list[RowError]]:
    """Attendance rows with their checks: month, numbers, 0 ≤ present ≤ scheduled ≤ 31."""
    columns, errors = parse_header(sheet.header, ATTENDANCE_COLUMNS, ATTENDANCE_WORDS)
    if errors:
        return [], errors
    rows: list[AttendanceRow] = []
    seen: dict[tuple[str, datetime.date], int] = {}
    for number, cells in sheet.rows:
        cell = _cell_getter(columns, cells)
        employee_no = _text(cell("employee_no"))
        if employee_no.startswith(EXAMPLE_PREFIX):
            continue
        row_errors: list[RowError] = []

        def error(key: str, message: str, row_errors=row_errors, number=number) -> None:
            row_errors.append(RowError(number, key, message))

        if not employee_no:
            error("employee_no", _("This column is required."))
        month = None
        if _text(cell("month")) == "":
            error("month", _("This column is required."))
        else:
            month = parse_month(cell("month"))
            if month is None:
                error("month", _("Not a month; use the format YYYY-MM."))
        numbers: dict[str, Decimal] = {}
        for key in ("scheduled", "present"):
            raw = cell(key)
            if _text(raw) == "":
                error(key, _("This column is required."))
                continue
            parsed = parse_number(raw)
            if parsed is None:
                error(key, _("Not a number."))
            elif parsed < 0:
                error(key, _("Cannot be negative."))
            elif parsed > MAX_MONTH_DAYS:
                error(key, _("At most %(days)s days in a month.") % {"days": MAX_MONTH_DAYS})
            else:
                numbers[key] = parsed
        if len(numbers) == 2 and numbers["present"] > numbers["scheduled"]:
            error("present", _("Days present cannot exceed the scheduled days."))
        if not row_errors and month is not None:
            first = seen.get((employee_no, month))
            if first is not None:
                error(
                    "",
                    _("Same employee and month as row %(row)s.") % {"row": first},
                )
            else:
                seen[(employee_no, month)] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            AttendanceRow(number, employee_no, month, numbers["scheduled"], numbers["present"])
        )
    return rows, errors


def attendance_points(rows: Sequence[AttendanceRow]) -> list[dict[str, Any]]:
    """Two raw points per row (scheduled, present), dated the first day of the month."""
    points: list[dict[str, Any]] = []
    for r in rows:
        for key, value in ((SCHEDULED_KEY, r.scheduled), (PRESENT_KEY, r.present)):
            points.append(
                {
                    "row": r.row,
                    "metric": key,
                    "subject": r.employee_no,
                    "date": r.month.isoformat(),
                    "value": str(value),
                    "source": ATTENDANCE_SOURCE,
                }
            )
    return points


# --- the attendance metrics ---------------------------------------------------------------------


def _attendance_definitions() -> list[dict[str, Any]]:
    return [
        {
            "key": SCHEDULED_KEY,
            "name": _("Scheduled attendance days"),
            "unit": _("days"),
            "aggregation": Metric.Aggregation.SUM,
            "description": _("Working days an employee was scheduled to attend in the month."),
        },
        {
            "key": PRESENT_KEY,
            "name": _("Days present"),
            "unit": _("days"),
            "aggregation": Metric.Aggregation.SUM,
            "description": _("Days the employee actually attended in the month."),
        },
        {
            "key": RATE_KEY,
            "name": _("Attendance rate"),
            "unit": "%",
            "aggregation": Metric.Aggregation.RATIO,
            "description": _(
                "Days present / scheduled days over the period (months weigh by their "
                "working days)."
            ),
        },
    ]


@transaction.atomic
def attendance_metrics_ensure(*, company: Company) -> dict[str, Metric]:
    """The three built-in attendance metrics of a company, created when missing (idempotent).

    A key already used by a metric of another shape (not an employee metric, another
    aggregation) raises ValidationError: renshi never redefines a metric people created."""
    metrics: dict[str, Metric] = {}
    for spec in _attendance_definitions():
        key = spec["key"]
        metric = Metric.objects.filter(company=company, key=key).first()
        if metric is None:
            extra = {}
            if key == RATE_KEY:
                extra = {"numerator": metrics[PRESENT_KEY], "denominator": metrics[SCHEDULED_KEY]}
            try:
                with transaction.atomic():
                    metric = Metric.objects.create(
                        company=company,
                        key=key,
                        name=spec["name"],
                        unit=spec["unit"],
                        description=spec["description"],
                        subject_kind=SubjectKind.EMPLOYEE,
                        aggregation=spec["aggregation"],
                        source=ATTENDANCE_SOURCE,
                        built_in=True,
                        **extra,
                    )
            except IntegrityError:  # created meanwhile by a concurrent import
                metric = Metric.objects.get(company=company, key=key)
        shape_ok = (
            metric.subject_kind == SubjectKind.EMPLOYEE
            and metric.aggregation == spec["aggregation"]
        )
        if shape_ok and key == RATE_KEY:
            shape_ok = (metric.numerator_id, metric.denominator_id) == (
                metrics[PRESENT_KEY].pk,
                metrics[SCHEDULED_KEY].pk,
            )
        if not shape_ok:
            raise ValidationError(
                _(
                    "The metric key %(key)s is already used by a metric of another kind; "
                    "rename that metric before importing attendance."
                )
                % {"key": key}
            )
        metrics[key] = metric
    return metrics


# --- dry run and commit -------------------------------------------------------------------------


@dataclass
class Channel:
    """What differs between the data-point upload and the attendance import."""

    name: str  # IngestBatch.Channel
    permission: str
    columns: tuple[Column, ...]
    source: str


UPLOAD = Channel(IngestBatch.Channel.UPLOAD, UPLOAD_PERMISSION, POINT_COLUMNS, UPLOAD_SOURCE)
ATTENDANCE = Channel(
    IngestBatch.Channel.ATTENDANCE, ATTENDANCE_PERMISSION, ATTENDANCE_COLUMNS, ATTENDANCE_SOURCE
)
CHANNELS = {c.name: c for c in (UPLOAD, ATTENDANCE)}

# which file column a rejected point's field came from
_FIELD_COLUMN = {
    IngestBatch.Channel.UPLOAD: {
        "metric": "metric",
        "subject": "subject",
        "date": "date",
        "value": "value",
        "source": "source",
    },
    IngestBatch.Channel.ATTENDANCE: {"subject": "employee_no", "date": "month"},
}


def _label(channel: Channel, column: str) -> str:
    for c in channel.columns:
        if c.key == column:
            return str(c.label)
    return ""


@dataclass
class Check:
    """The result of checking a file: the points (when valid) and a summary for the page."""

    points: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    metric_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda e: (e.row, e.column))
        return {
            "rows": self.rows,
            "points": len(self.points),
            "metrics": self.metric_keys,
            "error_count": len(errors),
            "errors": [e.as_dict() for e in errors[:ERROR_LIMIT]],
            "preview": self.preview,
        }


def _error_column(channel: Channel, rejected_field: str, point: dict) -> str:
    column = _FIELD_COLUMN[channel.name].get(rejected_field, "")
    if channel.name == IngestBatch.Channel.ATTENDANCE and rejected_field == "value":
        column = "scheduled" if point.get("metric") == SCHEDULED_KEY else "present"
    return column


def check_points(
    *, actor: Any, channel: Channel, points: list[dict[str, Any]], errors: list[RowError]
) -> Check:
    """Validate raw points (nothing written); rejections become errors on their rows."""
    check = Check(points=points, errors=list(errors))
    check.rows = len({p["row"] for p in points} | {e.row for e in errors if e.row > 1})
    if not points:
        if not errors:
            check.errors.append(RowError(0, "", _("The file has no data rows.")))
        check.points = []
        return check
    try:
        clean, rejected = points_validate(actor=actor, points=points)
    except BatchTooLarge as exc:
        check.errors.append(RowError(0, "", str(exc)))
        check.points = []
        return check
    seen: set[tuple[int, str, str]] = set()
    for r in rejected:
        point = points[r.index] if 0 <= r.index < len(points) else {}
        row = point.get("row", 0)
        column = _error_column(channel, r.field, point)
        if (row, column, r.message) in seen:  # the two points of an attendance row
            continue
        seen.add((row, column, r.message))
        check.errors.append(RowError(row, column, r.message, _label(channel, column)))
    for e in check.errors:
        if not e.label:
            e.label = _label(channel, e.column)
    if check.errors:
        check.points = []
        return check
    check.metric_keys = sorted({p.metric_key for p in clean})
    for p in clean[:PREVIEW_LIMIT]:
        raw = points[p.index]
        check.preview.append(
            {
                "row": raw["row"],
                "metric": p.metric_key,
                "subject": raw.get("subject", ""),
                "date": p.date.isoformat(),
                "value": format(p.value.normalize(), "f"),
                "source": p.source,
            }
        )
    return check


@dataclass
class UploadResult:
    summary: dict[str, Any]
    batch: IngestBatch | None  # None when a row has an error (nothing is stored)


def _company_id(actor: Any) -> int:
    company_id = get_scope(actor).company_id
    if company_id is None:
        raise PermissionDenied
    return company_id


def _max_rows(channel: Channel) -> int:
    per_row = 2 if channel is ATTENDANCE else 1
    return max(1, min(settings.RENSHI_IMPORT_MAX_ROWS, max_batch() // per_row))


def _dump(points: list[dict[str, Any]], summary: dict[str, Any]) -> bytes:
    payload = {"points": points, "summary": summary}
    return fernet().encrypt(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def pending_content(batch: IngestBatch) -> dict[str, Any]:
    """The points and dry-run summary kept with a pending batch ({} once it is finished)."""
    content = bytes(batch.content or b"")
    if not content:
        return {}
    return json.loads(fernet().decrypt(content))


@transaction.atomic
def _upload(*, actor: Any, channel: Channel, filename: str, data: bytes) -> UploadResult:
    access.require_perm(actor, channel.permission)
    company_id = _company_id(actor)
    sheet = read_table(filename=filename, data=data, max_rows=_max_rows(channel))
    if channel is ATTENDANCE:
        attendance_metrics_ensure(company=Company.objects.get(pk=company_id))
        rows, errors = parse_attendance_rows(sheet)
        points = attendance_points(rows)
    else:
        points, errors = parse_point_rows(sheet)
    check = check_points(actor=actor, channel=channel, points=points, errors=errors)
    summary = check.summary()
    if not check.ok:
        return UploadResult(summary=summary, batch=None)
    batch = IngestBatch(
        company_id=company_id,
        channel=channel.name,
        status=IngestBatch.Status.PENDING,
        created_by=actor,
        filename=str(filename)[-255:],
        sha256=hashlib.sha256(data).hexdigest(),
        content=_dump(check.points, summary),
        received=len(check.points),
        metric_keys=check.metric_keys,
    )
    batch.save()
    return UploadResult(summary=summary, batch=batch)


def points_upload(*, actor: Any, filename: str, data: bytes) -> UploadResult:
    """Dry run of a data-point file: every row's errors, or a pending batch to commit.
    Raises ``excel.ExcelError`` for a file that cannot be read (nothing stored)."""
    return _upload(actor=actor, channel=UPLOAD, filename=filename, data=data)


def attendance_upload(*, actor: Any, filename: str, data: bytes) -> UploadResult:
    """Dry run of an attendance file (creates the built-in attendance metrics if missing)."""
    return _upload(actor=actor, channel=ATTENDANCE, filename=filename, data=data)


def _finish(batch: IngestBatch, ingested: IngestBatch) -> None:
    """The only status change of a pending batch: pending → committed | failed, with the
    counts and errors of the ingestion (compare-and-set, audited)."""
    now = timezone.now()
    values = {
        "status": ingested.status,
        "received": ingested.received,
        "accepted": ingested.accepted,
        "created": ingested.created,
        "replaced": ingested.replaced,
        "rejected": ingested.rejected,
        "errors": ingested.errors,
        "metric_keys": ingested.metric_keys,
        "finished_at": now,
        "content": b"",
    }
    updated = IngestBatch.objects.filter(pk=batch.pk, status=IngestBatch.Status.PENDING).update(
        **values
    )
    if not updated:
        raise BatchStateError(batch.status)
    before = snapshot(batch)
    for key, value in values.items():
        setattr(batch, key, value)
    audit_bulk([batch], action=AuditLog.Action.UPDATE, befores={batch.pk: before})


@transaction.atomic
def batch_commit(*, actor: Any, batch_id: int, channel: str) -> IngestBatch:
    """Commit a pending upload or attendance batch: re-validate and write all points or none.

    The batch becomes committed or failed; committing it again raises BatchStateError. Another
    person's or company's batch raises Http404.

    The points are written into the pending batch itself (``points_ingest(into=...)``), which
    takes the outcome and counts: one batch per upload, also the points' lineage."""
    spec = CHANNELS[channel]
    access.require_perm(actor, spec.permission)
    batch = access.get_object_or_404(
        IngestBatch.objects.select_for_update(),
        actor,
        access.CHANGE,
        pk=batch_id,
        channel=spec.name,
        created_by_id=actor.pk,
    )
    if batch.status != IngestBatch.Status.PENDING:
        raise BatchStateError(batch.status)
    points = pending_content(batch).get("points", [])
    if spec is ATTENDANCE:
        attendance_metrics_ensure(company=Company.objects.get(pk=batch.company_id))
    result = points_ingest(
        actor=actor,
        points=points,
        channel=spec.name,
        source=spec.source,
        atomic=True,
        filename=batch.filename,
        sha256=batch.sha256,
        into=batch,
    )
    for error in result.batch.errors:
        index = error.get("index", -1)
        point = points[index] if 0 <= index < len(points) else {}
        column = _error_column(spec, error.get("field", ""), point)
        error.update(column=column, label=_label(spec, column))
    _finish(batch, result.batch)
    return batch


def visible_batches(user: Any, channel: str):
    """The batches of a channel a person may open: finished ones by the policy, pending ones
    only their uploader's (a dry run is private until committed)."""
    return (
        access.restrict(IngestBatch, user, access.VIEW)
        .filter(channel=channel)
        .filter(~Q(status=IngestBatch.Status.PENDING) | Q(created_by_id=user.pk))
    )


# --- templates ----------------------------------------------------------------------------------


def _kind_hint(kind: str) -> str:
    return {
        SubjectKind.EMPLOYEE: _("employee number"),
        SubjectKind.DEPARTMENT: _("department code"),
        SubjectKind.COMPANY: _("leave empty"),
    }[kind]


def points_template(*, actor: Any) -> bytes:
    """The upload template: header, an example row (ignored) and an instructions sheet listing
    the metrics the actor may write."""
    access.require_perm(actor, UPLOAD_PERMISSION)
    scope = get_scope(actor)
    metrics = list(
        access.restrict(Metric, actor, access.VIEW)
        .filter(active=True)
        .exclude(aggregation=Metric.Aggregation.RATIO)
        .order_by("key")
    )
    if not is_metric_manager(scope):  # only managers write company-level points
        metrics = [m for m in metrics if m.subject_kind != SubjectKind.COMPANY]
    first = metrics[0].key if metrics else "crm.new_customers"
    example = [EXAMPLE_PREFIX + first, "E0001", datetime.date(2026, 3, 31), 12, ""]
    instructions: list[list[Any]] = [
        [_("Row 1 is the header; keep it. One data point per row from row 2.")],
        [_("Rows whose metric starts with # are ignored (the example row).")],
        [_("Subject: an employee number, a department code, or empty for company metrics.")],
        [_("Date: YYYY-MM-DD (or a date cell), inside a collection period, not in the future.")],
        [_('Value: a number. Source: optional ("upload" when empty).')],
        [_("The same metric, subject, date and source sent again replaces the stored value.")],
        [_("Upload: a dry run shows every error first; nothing is written until you commit.")],
        [],
        [_("Metric"), _("Name"), _("Unit"), _("Subject"), _("Aggregation")],
    ]
    for m in metrics:
        instructions.append(
            [m.key, m.name, m.unit, _kind_hint(m.subject_kind), m.get_aggregation_display()]
        )
    return excel.write_workbook(
        [
            excel.SheetSpec(
                title=_("Data points"),
                header=[header_label(c) for c in POINT_COLUMNS],
                rows=[example],
                widths=[c.width for c in POINT_COLUMNS],
            ),
            excel.SheetSpec(
                title=_("Instructions"),
                header=[_("Data point upload")],
                rows=instructions,
                widths=[28, 24, 10, 18, 16],
            ),
        ]
    )


def attendance_template(*, actor: Any) -> bytes:
    """The attendance template: header, an example row (ignored) and instructions."""
    access.require_perm(actor, ATTENDANCE_PERMISSION)
    example = [EXAMPLE_PREFIX + "E0001", "2026-03", 22, 21]
    instructions: list[list[Any]] = [
        [_("Row 1 is the header; keep it. One employee and month per row from row 2.")],
        [_("Rows whose employee number starts with # are ignored (the example row).")],
        [_("Month: YYYY-MM (or any date in the month), inside a collection period.")],
        [_("Scheduled days and days present: numbers, 0 ≤ present ≤ scheduled ≤ 31.")],
        [_("Other columns (leave, absence…) are ignored.")],
        [_("Importing a month again replaces that month's values.")],
        [
            _(
                "Attendance rate over a period = total days present / total scheduled days "
                "(months weigh by their working days)."
            )
        ],
    ]
    return excel.write_workbook(
        [
            excel.SheetSpec(
                title=_("Attendance"),
                header=[header_label(c) for c in ATTENDANCE_COLUMNS],
                rows=[example],
                widths=[c.width for c in ATTENDANCE_COLUMNS],
            ),
            excel.SheetSpec(
                title=_("Instructions"),
                header=[_("Attendance import")],
                rows=instructions,
                widths=[90],
            ),
        ]
    )
