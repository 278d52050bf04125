"""Files of the results part: the Excel export of a plan's results and the PDF of an
employee's performance report.

Excel: the rows are exactly the results page's (``selectors_results.result_rows``: the viewer's
scope), written by ``renshi.core.excel.write_workbook`` (every text cell neutralised against
formula injection). Each export is written to the audit log.

PDF: WeasyPrint renders the report template with the print stylesheet and the CJK font
WenQuanYi Micro Hei (fonts-wqy-microhei, found by fontconfig). No remote resource and no
``file://`` access: the URL fetcher refuses every URL except the few static files named in
``PDF_STATIC`` (read from disk through the staticfiles finders, by name) and inline
``data:`` URLs.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from django.contrib.staticfiles import finders
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import excel
from renshi.core.audit import audit_event

from . import selectors_results
from .models import Plan, Scorecard

logger = logging.getLogger(__name__)

PDF_SCHEME = "renshi-static:"
PDF_STYLESHEET = "performance/results-print.css"
PDF_STATIC = frozenset({PDF_STYLESHEET})


@dataclass
class ExportFile:
    content: bytes
    filename: str
    rows: int
    content_type: str = excel.XLSX_CONTENT_TYPE


# --- Excel --------------------------------------------------------------------------------------


def _number(value) -> float | None:
    return None if value is None else float(value)


@transaction.atomic
def results_export(*, user: Any, plan: Plan, sort: str = "score") -> ExportFile:
    """The plan's results in the viewer's scope as an .xlsx file (audited)."""
    rows = selectors_results.result_rows(user=user, plan=plan, sort=sort)
    statuses = dict(Scorecard.Status.choices)
    header = [
        _("Employee number"),
        _("Name"),
        _("Department"),
        _("Score"),
        _("Computed grade"),
        _("Calibrated grade"),
        _("Final grade"),
        _("Calibration reason"),
        _("Pay raise (%)"),
        _("Bonus coefficient"),
        _("Complete"),
        _("Status"),
    ]
    data = []
    for row in rows:
        card = row.card
        data.append(
            [
                card.employee.employee_no,
                card.employee.name,
                card.department.name,
                _number(card.score),
                row.computed_label,
                row.grade_label if card.calibrated_grade else "",
                row.grade_label,
                card.calibration_reason if card.calibrated_grade else "",
                _number(row.outcome.raise_percent) if row.outcome else None,
                _number(row.outcome.bonus_coefficient) if row.outcome else None,
                _("yes") if card.complete else _("no"),
                str(statuses.get(card.status, card.status)),
            ]
        )
    content = excel.write_workbook(
        [
            excel.SheetSpec(
                title=_("Results"),
                header=header,
                rows=data,
                widths=[12, 14, 16, 8, 10, 10, 10, 30, 10, 10, 8, 12],
            )
        ]
    )
    audit_event(plan, "exported results", {"rows": len(data)})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(content=content, filename=f"results-{plan.pk}-{stamp}.xlsx", rows=len(data))


# --- PDF ----------------------------------------------------------------------------------------


def _static_bytes(name: str) -> bytes:
    path = finders.find(name)
    if not path:
        raise FileNotFoundError(name)
    with open(path, "rb") as handle:
        return handle.read()


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        """Refuses every URL but our own named static files and inline data: URLs."""

        def __init__(self):
            super().__init__(allowed_protocols=(), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith(PDF_SCHEME):
                name = url[len(PDF_SCHEME) :].lstrip("/")
                if name in PDF_STATIC:
                    return URLFetcherResponse(
                        url, _static_bytes(name), {"Content-Type": "text/css"}
                    )
            elif url.startswith("data:") and "," in url:
                meta, payload = url[5:].split(",", 1)
                kind = meta.split(";")[0] or "text/plain"
                body = (
                    base64.b64decode(payload)
                    if meta.endswith(";base64")
                    else unquote_to_bytes(payload)
                )
                return URLFetcherResponse(url, body, {"Content-Type": kind})
            self.refused.append(url)
            raise ValueError(f"refused: {url[:100]}")

    return LocalOnlyFetcher


def url_fetcher():
    return _fetcher_class()()


def report_pdf(*, context: dict[str, Any]) -> bytes:
    """The report as PDF bytes (the context of ``selectors_results.report``)."""
    from weasyprint import CSS, HTML

    html = render_to_string("performance/results/report_pdf.html", context)
    fetcher = url_fetcher()
    stylesheet = CSS(
        string=_static_bytes(PDF_STYLESHEET).decode("utf-8"),
        base_url=PDF_SCHEME + "/",
        url_fetcher=fetcher,
    )
    document = HTML(string=html, base_url=PDF_SCHEME + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=[stylesheet])
    if fetcher.refused:
        logger.info("PDF report: %s resource(s) refused", len(fetcher.refused))
    return pdf
