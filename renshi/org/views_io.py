"""Employee import/export pages: template download, upload + dry run, batch commit, export.

Views only parse input, call a service (``renshi.org.imports`` / ``renshi.org.exports``) and
render. Function-level permissions answer 403; another user's or company's batch answers 404.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from renshi.core import access, excel

from . import exports, imports
from .models import ImportBatch

INVALID = 422
CONFLICT = 409


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET"])
def employee_export(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, exports.PERMISSION)
    export = exports.employee_export(user=request.user, params=request.GET)
    return _attachment(export.content, export.filename)


@login_required
@require_http_methods(["GET"])
def employee_import_template(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, imports.PERMISSION)
    content = imports.import_template(actor=request.user)
    return _attachment(content, "employee-import-template.xlsx")


def _limits() -> dict[str, object]:
    return {
        "max_mb": round(settings.RENSHI_IMPORT_MAX_BYTES / (1024 * 1024), 1),
        "max_rows": settings.RENSHI_IMPORT_MAX_ROWS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def employee_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: the dry run — a report of every row's errors, or (all rows
    valid) a pending batch and a redirect to its page with the summary and the Commit button."""
    access.require_perm(request.user, imports.PERMISSION)
    context: dict[str, object] = {"limits": _limits()}
    if request.method == "GET":
        context["form"] = ImportUploadForm()
        return render(request, "org/import.html", context)
    form = ImportUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "org/import.html", context, status=INVALID)
    upload = form.cleaned_data["file"]
    if upload.size > settings.RENSHI_IMPORT_MAX_BYTES:  # refuse before reading it
        form.add_error(
            "file",
            _("The file is too large (at most %(limit)s MB).") % {"limit": _limits()["max_mb"]},
        )
        return render(request, "org/import.html", context, status=INVALID)
    try:
        result = imports.employee_import_upload(
            actor=request.user, filename=upload.name, data=upload.read()
        )
    except excel.ExcelError as exc:
        form.add_error("file", str(exc.message))
        return render(request, "org/import.html", context, status=INVALID)
    if result.batch is None:
        context["summary"] = result.summary
        context["filename"] = upload.name
        return render(request, "org/import.html", context)
    return redirect("org:employee_import_batch", pk=result.batch.pk)


@login_required
@require_http_methods(["GET", "POST"])
def employee_import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: a batch's dry-run summary (pending) or its result. POST: commit it."""
    access.require_perm(request.user, imports.PERMISSION)
    batch = access.get_object_or_404(ImportBatch, request.user, access.VIEW, pk=pk)
    status = 200
    if request.method == "POST":
        try:
            batch = imports.employee_import_commit(actor=request.user, batch_id=batch.pk)
        except imports.ImportStateError:
            messages.error(request, _("This import was already committed or has failed."))
            status = CONFLICT
        else:
            if batch.status == ImportBatch.Status.COMMITTED:
                messages.success(request, _("The import was committed."))
            else:
                messages.error(request, _("The import failed; nothing was changed."))
            return redirect("org:employee_import_batch", pk=batch.pk)
    context = {"batch": batch, "summary": batch.summary, "limits": _limits()}
    return render(request, "org/import_batch.html", context, status=status)
