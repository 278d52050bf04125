"""Results pages of a performance cycle: the plans with results, a plan's results (scoped,
sortable, outcomes, promotion list, publish/close/reopen), calibration (distribution against
the quotas, adjust a grade with a reason — htmx), the employee's report (HTML and PDF),
acknowledgement, appeals and their handling, improvement plans, the Excel export.

Views parse input, call selectors/services and render. Out of scope answers 404, visible but
not allowed 403; an illegal or replayed step or a stale version answers 409 with the page and
the reason, invalid input 422; nothing changes in either case.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import is_htmx, render_page
from renshi.core.workflow import TransitionError
from renshi.org.scope import get_scope

from . import reports, selectors_results, services_results
from .forms_results import (
    AppealForm,
    AppealHandleForm,
    CalibrateForm,
    ImprovementPlanForm,
    PromotionForm,
    ReasonVersionForm,
    VersionForm,
)
from .models import Appeal, ImprovementPlan, Plan, Scorecard, ScorecardItem

INVALID, CONFLICT = 422, 409
PAGE_SIZE = 50


def _attempt(form, call) -> tuple[Any, str, int]:
    """Run a service for a valid form: (result, error message, HTTP status)."""
    if form is not None and not form.is_valid():
        return None, _("Check the form."), INVALID
    try:
        return call(), "", 200
    except services_results.NotReadyError as exc:
        return None, " ".join(exc.messages), CONFLICT
    except TransitionError as exc:
        return None, " ".join(exc.messages), CONFLICT
    except ConflictError as exc:
        return None, str(exc), CONFLICT
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                target = name if name in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        return None, " ".join(exc.messages), INVALID


def _require(user, permission: str) -> None:
    if not access.has_perm(user, permission):
        raise PermissionDenied


# --- plans with results -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def results_index(request: HttpRequest) -> HttpResponse:
    _require(request.user, "performance.view_results")
    plans = selectors_results.results_plans(user=request.user)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "performance/results/index.html", {"page_obj": page})


@login_required
@require_http_methods(["GET"])
def results_mine(request: HttpRequest) -> HttpResponse:
    scope = get_scope(request.user)
    cards = (
        access.restrict(Scorecard, request.user)
        .filter(employee_id=scope.employee_id or 0)
        .filter(
            plan__status__in=(Plan.Status.PUBLISHED, Plan.Status.CLOSED),
            status__in=services_results.PUBLISHED_CARD_STATUSES,
        )
        .select_related("plan")
        .order_by("-plan__period_start")
    )
    rows = []
    for card in cards:
        labels = {g.key: g.label for g in selectors_results.plan_grades(card.plan)}
        rows.append({"card": card, "grade_label": labels.get(card.final_grade, card.final_grade)})
    return render(request, "performance/results/mine.html", {"rows": rows})


# --- a plan's results ---------------------------------------------------------------------------


def _results_context(request: HttpRequest, plan: Plan, **extra: Any) -> dict[str, Any]:
    user = request.user
    sort = request.GET.get("sort") or "score"
    rows = selectors_results.result_rows(user=user, plan=plan, sort=sort)
    overall, departments = selectors_results.distributions(plan, rows)
    promotion_form = PromotionForm(request.GET or None)
    min_score = None
    if promotion_form.is_bound and promotion_form.is_valid():
        min_score = promotion_form.cleaned_data.get("min_score")
    outcomes = selectors_results.plan_outcomes(plan)
    grades = selectors_results.plan_grades(plan)
    context = {
        "plan": plan,
        "rows": rows,
        "sort": sort if sort in selectors_results.SORTS else "score",
        "sorts": selectors_results.SORTS,
        "overall": overall,
        "departments": departments,
        "outcome_rows": [(g, outcomes.get(g.key)) for g in grades],
        "promotions": selectors_results.promotion_list(plan=plan, rows=rows, min_score=min_score),
        "promotion_form": promotion_form,
        "min_score": min_score,
        "can_publish": plan.status == Plan.Status.CALIBRATION
        and access.has_perm(user, "performance.publish_results"),
        "can_close": plan.status == Plan.Status.PUBLISHED
        and access.has_perm(user, "performance.publish_results"),
        "can_reopen": plan.status == Plan.Status.CLOSED
        and access.has_perm(user, "performance.reopen_results"),
        "can_calibrate": plan.status == Plan.Status.CALIBRATION
        and access.has_perm(user, "performance.calibrate"),
        "appeal_deadline": services_results.appeal_deadline(plan),
        "reopen_form": ReasonVersionForm(initial={"version": plan.version}),
        "step_error": "",
        "pending": [],
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET"])
def results_plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors_results.results_plan(user=request.user, pk=pk)
    return render_page(
        request, "performance/results/plan.html", _results_context(request, plan), partial="table"
    )


@login_required
@require_http_methods(["GET"])
def results_export(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors_results.results_plan(user=request.user, pk=pk)
    export = reports.results_export(user=request.user, plan=plan, sort=request.GET.get("sort", ""))
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


STEP_DONE = {
    "publish": gettext_lazy("The results are published; every employee was notified."),
    "close": gettext_lazy("The plan is closed: its results are locked."),
    "reopen": gettext_lazy("The plan is reopened for calibration."),
}


def _plan_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = request.user
    plan = access.get_object_or_404(Plan, user, access.VIEW, pk=pk)
    form = ReasonVersionForm(request.POST) if step == "reopen" else VersionForm(request.POST)
    if step == "publish":
        _require(user, "performance.publish_results")
        call = lambda: services_results.plan_publish_results(  # noqa: E731
            actor=user, plan=plan, version=form.cleaned_data["version"]
        )
    elif step == "close":
        _require(user, "performance.publish_results")
        call = lambda: services_results.plan_close(  # noqa: E731
            actor=user, plan=plan, version=form.cleaned_data["version"]
        )
    else:
        _require(user, "performance.reopen_results")
        call = lambda: services_results.plan_reopen(  # noqa: E731
            actor=user,
            plan=plan,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    pending: list[Scorecard] = []

    def run():
        try:
            return call()
        except services_results.NotReadyError as exc:
            pending.extend(exc.cards)
            raise

    result, error, status = _attempt(form, run)
    if result is not None:
        messages.success(request, STEP_DONE[step])
        return redirect("performance:results_plan", pk=plan.pk)
    plan.refresh_from_db()
    if plan.status not in services_results.RESULT_PLAN_STATUSES:
        messages.error(request, error)
        return redirect("performance:results_index")
    context = _results_context(
        request,
        plan,
        step_error=error,
        pending=pending,
        reopen_form=form
        if step == "reopen"
        else ReasonVersionForm(initial={"version": plan.version}),
    )
    return render(request, "performance/results/plan.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def results_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_step(request, pk, "publish")


@login_required
@require_http_methods(["POST"])
def results_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_step(request, pk, "close")


@login_required
@require_http_methods(["POST"])
def results_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_step(request, pk, "reopen")


# --- calibration --------------------------------------------------------------------------------


def _grade_choices(plan: Plan) -> list[tuple[str, str]]:
    return [(g.key, g.label) for g in selectors_results.plan_grades(plan)]


def _calibration_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    user = request.user
    rows = selectors_results.result_rows(user=user, plan=plan, sort=request.GET.get("sort") or "")
    overall, departments = selectors_results.distributions(plan, rows)
    allowed = (
        selectors_results.calibration_allowed(user, rows) if plan.status == "calibration" else set()
    )
    choices = _grade_choices(plan)
    for row in rows:
        row.form = (
            CalibrateForm(
                grades=choices,
                initial={"version": row.card.version, "grade": row.card.calibrated_grade},
                prefix=f"c{row.card.pk}",
            )
            if row.card.pk in allowed
            else None
        )
        row.error = ""
    return {
        "plan": plan,
        "rows": rows,
        "overall": overall,
        "departments": departments,
        "chart": selectors_results.chart_data(overall),
        "open": plan.status == Plan.Status.CALIBRATION,
        "has_quotas": bool(selectors_results.plan_shares(plan)),
    }


@login_required
@require_http_methods(["GET"])
def results_calibration(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors_results.results_plan(user=request.user, pk=pk)
    context = _calibration_context(request, plan)
    return render_page(request, "performance/results/calibration.html", context, partial="board")


@login_required
@require_http_methods(["POST"])
def results_calibrate(request: HttpRequest, pk: int) -> HttpResponse:
    """Adjust one card's grade (grade, reason, version; fields prefixed ``c<card id>-``). For
    htmx, answers the calibration board (row, distribution) with the outcome."""
    user = request.user
    card = access.get_object_or_404(
        Scorecard.objects.select_related("plan"), user, access.VIEW, pk=pk
    )
    if not services_results.may_calibrate(user, card):
        raise PermissionDenied
    form = CalibrateForm(request.POST, grades=_grade_choices(card.plan), prefix=f"c{card.pk}")
    result, error, status = _attempt(
        form,
        lambda: services_results.scorecard_calibrate(
            actor=user,
            scorecard=card,
            grade=form.cleaned_data["grade"],
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        ),
    )
    if result is not None and not is_htmx(request):
        messages.success(
            request, _("The grade of %(name)s is calibrated.") % {"name": card.employee.name}
        )
        return redirect("performance:results_calibration", pk=card.plan_id)
    plan = Plan.objects.get(pk=card.plan_id)
    context = _calibration_context(request, plan)
    context["board_error"] = error
    for row in context["rows"]:
        if row.card.pk == card.pk and result is None:
            row.form = form
            row.error = error
    return render_page(
        request, "performance/results/calibration.html", context, partial="board", status=status
    )


# --- the report ---------------------------------------------------------------------------------


def _report_context(request: HttpRequest, card: Scorecard, **extra: Any) -> dict[str, Any]:
    context = selectors_results.report(user=request.user, card=card)
    context["ack_form"] = VersionForm(initial={"version": card.version})
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET"])
def results_report(request: HttpRequest, pk: int) -> HttpResponse:
    card = selectors_results.report_card(user=request.user, pk=pk)
    return render(request, "performance/results/report.html", _report_context(request, card))


@login_required
@require_http_methods(["GET"])
def results_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    card = selectors_results.report_card(user=request.user, pk=pk)
    pdf = reports.report_pdf(context=_report_context(request, card))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{card.pk}.pdf"'
    return response


@login_required
@require_http_methods(["POST"])
def results_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    card = access.get_object_or_404(Scorecard.objects.select_related("plan"), user, pk=pk)
    if not services_results.is_own(user, card):
        raise PermissionDenied
    form = VersionForm(request.POST)
    result, error, status = _attempt(
        form,
        lambda: services_results.scorecard_acknowledge(
            actor=user, scorecard=card, version=form.cleaned_data["version"]
        ),
    )
    if result is not None:
        messages.success(request, _("You acknowledged your result."))
        return redirect("performance:results_report", pk=card.pk)
    card = selectors_results.report_card(user=user, pk=pk)
    context = _report_context(request, card, step_error=error)
    return render(request, "performance/results/report.html", context, status=status)


# --- appeals ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def results_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """The employee's appeal form (their own published card)."""
    user = request.user
    card = selectors_results.report_card(user=user, pk=pk)
    if not services_results.is_own(user, card):
        raise PermissionDenied
    status, error = 200, ""
    if request.method == "POST":
        form = AppealForm(request.POST)
        result, error, status = _attempt(
            form,
            lambda: services_results.appeal_create(
                actor=user,
                scorecard=card,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            ),
        )
        if result is not None:
            messages.success(request, _("Your appeal was sent to the performance manager."))
            return redirect("performance:results_report", pk=card.pk)
    else:
        form = AppealForm(initial={"version": card.version})
    context = {
        "card": card,
        "plan": card.plan,
        "form": form,
        "error": error,
        "appeal_deadline": services_results.appeal_deadline(card.plan),
    }
    return render(request, "performance/results/appeal_form.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def results_appeals(request: HttpRequest) -> HttpResponse:
    _require(request.user, "performance.publish_results")
    status = request.GET.get("status", "")
    appeals = selectors_results.appeal_list(user=request.user, status=status)
    page = Paginator(appeals, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "status": status, "statuses": Appeal.Status.choices}
    return render_page(request, "performance/results/appeals.html", context, partial="list")


def _appeal_context(request, appeal: Appeal, form=None, error: str = "") -> dict[str, Any]:
    card = appeal.scorecard
    items = list(
        ScorecardItem.objects.filter(scorecard_id=card.pk)
        .select_related("indicator")
        .order_by("indicator__category", "indicator__order", "id")
    )
    if form is None:
        initial = {"version": appeal.version}
        for item in items:
            initial[f"actual_{item.pk}"] = item.actual
            initial[f"rating_{item.pk}"] = item.rating
        form = AppealHandleForm(items=items, initial=initial)
    report = selectors_results.report(user=request.user, card=card)
    may_handle = appeal.status == Appeal.Status.OPEN and services_results.may_handle_appeal(
        request.user, appeal
    )
    return {
        **report,
        "appeal": appeal,
        "card": card,
        "plan": card.plan,
        "item_rows": [
            {"item": i, "actual": form[f"actual_{i.pk}"], "rating": form[f"rating_{i.pk}"]}
            for i in items
        ],
        "form": form,
        "error": error,
        "may_handle": may_handle,
        "is_appellant": appeal.raised_by_id == request.user.pk
        or services_results.is_own(request.user, card),
        "rescore": next((a.rescore for a in report["appeals"] if a.pk == appeal.pk), None),
    }


@login_required
@require_http_methods(["GET", "POST"])
def results_appeal_handle(request: HttpRequest, pk: int) -> HttpResponse:
    """Handle an appeal (performance manager, never the appellant): re-score with corrected
    actuals/ratings and a reason, or reject with a reason."""
    user = request.user
    appeal = selectors_results.appeal_detail(user=user, pk=pk)
    if request.method == "GET":
        return render(
            request, "performance/results/appeal_handle.html", _appeal_context(request, appeal)
        )
    if not services_results.may_handle_appeal(user, appeal):
        raise PermissionDenied
    items = list(ScorecardItem.objects.filter(scorecard_id=appeal.scorecard_id))
    form = AppealHandleForm(request.POST, items=items)

    def call():
        data = form.cleaned_data
        if data["action"] == "reject":
            return services_results.appeal_reject(
                actor=user, appeal=appeal, version=data["version"], reason=data["reason"]
            )
        return services_results.appeal_rescore(
            actor=user,
            appeal=appeal,
            version=data["version"],
            reason=data["reason"],
            changes=form.changes(),
        )

    result, error, status = _attempt(form, call)
    if result is not None:
        messages.success(request, _("The appeal is handled; the employee was notified."))
        return redirect("performance:results_appeal_handle", pk=appeal.pk)
    appeal = selectors_results.appeal_detail(user=user, pk=pk)
    context = _appeal_context(
        request, appeal, form=None if status == CONFLICT else form, error=error
    )
    return render(request, "performance/results/appeal_handle.html", context, status=status)


# --- improvement plan ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def results_improvement(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    card = selectors_results.report_card(user=user, pk=pk)
    if not services_results.may_plan_improvement(user, card):
        raise PermissionDenied
    existing = ImprovementPlan.objects.filter(scorecard_id=card.pk).first()
    status, error = 200, ""
    if request.method == "POST":
        form = ImprovementPlanForm(request.POST)
        result, error, status = _attempt(
            form,
            lambda: services_results.improvement_plan_save(
                actor=user,
                scorecard=card,
                goals=form.cleaned_data["goals"],
                actions=form.cleaned_data["actions"],
                review_date=form.cleaned_data["review_date"],
                version=form.cleaned_data.get("version"),
            ),
        )
        if result is not None:
            messages.success(request, _("The improvement plan is saved."))
            return redirect("performance:results_report", pk=card.pk)
    elif existing is not None:
        form = ImprovementPlanForm(
            initial={
                "version": existing.version,
                "goals": existing.goals,
                "actions": existing.actions,
                "review_date": existing.review_date,
            }
        )
    else:
        form = ImprovementPlanForm(initial={"version": 0})
    context = {"card": card, "plan": card.plan, "form": form, "error": error, "existing": existing}
    return render(request, "performance/results/improvement_form.html", context, status=status)
