"""Actuals import pages: the import page (template download, upload = dry run), the template
and the commit. Views parse input, call ``renshi.performance.imports`` and render.

A plan out of sight answers 404; a person who may not import actuals at all answers 403; a
department the person may not download answers 403. The dry run renders the commit form with
the signed payload (no server state, see imports.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access, excel
from renshi.core.concurrency import ConflictError
from renshi.org.models import Department

from . import imports
from .forms_360 import ActualsCommitForm, ActualsUploadForm
from .models import Plan

INVALID = 422
CONFLICT = 409
TEMPLATE = "performance/imports/actuals.html"


def _plan(request: HttpRequest, pk: int) -> Plan:
    plan = access.get_object_or_404(Plan, request.user, pk=pk)
    imports.check_plan(request.user, plan)
    return plan


def _context(request: HttpRequest, plan: Plan, **extra) -> dict:
    return {
        "plan": plan,
        "departments": imports.import_departments(user=request.user, plan=plan),
        "open": plan.status in imports.OPEN_STATUSES,
        "limits": {
            "max_mb": round(settings.RENSHI_IMPORT_MAX_BYTES / (1024 * 1024), 1),
            "max_rows": settings.RENSHI_IMPORT_MAX_ROWS,
            "minutes": imports.PAYLOAD_MAX_AGE // 60,
        },
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def actuals_import(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the page. POST: the dry run of an uploaded file (errors, or the commit form)."""
    plan = _plan(request, pk)
    if request.method == "GET":
        return render(request, TEMPLATE, _context(request, plan, form=ActualsUploadForm()))
    form = ActualsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(request, plan, form=form), status=INVALID)
    upload = form.cleaned_data["file"]
    try:
        check = imports.actuals_check(
            actor=request.user, plan=plan, filename=upload.name, data=upload.read()
        )
    except excel.ExcelError as exc:
        form.add_error("file", str(exc.message))
        return render(request, TEMPLATE, _context(request, plan, form=form), status=INVALID)
    context = _context(request, plan, form=ActualsUploadForm(), check=check, filename=upload.name)
    if check.ok:
        payload = imports.payload_sign(
            actor=request.user, plan=plan, filename=upload.name, check=check
        )
        context["commit_form"] = ActualsCommitForm(initial={"payload": payload})
        context["preview"] = check.changes[: imports.PREVIEW_LIMIT]
    else:
        context["errors"] = check.sorted_errors()
    response = render(request, TEMPLATE, context, status=200 if check.ok else INVALID)
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET"])
def actuals_template(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    code = request.GET.get("department", "")[:50]
    department = Department.objects.filter(code=code, company_id=plan.company_id).first()
    if department is None:
        raise PermissionDenied
    content = imports.actuals_template(actor=request.user, plan=plan, department=department)
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="actuals-{plan.pk}-{department.code}.xlsx"'
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["POST"])
def actuals_commit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = ActualsCommitForm(request.POST)
    status = INVALID
    if form.is_valid():
        try:
            count = imports.actuals_commit(
                actor=request.user, plan=plan, payload=form.cleaned_data["payload"]
            )
        except ConflictError:
            messages.error(
                request,
                _("Some actuals changed since the dry run; nothing was written. Upload again."),
            )
            status = CONFLICT
        except ValidationError as exc:
            for message in exc.messages[:20]:
                messages.error(request, message)
        else:
            messages.success(request, _("%(count)s actual(s) were imported.") % {"count": count})
            return redirect("performance:actuals_import", pk=plan.pk)
    else:
        messages.error(request, _("The import could not be verified; upload the file again."))
    context = _context(request, plan, form=ActualsUploadForm())
    return render(request, TEMPLATE, context, status=status)
