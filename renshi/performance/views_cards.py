"""Scorecard pages: the department head's assignment grid (weights and targets, actuals mode,
send, submit the department), my scorecards, the scorecard page (confirm / object, actuals,
the feedback thread of each indicator), the self-evaluation and the manager's evaluation.

Views parse, call selectors/services and render. Out of scope → 404; visible but not allowed
→ 403; a stale version or a step the state does not allow → 409 with the page and the reason;
invalid input → 422 with the page and the errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import is_htmx, render_page
from renshi.core.workflow import TransitionError
from renshi.org.models import Department
from renshi.org.scope import get_scope

from . import selectors_360, services_360, services_results
from . import selectors_cards as selectors
from . import services_cards as services
from .forms_cards import CommentForm, StepForm, card_ids, parse_grid, parse_item_fields
from .models import Plan, PlanDepartment, Scorecard, ScorecardItem
from .permissions import reads_all_plans

INVALID, CONFLICT = 422, 409
TEMPLATES = "performance/cards/"


def _errors(exc: ValidationError) -> tuple[dict[str, list[str]], list[str]]:
    """(errors keyed by field, general messages)."""
    if hasattr(exc, "error_dict"):
        keyed = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        return keyed, keyed.pop("__all__", [])
    return {}, [str(m) for m in exc.messages]


def _run(call) -> tuple[Any, int, dict[str, list[str]], list[str]]:
    """Call a service: (result, status, field errors, messages)."""
    try:
        return call(), 200, {}, []
    except TransitionError as exc:
        return None, CONFLICT, {}, [str(m) for m in exc.messages]
    except ConflictError as exc:
        return None, CONFLICT, {}, [str(exc)]
    except ValidationError as exc:
        keyed, general = _errors(exc)
        return None, INVALID, keyed, general


# --- lists -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def my_scorecards(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "performance.view")
    cards = selectors.my_cards(user=request.user)
    rows = [(c, selectors.score_visible(request.user, c)) for c in cards]
    return render_page(request, TEMPLATES + "my_scorecards.html", {"rows": rows})


@login_required
@require_http_methods(["GET"])
def team(request: HttpRequest) -> HttpResponse:
    access.require_perm(request.user, "performance.assign")
    labels = dict(Scorecard.Status.choices)
    parts = [
        {
            "plan": p.plan,
            "part": p.part,
            "total": p.total,
            "counts": p.counts,
            # the statuses in workflow order with their display labels (not the raw keys)
            "count_labels": [(labels[s], p.counts[s]) for s in labels if s in p.counts],
        }
        for p in selectors.team_parts(user=request.user)
    ]
    return render_page(request, TEMPLATES + "team.html", {"parts": parts})


# --- the grid ----------------------------------------------------------------------------------


def _grid_plan(request: HttpRequest, plan_pk: int) -> Plan:
    plan = access.get_object_or_404(Plan, request.user, access.VIEW, pk=plan_pk)
    scope = get_scope(request.user)
    if not (scope.department_ids or reads_all_plans(scope)) or scope.is_api_key:
        raise PermissionDenied
    return plan


def _grid_department(request: HttpRequest, plan: Plan, raw) -> Department | None:
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        return None
    return access.get_object_or_404(Department, request.user, access.VIEW, pk=int(raw))


def _grid_url(plan: Plan, department: Department | None, mode: str) -> str:
    url = reverse("performance:grid", kwargs={"plan_pk": plan.pk}) + f"?mode={mode}"
    if department is not None:
        url += f"&department={department.pk}"
    return url


def _grid_context(
    request: HttpRequest,
    plan: Plan,
    department: Department | None,
    mode: str,
    *,
    posted=None,
    field_errors: dict | None = None,
    **extra: Any,
) -> dict[str, Any]:
    grid = selectors.grid(user=request.user, plan=plan, department=department)
    field_errors = field_errors or {}
    for row in grid.rows:
        for cell in row.cells:
            base = f"{row.card.pk}-{cell.indicator.pk}"
            if posted is not None:
                for kind, name in (("w", "weight"), ("t", "target"), ("a", "actual")):
                    key = f"{kind}-{base}"
                    if key in posted:
                        setattr(cell, name, posted.get(key, ""))
            for name in ("weight", "target", "actual", "goal", "suggestion"):
                cell.errors.extend(field_errors.get(f"{base}-{name}", []))
    return {
        "grid": grid,
        "plan": plan,
        "mode": mode,
        "department": department,
        "viewer_employee_id": get_scope(request.user).employee_id,
        "assign_url": _grid_url(plan, department, "assign"),
        "actuals_url": _grid_url(plan, department, "actuals"),
        "submittable": [
            p
            for p in grid.parts
            if services.may_submit_department(request.user, p.department_id)
            and plan.status in services.ASSIGN_STAGES
        ],
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def grid(request: HttpRequest, plan_pk: int) -> HttpResponse:
    """The assignment grid (``mode=assign``: weights and targets; ``mode=actuals``: actuals
    of manual indicators). POST ``save=<card id>`` saves one row, ``save=all`` every row
    (those the page marked changed when its script runs)."""
    plan = _grid_plan(request, plan_pk)
    params = request.POST if request.method == "POST" else request.GET
    department = _grid_department(request, plan, params.get("department"))
    mode = "actuals" if params.get("mode") == "actuals" else "assign"
    if request.method == "GET":
        context = _grid_context(request, plan, department, mode)
        return render_page(request, TEMPLATES + "grid.html", context)
    target = request.POST.get("save", "all")
    only = card_ids([target]) if target != "all" else card_ids(request.POST.getlist("changed"))
    rows = parse_grid(request.POST, mode=mode, only=only or None)
    if not rows:
        messages.info(request, _("Nothing to save."))
        return redirect(_grid_url(plan, department, mode))
    service = (
        services.scorecard_items_update if mode == "assign" else services.scorecard_actuals_update
    )
    result, status, field_errors, general = _run(lambda: service(actor=request.user, rows=rows))
    if result is not None:
        messages.success(request, _("Saved."))
        return redirect(_grid_url(plan, department, mode))
    if status == INVALID and not general and field_errors:
        general = [_("Some values are not valid: see the marked cells.")]
    context = _grid_context(
        request,
        plan,
        department,
        mode,
        posted=request.POST,
        field_errors=field_errors,
        grid_errors=general,
    )
    return render_page(request, TEMPLATES + "grid.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def grid_send(request: HttpRequest, plan_pk: int) -> HttpResponse:
    """Send the selected cards (``cards``) or every draft/objected card (``all``)."""
    plan = _grid_plan(request, plan_pk)
    department = _grid_department(request, plan, request.POST.get("department"))
    selected = None if request.POST.get("all") else card_ids(request.POST.getlist("cards"))
    if selected is not None and not selected:
        messages.info(request, _("Select the employees to send to."))
        return redirect(_grid_url(plan, department, "assign"))
    result, status, _keyed, general = _run(
        lambda: services.scorecards_send(
            actor=request.user, plan=plan, scorecards=selected, department=department
        )
    )
    if result is not None:
        messages.success(
            request, _("%(count)s scorecards were sent to the employees.") % {"count": len(result)}
        )
        return redirect(_grid_url(plan, department, "assign"))
    context = _grid_context(request, plan, department, "assign", grid_errors=general)
    return render_page(request, TEMPLATES + "grid.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def department_submit(request: HttpRequest, plan_pk: int, department_pk: int) -> HttpResponse:
    plan = _grid_plan(request, plan_pk)
    department = access.get_object_or_404(Department, request.user, access.VIEW, pk=department_pk)
    access.get_object_or_404(
        PlanDepartment, request.user, access.VIEW, plan_id=plan.pk, department_id=department.pk
    )
    if not services.may_submit_department(request.user, department.pk):
        raise PermissionDenied
    result, status, _keyed, general = _run(
        lambda: services.plan_department_submit(
            actor=request.user, plan=plan, department=department
        )
    )
    if result is not None:
        messages.success(
            request,
            _("The assignments of %(department)s were submitted.") % {"department": department},
        )
        return redirect(_grid_url(plan, department, "assign"))
    context = _grid_context(request, plan, department, "assign", grid_errors=general)
    return render_page(request, TEMPLATES + "grid.html", context, status=status)


# --- one scorecard ----------------------------------------------------------------------------


def _card(request: HttpRequest, pk: int) -> Scorecard:
    return access.get_object_or_404(
        Scorecard.objects.select_related(*selectors.CARD_RELATED), request.user, access.VIEW, pk=pk
    )


def _report_link(user, card: Scorecard, owner: bool) -> bool:
    """Whether the card's performance report opens for ``user`` (a link; the report page
    checks again: the employee once published, managers with a results scope from
    calibration on)."""
    plan = card.plan
    if owner:
        return (
            plan.status in (Plan.Status.PUBLISHED, Plan.Status.CLOSED)
            and card.status in services_results.PUBLISHED_CARD_STATUSES
        )
    if plan.status not in services_results.RESULT_PLAN_STATUSES:
        return False
    if not access.has_perm(user, "performance.view_results"):
        return False
    scope = get_scope(user)
    return reads_all_plans(scope) or card.department_id in scope.department_ids


def _card_context(request: HttpRequest, card: Scorecard, **extra: Any) -> dict[str, Any]:
    user = request.user
    owner = services.is_owner(user, card)
    return {
        "report_link": _report_link(user, card, owner),
        "r360_link": services_360.plan_has_360(card.plan)
        and selectors_360.aggregate_allowed(get_scope(user), card),
        "card": card,
        "plan": card.plan,
        "items": selectors.card_items(user=user, card=card),
        "owner": owner,
        "steps": services.available_steps(actor=user, card=card),
        "score_visible": selectors.score_visible(user, card),
        "can_type_actual": services.can_type_actual(user, card, card.plan),
        "can_comment": services.can_comment(user, card),
        "can_self_evaluate": owner
        and card.plan.status in services.STEP_STAGES["self_evaluate"]
        and card.status == Scorecard.Status.CONFIRMED,
        "can_evaluate": services.can_evaluate(user, card)
        and card.plan.status in services.STEP_STAGES["evaluate"]
        and card.status in (Scorecard.Status.CONFIRMED, Scorecard.Status.SELF_EVALUATED),
        "comment_form": CommentForm(),
        **extra,
    }


@login_required
@require_http_methods(["GET"])
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card(request, pk)
    return render_page(request, TEMPLATES + "scorecard_detail.html", _card_context(request, card))


STEP_DONE = {
    "send": gettext_lazy("The scorecard was sent to the employee."),
    "confirm": gettext_lazy("You confirmed your targets."),
    "object": gettext_lazy("Your objection was sent to your manager."),
}


@login_required
@require_http_methods(["POST"])
def scorecard_step(request: HttpRequest, pk: int) -> HttpResponse:
    """send / confirm / object (reason) with the version read. Self-evaluation and evaluation
    have their own forms."""
    card = _card(request, pk)
    form = StepForm(request.POST)
    if not form.is_valid() or form.cleaned_data["step"] not in STEP_DONE:
        context = _card_context(request, card, step_errors=[_("Unknown step.")])
        return render_page(request, TEMPLATES + "scorecard_detail.html", context, status=INVALID)
    data = form.cleaned_data
    step = data["step"]
    if step == "send" and not services.can_assign(request.user, card):
        raise PermissionDenied
    if step in ("confirm", "object") and not services.is_owner(request.user, card):
        raise PermissionDenied
    result, status, keyed, general = _run(
        lambda: services.scorecard_step(
            actor=request.user,
            scorecard=card,
            step=step,
            version=data["version"],
            reason=data.get("reason") or "",
        )
    )
    if result is not None:
        messages.success(request, STEP_DONE[step])
        return redirect("performance:scorecard_detail", pk=card.pk)
    errors = general + [m for v in keyed.values() for m in v]
    context = _card_context(request, _card(request, pk), step_errors=errors)
    return render_page(request, TEMPLATES + "scorecard_detail.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def scorecard_actuals(request: HttpRequest, pk: int) -> HttpResponse:
    """The actuals of manual indicators typed on the scorecard page (``a-<card>-<indicator>``)."""
    card = _card(request, pk)
    if not services.can_type_actual(request.user, card, card.plan):
        raise PermissionDenied
    rows = parse_grid(request.POST, mode="actuals", only={card.pk})
    result, status, keyed, general = _run(
        lambda: services.scorecard_actuals_update(actor=request.user, rows=rows)
    )
    if result is not None:
        messages.success(request, _("The actuals were saved."))
        return redirect("performance:scorecard_detail", pk=card.pk)
    errors = general + [m for v in keyed.values() for m in v]
    context = _card_context(request, _card(request, pk), actual_errors=errors)
    return render_page(request, TEMPLATES + "scorecard_detail.html", context, status=status)


def _evaluation_page(
    request: HttpRequest, pk: int, *, template: str, allowed, service, names, comment_field
) -> HttpResponse:
    card = _card(request, pk)
    if not allowed(request.user, card):
        raise PermissionDenied
    if request.method == "GET":
        return render_page(request, TEMPLATES + template, _card_context(request, card))
    version = request.POST.get("version", "")
    items = parse_item_fields(request.POST, names)
    submit = request.POST.get("submit") == "1"
    result, status, keyed, general = _run(
        lambda: service(
            actor=request.user,
            scorecard=card,
            version=int(version) if version.isdigit() else None,
            items=items,
            submit=submit,
            **{comment_field: request.POST.get(comment_field, "")},
        )
    )
    if result is not None:
        messages.success(request, _("Submitted.") if submit else _("Saved as a draft."))
        if submit:
            return redirect("performance:scorecard_detail", pk=card.pk)
        return redirect(request.path)
    errors = general + [m for v in keyed.values() for m in v]
    context = _card_context(request, _card(request, pk), form_errors=errors, posted=request.POST)
    return render_page(request, TEMPLATES + template, context, status=status)


def _may_self_evaluate(user, card: Scorecard) -> bool:
    return services.is_owner(user, card)


def _may_evaluate(user, card: Scorecard) -> bool:
    if services.is_owner(user, card):
        return False
    return services.can_evaluate(user, card)


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_self_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """The employee's self-evaluation: actuals of manual indicators, comments, evidence."""
    return _evaluation_page(
        request,
        pk,
        template="self_evaluation.html",
        allowed=_may_self_evaluate,
        service=services.scorecard_self_evaluation_save,
        names=("actual", "self_comment", "evidence"),
        comment_field="self_comment",
    )


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """The manager's evaluation: ratings, comments per item and overall, with the employee's
    self-evaluation and each item's thread in view."""
    return _evaluation_page(
        request,
        pk,
        template="evaluation.html",
        allowed=_may_evaluate,
        service=services.scorecard_evaluation_save,
        names=("rating", "manager_comment"),
        comment_field="manager_comment",
    )


@login_required
@require_http_methods(["POST"])
def item_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a message to an indicator's thread; for htmx, answers the thread."""
    item = access.get_object_or_404(
        ScorecardItem.objects.select_related("scorecard__plan", "scorecard__employee"),
        request.user,
        access.VIEW,
        pk=pk,
    )
    card = item.scorecard
    if not services.can_comment(request.user, card):
        raise PermissionDenied
    form = CommentForm(request.POST)
    status = 200
    if form.is_valid():
        _result, status, keyed, general = _run(
            lambda: services.item_comment_add(
                actor=request.user, item=item, body=form.cleaned_data["body"]
            )
        )
        for message in general + [m for v in keyed.values() for m in v]:
            form.add_error(None, message)
    else:
        status = INVALID
    if not is_htmx(request):
        if status == 200:
            messages.success(request, _("Your comment was added."))
        else:
            messages.error(request, " ".join(m for v in form.errors.values() for m in v))
        return redirect(
            reverse("performance:scorecard_detail", kwargs={"pk": card.pk}) + f"#item-{item.pk}"
        )
    view = next(
        v for v in selectors.card_items(user=request.user, card=card) if v.item.pk == item.pk
    )
    context = {
        "card": card,
        "view": view,
        "can_comment": True,
        "comment_form": CommentForm() if status == 200 else form,
    }
    return render_page(request, TEMPLATES + "_thread.html", context, status=status)
