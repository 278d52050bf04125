"""Plan pages: the indicator library (list, create, edit, deactivate, seed), plans (list,
create, copy), the designer (settings, indicators), the plan's page (stage timeline, parts,
indicators, comments, the viewer's steps) and the review screen (diff since submission,
comments, approve/return, the VPs' parts, the GM's filing).

Views parse input, call ``selectors_plans`` / ``services_plans`` / ``library`` and render.
Out of scope → 404; visible but not allowed → 403; an illegal or replayed step or a stale
version → 409 with the reason on the page; nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import render_page
from renshi.core.workflow import TransitionError
from renshi.org.scope import get_scope
from renshi.org.views import CONFLICT, INVALID, _submit

from . import imports as actuals_imports
from . import library as lib
from . import selectors_plans as selectors
from . import services_360, services_cards, services_results, workflows
from . import services_plans as services
from .forms_plans import (
    IndicatorForm,
    LibraryPickForm,
    PartReviewForm,
    PlanCreateForm,
    PlanSettingsForm,
    TemplateForm,
    TransitionForm,
    VersionForm,
)
from .models import IndicatorTemplate, Plan, PlanDepartment, PlanIndicator, Scorecard

STEP_LABELS = {name: t.label for name, t in workflows.PLAN.transitions.items()}
# the steps a review comment records (its ``step``), as people read them
COMMENT_STEPS = {
    **STEP_LABELS,
    "vp_approve": workflows.PLAN.transitions["hr_approve"].label,
}
STEP_STYLE = {
    "hr_approve": "btn-success",
    "gm_file": "btn-success",
    "hr_return": "btn-warning",
    "gm_return": "btn-warning",
}


def _redirect_plan(plan: Plan, anchor: str = "") -> HttpResponse:
    return redirect(reverse("performance:plan_detail", kwargs={"pk": plan.pk}) + anchor)


# --- library -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def library_list(request: HttpRequest) -> HttpResponse:
    """The company's library, grouped by department type. The plan office sees a button that
    seeds the default library (and it is seeded on their first visit when empty)."""
    user = request.user
    access.require_perm(user, "performance.view")
    manage = access.has_perm(user, "performance.manage_library")
    show = request.GET.get("show", "active")
    active = None if show == "all" else show != "inactive"
    templates = list(selectors.library(user=user, active=active))
    if manage and not templates and show == "active":
        scope = get_scope(user)
        if not access.restrict(IndicatorTemplate, user).exists():
            from renshi.org.models import Company

            lib.library_seed(company=Company.objects.get(pk=scope.company_id), actor=user)
            templates = list(selectors.library(user=user, active=True))
    groups: dict[str, dict[str, Any]] = {}
    for t in templates:
        label = lib.DEPARTMENT_TYPES.get(t.department_type, t.department_type)
        groups.setdefault(t.department_type, {"label": label, "rows": []})["rows"].append(t)
    context = {"groups": list(groups.values()), "manage": manage, "show": show}
    return render_page(request, "performance/plans/library_list.html", context, partial="results")


@login_required
@require_http_methods(["POST"])
def library_seed(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "performance.manage_library")
    from renshi.org.models import Company

    created = lib.library_seed(
        company=Company.objects.get(pk=get_scope(user).company_id), actor=user
    )
    messages.success(
        request, _("%(n)d default indicators were added to the library.") % {"n": len(created)}
    )
    return redirect("performance:library_list")


def _template_page(request, form, template, status=200) -> HttpResponse:
    context = {"form": form, "template": template}
    return render(request, "performance/plans/library_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def library_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "performance.manage_library")
    form = TemplateForm(request.POST or None, user=user)
    if request.method == "POST":
        template, status = _submit(
            form, lambda: lib.indicator_template_create(actor=user, **form.service_data())
        )
        if template is not None:
            messages.success(request, _("“%(name)s” was added.") % {"name": template.name})
            return redirect("performance:library_list")
        return _template_page(request, form, None, status)
    return _template_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def library_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    template = access.get_object_or_404(IndicatorTemplate, user, pk=pk)
    access.require_perm(user, "performance.manage_library")
    form = TemplateForm(request.POST or None, user=user, template=template)
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: lib.indicator_template_update(
                actor=user,
                template=template,
                version=form.cleaned_data.get("version"),
                **form.service_data(),
            ),
        )
        if saved is not None:
            messages.success(request, _("“%(name)s” was saved.") % {"name": saved.name})
            return redirect("performance:library_list")
        return _template_page(request, form, template, status)
    return _template_page(request, form, template)


@login_required
@require_http_methods(["POST"])
def library_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    template = access.get_object_or_404(IndicatorTemplate, user, pk=pk)
    access.require_perm(user, "performance.manage_library")
    form = VersionForm(request.POST)
    form.is_valid()
    active = request.POST.get("active") == "1"
    try:
        lib.indicator_template_set_active(
            actor=user,
            template=template,
            active=active,
            version=(form.cleaned_data or {}).get("version"),
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("performance:library_list")
    if active:
        messages.success(request, _("“%(name)s” is active again.") % {"name": template.name})
    else:
        messages.success(request, _("“%(name)s” was deactivated.") % {"name": template.name})
    return redirect("performance:library_list")


# --- plan list, create, copy ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def plan_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "performance.view")
    status = request.GET.get("status") or None
    if status is not None and status not in Plan.Status.values:
        status = None
    counts = selectors.plan_status_counts(user=user)
    context = {
        "plans": list(selectors.plan_list(user=user, status=status)),
        "status": status,
        "statuses": [
            {"value": v, "label": label, "count": counts.get(v, 0)}
            for v, label in Plan.Status.choices
            if counts.get(v)
        ],
        "can_draft": access.has_perm(user, "performance.draft_plans"),
        "last_plan": services.last_plan(actor=user)
        if access.has_perm(user, "performance.draft_plans")
        else None,
    }
    return render_page(request, "performance/plans/plan_list.html", context, partial="results")


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "performance.draft_plans")
    form = PlanCreateForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        plan, status = _submit(
            form, lambda: services.plan_create(actor=user, **form.service_data())
        )
        if plan is not None:
            messages.success(request, _("The plan “%(name)s” was created.") % {"name": plan.name})
            return redirect("performance:plan_design", pk=plan.pk)
    groups: dict[str, list] = {}
    for choice in form["templates"]:
        template = (
            choice.data["value"].instance if hasattr(choice.data["value"], "instance") else None
        )
        key = template.department_type if template else ""
        groups.setdefault(key, []).append(choice)
    template_groups = [
        {"label": lib.DEPARTMENT_TYPES.get(k, k), "choices": v} for k, v in groups.items()
    ]
    context = {"form": form, "template_groups": template_groups}
    return render(request, "performance/plans/plan_create.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def plan_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a plan to the next period (a new draft)."""
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    access.require_perm(user, "performance.draft_plans")
    try:
        copy = services.plan_copy(actor=user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _redirect_plan(plan)
    messages.success(
        request, _("“%(name)s” was created as a copy for the next period.") % {"name": copy.name}
    )
    return redirect("performance:plan_design", pk=copy.pk)


# --- plan page -------------------------------------------------------------------------------------


GRID_STAGES = (
    Plan.Status.ASSIGNING,
    Plan.Status.TRACKING,
    Plan.Status.SELF_EVALUATION,
    Plan.Status.MANAGER_EVALUATION,
)


def _plan_links(user: Any, plan: Plan, parts) -> dict[str, Any]:
    """Where the viewer goes next from the plan page: the assignment grid of each covered
    department they may assign (actuals from the period's start), the actuals import, the 360
    pages, the results, their own scorecard. Links only: every page checks again."""
    status = plan.status
    scope = get_scope(user)
    links: dict[str, Any] = {
        "grid_parts": [],
        "grid_mode": "assign" if status == Plan.Status.ASSIGNING else "actuals",
        "actuals_import": False,
        "r360": False,
        "results": False,
        "own_card": None,
        "own_report": False,
    }
    if scope.employee_id is None or scope.is_api_key:
        return links
    if status in GRID_STAGES:
        links["grid_parts"] = [
            p for p in parts if services_cards.may_submit_department(user, p.department_id)
        ]
    if status in actuals_imports.OPEN_STATUSES and actuals_imports.may_import(user):
        links["actuals_import"] = bool(actuals_imports.import_departments(user=user, plan=plan))
    links["r360"] = (
        status in services_360.CHOOSE_STATUSES
        and services_360.plan_has_360(plan)
        and access.has_perm(user, "performance.choose_raters")
    )
    links["results"] = status in services_results.RESULT_PLAN_STATUSES and access.has_perm(
        user, "performance.view_results"
    )
    if status not in (Plan.Status.DRAFT, Plan.Status.HR_REVIEW, Plan.Status.VP_REVIEW):
        own = (
            access.restrict(Scorecard, user)
            .filter(plan_id=plan.pk, employee_id=scope.employee_id)
            .only("pk", "status")
            .first()
        )
        links["own_card"] = own
        links["own_report"] = (
            own is not None
            and status in (Plan.Status.PUBLISHED, Plan.Status.CLOSED)
            and own.status in services_results.PUBLISHED_CARD_STATUSES
        )
    return links


def _labelled(comments: list) -> list:
    for comment in comments:
        comment.step_label = COMMENT_STEPS.get(comment.step, comment.step)
    return comments


def _detail_context(request: HttpRequest, plan: Plan, **extra: Any) -> dict[str, Any]:
    user = request.user
    parts = selectors.plan_parts(user=user, plan=plan)
    steps = services.available_steps(actor=user, plan=plan)
    context = {
        "plan": plan,
        "timeline": selectors.stage_timeline(plan),
        "parts": parts,
        "reviewable": {p.pk for p in services.reviewable_parts(actor=user, plan=plan, parts=parts)},
        "indicators": selectors.plan_indicators(user=user, plan=plan),
        "comments": _labelled(selectors.plan_comments(user=user, plan=plan)),
        "steps": [
            {
                "name": s,
                "label": STEP_LABELS[s],
                "style": STEP_STYLE.get(s, "btn-primary"),
                "needs_comment": s in services.RETURN_STEPS,
            }
            for s in steps
        ],
        "can_edit": services.can_edit(user, plan),
        "can_copy": access.has_perm(user, "performance.draft_plans"),
        "problems": services.plan_problems(plan) if plan.status == Plan.Status.DRAFT else None,
        "distribution": selectors.distribution_preview(plan, parts),
        "missing": services.missing_assignments(plan)
        if plan.status == Plan.Status.ASSIGNING
        else [],
        "links": _plan_links(user, plan, parts),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    return render(request, "performance/plans/plan_detail.html", _detail_context(request, plan))


@login_required
@require_http_methods(["GET"])
def plan_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review screen: what changed since submission (before → after), the comments, the
    viewer's decisions (HR VP approve/return, the VP's parts, the GM's filing)."""
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    context = _detail_context(request, plan, changes=selectors.review_changes(user=user, plan=plan))
    return render(request, "performance/plans/plan_review.html", context)


@login_required
@require_http_methods(["POST"])
def plan_transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        error, status = _("Unknown step."), INVALID
    else:
        data = form.cleaned_data
        try:
            result = services.plan_transition(
                actor=user,
                plan=plan,
                step=data["step"],
                version=data.get("version"),
                comment=data.get("comment") or "",
            )
        except TransitionError as exc:
            error, status = " ".join(exc.messages), CONFLICT
        except ConflictError as exc:
            error, status = str(exc), CONFLICT
        except ValidationError as exc:
            error, status = " ".join(exc.messages), INVALID
        else:
            messages.success(
                request,
                _("“%(name)s”: %(step)s — now %(status)s.")
                % {
                    "name": result.name,
                    "step": STEP_LABELS.get(data["step"], data["step"]),
                    "status": result.get_status_display(),
                },
            )
            return _redirect_plan(result)
    plan = selectors.plan_get(user=user, pk=pk)
    context = _detail_context(request, plan, transition_error=error)
    return render(request, "performance/plans/plan_detail.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def part_review(request: HttpRequest, pk: int, part: int) -> HttpResponse:
    user = request.user
    plan = selectors.plan_get(user=user, pk=pk)
    part_obj = access.get_object_or_404(PlanDepartment, user, pk=part, plan_id=plan.pk)
    form = PartReviewForm(request.POST)
    if not form.is_valid():
        error, status = _("Unknown step."), INVALID
    else:
        data = form.cleaned_data
        try:
            result = services.plan_part_review(
                actor=user,
                part=part_obj,
                decision=data["decision"],
                version=data.get("version"),
                comment=data.get("comment") or "",
            )
        except TransitionError as exc:
            error, status = " ".join(exc.messages), CONFLICT
        except ConflictError as exc:
            error, status = str(exc), CONFLICT
        except ValidationError as exc:
            error, status = " ".join(exc.messages), INVALID
        else:
            messages.success(
                request,
                _("Your decision on “%(name)s” was recorded; the plan is %(status)s.")
                % {"name": result.name, "status": result.get_status_display()},
            )
            return _redirect_plan(result)
    plan = selectors.plan_get(user=user, pk=pk)
    context = _detail_context(
        request,
        plan,
        transition_error=error,
        changes=selectors.review_changes(user=user, plan=plan),
    )
    return render(request, "performance/plans/plan_review.html", context, status=status)


# --- designer -------------------------------------------------------------------------------------


def _editable_plan(request: HttpRequest, pk: int) -> Plan:
    plan = selectors.plan_get(user=request.user, pk=pk)
    if not services.can_edit(request.user, plan):
        raise PermissionDenied
    return plan


def _design_context(request, plan, **extra) -> dict[str, Any]:
    user = request.user
    parts = selectors.plan_parts(user=user, plan=plan)
    context = {
        "plan": plan,
        "parts": parts,
        "indicators": selectors.plan_indicators(user=user, plan=plan),
        "problems": services.plan_problems(plan),
        "distribution": selectors.distribution_preview(plan, parts),
        "pick_form": LibraryPickForm(user=user, plan=plan),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def plan_design(request: HttpRequest, pk: int) -> HttpResponse:
    """The designer: settings (split, grade bands, forced distribution with its preview, 360,
    deadlines, outcome table, departments) and the indicators. Every save is a new version."""
    user = request.user
    plan = _editable_plan(request, pk)
    form = PlanSettingsForm(request.POST or None, user=user, plan=plan)
    status = 200
    if request.method == "POST":

        def save():
            data = form.service_data()
            return services.plan_update(
                actor=user, plan=plan, version=form.cleaned_data.get("version"), **data
            )

        saved, status = _submit(form, save)
        if saved is not None:
            messages.success(request, _("The plan settings were saved."))
            return redirect("performance:plan_design", pk=plan.pk)
    context = _design_context(request, plan, form=form)
    return render(request, "performance/plans/plan_design.html", context, status=status)


def _indicator(request: HttpRequest, plan: Plan, ind: int) -> PlanIndicator:
    return access.get_object_or_404(
        PlanIndicator.objects.select_related("plan"), request.user, pk=ind, plan_id=plan.pk
    )


def _indicator_page(request, plan, form, indicator, status=200) -> HttpResponse:
    context = {"plan": plan, "form": form, "indicator": indicator}
    return render(request, "performance/plans/indicator_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _editable_plan(request, pk)
    form = IndicatorForm(request.POST or None, user=user, plan=plan)
    if request.method == "POST":
        created, status = _submit(
            form,
            lambda: services.plan_indicator_add(
                actor=user, plan=plan, version=form.cleaned_data.get("version"),
                **form.service_data(),
            ),
        )  # fmt: skip
        if created is not None:
            messages.success(request, _("“%(name)s” was added.") % {"name": created.name})
            return redirect("performance:plan_design", pk=plan.pk)
        return _indicator_page(request, plan, form, None, status)
    return _indicator_page(request, plan, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, pk: int, ind: int) -> HttpResponse:
    user = request.user
    plan = _editable_plan(request, pk)
    indicator = _indicator(request, plan, ind)
    form = IndicatorForm(request.POST or None, user=user, plan=plan, indicator=indicator)
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services.plan_indicator_update(
                actor=user, indicator=indicator, version=form.cleaned_data.get("version"),
                **form.service_data(),
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, _("“%(name)s” was saved.") % {"name": saved.name})
            return redirect("performance:plan_design", pk=plan.pk)
        return _indicator_page(request, plan, form, indicator, status)
    return _indicator_page(request, plan, form, indicator)


@login_required
@require_http_methods(["POST"])
def indicator_remove(request: HttpRequest, pk: int, ind: int) -> HttpResponse:
    user = request.user
    plan = _editable_plan(request, pk)
    indicator = _indicator(request, plan, ind)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.plan_indicator_remove(
            actor=user, indicator=indicator, version=(form.cleaned_data or {}).get("version")
        )
    except (ConflictError, ValidationError) as exc:
        error = str(exc) if isinstance(exc, ConflictError) else " ".join(exc.messages)
        context = _design_context(
            request, plan, form=PlanSettingsForm(user=user, plan=plan), design_error=error
        )
        status = CONFLICT if isinstance(exc, ConflictError) else INVALID
        return render(request, "performance/plans/plan_design.html", context, status=status)
    messages.success(request, _("“%(name)s” was removed.") % {"name": indicator.name})
    return redirect("performance:plan_design", pk=plan.pk)


@login_required
@require_http_methods(["POST"])
def indicator_from_library(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _editable_plan(request, pk)
    form = LibraryPickForm(request.POST, user=user, plan=plan)

    def add():
        d = form.cleaned_data
        return services.plan_indicators_from_library(
            actor=user,
            plan=plan,
            version=d.get("version"),
            templates=list(d["templates"]),
            department=d.get("department"),
            position=d.get("position"),
        )

    created, status = _submit(form, add)
    if created is not None:
        messages.success(request, _("%(n)d indicators were added.") % {"n": len(created)})
        return redirect("performance:plan_design", pk=plan.pk)
    context = _design_context(
        request, plan, form=PlanSettingsForm(user=user, plan=plan), pick_form=form
    )
    return render(request, "performance/plans/plan_design.html", context, status=status)
