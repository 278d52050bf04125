"""Upload pages: data points from Excel/CSV and the attendance import (template, dry run,
pending batch, commit).

Views only parse input, call ``renshi.metrics.imports`` and render. A missing function-level
permission answers 403; another person's or company's batch answers 404 (a pending batch is
its uploader's alone).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access, excel

from . import imports
from .forms_io import UploadForm
from .models import IngestBatch

INVALID = 422
CONFLICT = 409

PAGES = {
    IngestBatch.Channel.UPLOAD: {
        "spec": imports.UPLOAD,
        "page": "metrics:upload",
        "template": "metrics:upload_template",
        "batch": "metrics:upload_batch",
        "commit": "metrics:upload_commit",
        "service": imports.points_upload,
    },
    IngestBatch.Channel.ATTENDANCE: {
        "spec": imports.ATTENDANCE,
        "page": "metrics:attendance_import",
        "template": "metrics:attendance_template",
        "batch": "metrics:attendance_batch",
        "commit": "metrics:attendance_commit",
        "service": imports.attendance_upload,
    },
}


def _limits() -> dict[str, object]:
    return {
        "max_mb": round(settings.RENSHI_IMPORT_MAX_BYTES / (1024 * 1024), 1),
        "max_rows": settings.RENSHI_IMPORT_MAX_ROWS,
    }


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


def _context(channel: str, **extra) -> dict[str, object]:
    return {"channel": channel, "urls": PAGES[channel], "limits": _limits(), **extra}


def _upload_page(request: HttpRequest, channel: str) -> HttpResponse:
    page = PAGES[channel]
    access.require_perm(request.user, page["spec"].permission)
    template = "metrics/io/upload.html"
    if request.method == "GET":
        return render(request, template, _context(channel, form=UploadForm()))
    form = UploadForm(request.POST, request.FILES)
    context = _context(channel, form=form)
    if not form.is_valid():
        return render(request, template, context, status=INVALID)
    upload = form.cleaned_data["file"]
    if upload.size > settings.RENSHI_IMPORT_MAX_BYTES:  # refuse before reading it
        form.add_error(
            "file",
            _("The file is too large (at most %(limit)s MB).") % {"limit": _limits()["max_mb"]},
        )
        return render(request, template, context, status=INVALID)
    try:
        result = page["service"](actor=request.user, filename=upload.name, data=upload.read())
    except excel.ExcelError as exc:
        form.add_error("file", str(exc.message))
        return render(request, template, context, status=INVALID)
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, template, context, status=INVALID)
    if result.batch is None:
        context.update(summary=result.summary, filename=upload.name)
        return render(request, template, context)
    return redirect(page["batch"], pk=result.batch.pk)


def _batch_page(request: HttpRequest, channel: str, pk: int, status: int = 200) -> HttpResponse:
    page = PAGES[channel]
    access.require_perm(request.user, page["spec"].permission)
    batch = access.get_object_or_404(
        imports.visible_batches(request.user, channel), request.user, access.VIEW, pk=pk
    )
    content = imports.pending_content(batch) if batch.status == IngestBatch.Status.PENDING else {}
    context = _context(channel, batch=batch, summary=content.get("summary"))
    return render(request, "metrics/io/batch.html", context, status=status)


def _commit(request: HttpRequest, channel: str, pk: int) -> HttpResponse:
    page = PAGES[channel]
    access.require_perm(request.user, page["spec"].permission)
    try:
        batch = imports.batch_commit(actor=request.user, batch_id=pk, channel=channel)
    except imports.BatchStateError:
        messages.error(request, _("This batch was already committed or has failed."))
        return _batch_page(request, channel, pk, status=CONFLICT)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _batch_page(request, channel, pk, status=INVALID)
    if batch.status == IngestBatch.Status.COMMITTED:
        messages.success(request, _("The data points were written."))
    else:
        messages.error(request, _("The batch failed; nothing was written."))
    return redirect(page["batch"], pk=batch.pk)


# --- data points ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: the dry run (errors per row, or a pending batch)."""
    return _upload_page(request, IngestBatch.Channel.UPLOAD)


@login_required
@require_http_methods(["GET"])
def upload_template(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, imports.UPLOAD_PERMISSION)
    return _attachment(imports.points_template(actor=request.user), "data-points-template.xlsx")


@login_required
@require_http_methods(["GET"])
def upload_batch(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_page(request, IngestBatch.Channel.UPLOAD, pk)


@login_required
@require_http_methods(["POST"])
def upload_commit(request: HttpRequest, pk: int) -> HttpResponse:
    return _commit(request, IngestBatch.Channel.UPLOAD, pk)


# --- attendance -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def attendance_import(request: HttpRequest) -> HttpResponse:
    return _upload_page(request, IngestBatch.Channel.ATTENDANCE)


@login_required
@require_http_methods(["GET"])
def attendance_template(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, imports.ATTENDANCE_PERMISSION)
    return _attachment(imports.attendance_template(actor=request.user), "attendance-template.xlsx")


@login_required
@require_http_methods(["GET"])
def attendance_batch(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_page(request, IngestBatch.Channel.ATTENDANCE, pk)


@login_required
@require_http_methods(["POST"])
def attendance_commit(request: HttpRequest, pk: int) -> HttpResponse:
    return _commit(request, IngestBatch.Channel.ATTENDANCE, pk)
