"""Safe .xlsx reading and writing, reusable by every module that imports or exports a sheet.

Reading (``check_upload`` then ``read_sheet``):
* the name must end in ``.xlsx``; the browser's content type is ignored;
* the bytes must be a zip (``PK\\x03\\x04``) holding an OOXML workbook, without macros, within
  ``max_bytes`` and with a bounded uncompressed size (zip bombs);
* the XML is parsed by openpyxl through defusedxml (no entity expansion, no external entities);
* cells are read as *values*, never formulas (``data_only``: a formula cell gives the value Excel
  last computed, or nothing);
* at most ``max_rows`` non-empty data rows.

Writing (``write_workbook``): every text cell that starts with ``= + - @``, TAB or CR is prefixed
with ``'`` so spreadsheet programs show it as text instead of running it as a formula (CSV/formula
injection), and openpyxl never turns a string into a formula.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

if not openpyxl.DEFUSEDXML:  # pragma: no cover - guarded by the dependency list
    raise ImproperlyConfigured("defusedxml must be installed: openpyxl parses uploads with it")

XLSX_MAGIC = b"PK\x03\x04"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Uncompressed size allowed per compressed byte allowed (xlsx XML compresses about 5-10x).
MAX_EXPANSION = 20
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExcelError(Exception):
    """The file is not an acceptable workbook. ``message`` is translated and safe to show."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def check_upload(*, filename: str, data: bytes, max_bytes: int) -> None:
    """Refuse anything that is not a plain .xlsx workbook within the size limit."""
    if not str(filename or "").lower().endswith(".xlsx"):
        raise ExcelError(_("Only Excel workbooks (.xlsx) can be uploaded."))
    if len(data) > max_bytes:
        raise ExcelError(
            _("The file is too large (at most %(limit)s MB).")
            % {"limit": round(max_bytes / (1024 * 1024), 1)}
        )
    if not data.startswith(XLSX_MAGIC):
        raise ExcelError(_("This file is not an Excel workbook (.xlsx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExcelError(_("This file is not an Excel workbook (.xlsx).")) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise ExcelError(_("This file is not an Excel workbook (.xlsx)."))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ExcelError(_("Workbooks with macros are not accepted."))
    if sum(info.file_size for info in infos) > max_bytes * MAX_EXPANSION:
        raise ExcelError(_("The workbook is too large once unpacked."))


@dataclass
class Sheet:
    """The first worksheet: its header cells and its non-empty data rows.

    ``rows`` holds ``(row_number, values)`` where row_number is the Excel row number (the header
    is row 1) and values are cell values (str, int, float, bool, datetime, or None)."""

    header: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheet(data: bytes, *, max_rows: int) -> Sheet:
    """Read values (not formulas) of the first worksheet. Call ``check_upload`` first."""
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ExcelError(_("The workbook could not be read; save it again as .xlsx.")) from exc
    try:
        if not workbook.worksheets:
            raise ExcelError(_("The workbook has no worksheet."))
        sheet_rows = workbook.worksheets[0].iter_rows(values_only=True)
        header: list[Any] | None = None
        rows: list[tuple[int, tuple[Any, ...]]] = []
        # blank rows are skipped but still bounded: styled empty rows are cheap to fabricate
        scan_limit = 2 * max_rows + 1000
        try:
            for number, values in enumerate(sheet_rows, start=1):
                if number > scan_limit:
                    raise ExcelError(_too_many_rows(max_rows))
                if header is None:
                    if all(_blank(v) for v in values):
                        raise ExcelError(_("The first row must be the header row."))
                    header = list(values)
                    continue
                if all(_blank(v) for v in values):
                    continue
                rows.append((number, tuple(values)))
                if len(rows) > max_rows:
                    raise ExcelError(_too_many_rows(max_rows))
        except ExcelError:
            raise
        except Exception as exc:
            raise ExcelError(_("The workbook could not be read; save it again as .xlsx.")) from exc
        if header is None:
            raise ExcelError(_("The workbook is empty."))
        return Sheet(header=header, rows=rows)
    finally:
        workbook.close()


def _too_many_rows(max_rows: int):
    return _("The file has too many rows (at most %(limit)s).") % {"limit": max_rows}


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# --- reading cells (every import uses these) --------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as trimmed text: whole-number floats without ".0", dates as ISO, and our own
    export neutralisation ('=…, '+86…) undone so an export can be re-imported."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        text = text[1:]
    return text


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def cell_date(value: Any) -> datetime.date | None:
    """A date from a date cell, an Excel serial number or text in a common format (2026-03-31,
    2026/3/31, 20260331, 2026年3月31日); None when it is not a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        return None
    text = cell_text(value)
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if parsed.year >= 1900:
            return parsed
    return None


@dataclass
class SheetSpec:
    """A worksheet to write: title, header, rows and optional column widths."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()


def _cell_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    return neutralise(str(value))


def _typed_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [_cell_value(v) for v in row]


def write_workbook(sheets: Sequence[SheetSpec]) -> bytes:
    """An .xlsx workbook; every text cell is neutralised, dates are date cells.

    Built in memory (not openpyxl's write-only mode) so that the file carries its dimension:
    without it, readers such as openpyxl's read-only mode scan the whole sheet twice."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=str(spec.title)[:31])
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([_cell_value(v) for v in spec.header])
        for cell in sheet[1]:
            cell.font = bold
        for number, values in enumerate(_typed_rows(spec.rows), start=2):
            sheet.append(values)
            for column, value in enumerate(values, start=1):
                if isinstance(value, datetime.date):
                    sheet.cell(row=number, column=column).number_format = (
                        "yyyy-mm-dd hh:mm" if isinstance(value, datetime.datetime) else "yyyy-mm-dd"
                    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
