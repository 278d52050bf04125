"""Alert pages: my alerts (and those about people in my scope), an alert with its explanation,
the rules (HR VP, performance manager), the working-day calendar, "evaluate now".

Views parse input, call selectors/services and render. Querysets come through the access
layer: an alert out of scope answers 404; a page one may not use answers 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import render_page
from renshi.org.views import _submit

from . import selectors, services
from .forms import CalendarForm, RuleForm, VersionForm
from .models import Alert, AlertRule, CalendarDay

PAGE_SIZE = 50
STATUS_FILTERS = ("open", "closed", "all")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET"])
def alert_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "alerts.view")
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    rule_id = _int(request.GET.get("rule"))
    mine = request.GET.get("mine") == "1"
    alerts = selectors.alert_list(user=user, status=status, rule_id=rule_id, mine=mine)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "alerts": page.object_list,
        "status": status,
        "rule_id": rule_id,
        "mine": mine,
        "rules": selectors.visible_rules(user=user),
        "can_evaluate": access.has_perm(user, "alerts.evaluate"),
        "can_manage": access.has_perm(user, "alerts.manage_rules"),
        "status_choices": [
            ("open", _("Open")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ],
    }
    return render_page(request, "alerts/alert_list.html", context, partial="results")


@login_required
@require_http_methods(["GET"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    alert = access.get_object_or_404(
        Alert.objects.select_related("rule", "closed_by"), user, access.VIEW, pk=pk
    )
    context = {
        "alert": alert,
        "trace": alert.trace_text(),
        "recipients": selectors.alert_recipients(alert=alert),
        "can_resolve": alert.is_open and access.can(user, access.CHANGE, alert),
    }
    return render(request, "alerts/alert_detail.html", context)


@login_required
@require_POST
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    alert = access.get_object_or_404(Alert, user, access.VIEW, pk=pk)
    try:
        services.alert_resolve(actor=user, alert=alert)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect(alert)
    messages.success(request, _("The alert was closed as resolved."))
    return redirect(alert)


@login_required
@require_POST
def evaluate_now(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "alerts.evaluate")
    services.alerts_evaluate_enqueue(actor=user)
    messages.success(request, _("The evaluation was queued; alerts update in a moment."))
    return redirect("alerts:alert_list")


# --- rules ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def rule_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "alerts.manage_rules")
    context = {"rules": selectors.rule_list(user=user)}
    return render(request, "alerts/rule_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    access.require_perm(user, "alerts.manage_rules")
    rule = access.get_object_or_404(AlertRule, user, access.VIEW, pk=pk)
    form = RuleForm(request.POST or None, rule=rule)
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services.alert_rule_update(
                actor=user,
                rule=rule,
                version=form.cleaned_data.get("version"),
                **form.service_data(),
            ),
        )
        if saved is not None:
            messages.success(request, _("The rule %(name)s was saved.") % {"name": saved.name})
            return redirect("alerts:rule_list")
    context = {"form": form, "rule": rule}
    return render(request, "alerts/rule_form.html", context, status=status)


# --- calendar -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "alerts.manage_calendar")
    year = _int(request.GET.get("year")) or timezone.localdate().year
    year = min(max(year, 2000), 2100)
    form = CalendarForm(request.POST or None)
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services.calendar_days_set(
                actor=user,
                dates=form.cleaned_data["dates"],
                is_working=form.cleaned_data["kind"] == "workday",
                note=form.cleaned_data["note"],
            ),
        )
        if saved is not None:
            messages.success(request, _("%(count)s days were saved.") % {"count": len(saved)})
            first = min(d.date for d in saved)
            return redirect(reverse("alerts:calendar") + f"?year={first.year}")
    days = list(selectors.calendar_days(user=user, year=year))
    context = {
        "form": form,
        "year": year,
        "days": days,
        "holidays": sum(1 for d in days if not d.is_working),
        "workdays": sum(1 for d in days if d.is_working),
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return render(request, "alerts/calendar.html", context, status=status)


@login_required
@require_POST
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    access.require_perm(user, "alerts.manage_calendar")
    day = access.get_object_or_404(CalendarDay, user, access.VIEW, pk=pk)
    form = VersionForm(request.POST)
    version = form.cleaned_data.get("version") if form.is_valid() else None
    try:
        services.calendar_day_delete(actor=user, day=day, version=version)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(date)s follows Monday to Friday again.") % {"date": day.date}
        )
    return redirect(reverse("alerts:calendar") + f"?year={day.date.year}")
