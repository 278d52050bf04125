"""Pull connector pages (HR VP and performance manager: ``metrics.manage``): list, create,
edit, delete, test (fetch and show, writes nothing) and run now (enqueue).

Views only parse input, call ``renshi.metrics.connectors`` and render. The authentication
value is never sent back to the browser."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.org.scope import get_scope

from . import connectors
from .forms_io import ConnectorForm
from .models import Connector

INVALID = 422
CONFLICT = 409


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def _get(request: HttpRequest, pk: int) -> Connector:
    access.require_perm(request.user, connectors.PERMISSION)
    return access.get_object_or_404(Connector, request.user, access.CHANGE, pk=pk)


@login_required
@require_http_methods(["GET"])
def connector_list(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, connectors.PERMISSION)
    items = access.restrict(Connector, request.user, access.VIEW).order_by("name")
    return render(request, "metrics/connectors/list.html", {"connectors": items})


def _form_page(request, form, connector=None, status=200) -> HttpResponse:
    return render(
        request,
        "metrics/connectors/form.html",
        {"form": form, "connector": connector},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def connector_create(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, connectors.PERMISSION)
    company_id = get_scope(request.user).company_id
    form = ConnectorForm(request.POST or None, company_id=company_id)
    if request.method == "GET":
        return _form_page(request, form)
    if not form.is_valid():
        return _form_page(request, form, status=INVALID)
    try:
        connector = connectors.connector_create(actor=request.user, **form.service_data())
    except ValidationError as exc:
        _form_error(form, exc)
        return _form_page(request, form, status=INVALID)
    messages.success(request, _("Connector %(name)s was saved.") % {"name": connector.name})
    return redirect("metrics:connector_list")


@login_required
@require_http_methods(["GET", "POST"])
def connector_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _get(request, pk)
    form = ConnectorForm(request.POST or None, company_id=connector.company_id, connector=connector)
    if request.method == "GET":
        return _form_page(request, form, connector)
    if not form.is_valid():
        return _form_page(request, form, connector, status=INVALID)
    try:
        connector = connectors.connector_update(
            actor=request.user,
            connector=connector,
            version=form.cleaned_data.get("version"),
            **form.service_data(),
        )
    except ConflictError as exc:
        form.add_error(None, str(exc))
        return _form_page(request, form, connector, status=CONFLICT)
    except ValidationError as exc:
        _form_error(form, exc)
        return _form_page(request, form, connector, status=INVALID)
    messages.success(request, _("Connector %(name)s was saved.") % {"name": connector.name})
    return redirect("metrics:connector_list")


@login_required
@require_http_methods(["GET", "POST"])
def connector_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _get(request, pk)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            connectors.connector_delete(actor=request.user, connector=connector, version=version)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return render(
                request,
                "metrics/connectors/delete.html",
                {"connector": Connector.objects.get(pk=connector.pk)},
                status=CONFLICT,
            )
        messages.success(request, _("Connector %(name)s was deleted.") % {"name": connector.name})
        return redirect("metrics:connector_list")
    return render(request, "metrics/connectors/delete.html", {"connector": connector})


@login_required
@require_http_methods(["POST"])
def connector_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Fetch and map now, show the first records and the errors; nothing is written."""
    connector = _get(request, pk)
    result = connectors.connector_test(actor=request.user, connector=connector)
    return render(
        request, "metrics/connectors/test.html", {"connector": connector, "result": result}
    )


@login_required
@require_http_methods(["POST"])
def connector_run(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _get(request, pk)
    connectors.connector_run_now(actor=request.user, connector=connector)
    messages.success(
        request,
        _("A run of %(name)s was queued; its result appears here when it is done.")
        % {"name": connector.name},
    )
    return redirect("metrics:connector_list")
