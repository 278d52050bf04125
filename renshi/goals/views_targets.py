"""Target suggestion pages: compute a suggested target for one goal (three methods), list the
earlier suggestions with their derivations and decisions, accept or override (with a reason).

Viewers of the goal read the page; only people who may change the goal compute and decide
(403 for the others, 404 out of scope). The services re-check inside their transaction.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.org.forms import apply_validation_error

from . import services_targets
from .forms_targets import METHOD_FORMS, DecideForm
from .models import Goal, TargetSuggestion

INVALID = 422
CONFLICT = 409


def _goal(user, pk) -> Goal:
    queryset = Goal.objects.select_related("owner", "department", "strategy_map")
    return access.get_object_or_404(queryset, user, access.VIEW, pk=pk)


def _may_change(user, goal: Goal) -> bool:
    return goal.status != Goal.Status.CLOSED and access.can(user, access.CHANGE, goal)


def _page(
    request,
    goal: Goal,
    *,
    forms=None,
    active: str | None = None,
    decide_errors: tuple[int, DecideForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    forms = forms or {}
    method_forms = [
        forms.get(method) or (form_cls(goal=goal) if method == "history" else form_cls())
        for method, form_cls in METHOD_FORMS.items()
    ]
    suggestions = (
        access.restrict(TargetSuggestion, user)
        .filter(goal_id=goal.pk)
        .select_related("created_by", "decided_by")
        .order_by("-created_at", "-id")[:50]
    )
    context = {
        "goal": goal,
        "can_change": _may_change(user, goal),
        "method_forms": method_forms,
        "active": active or "share",
        "suggestions": suggestions,
        "decide_errors": decide_errors,
    }
    return render(request, "goals/target_suggest.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def target_suggest(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request.user, pk)
    if request.method == "GET":
        return _page(request, goal)
    if not _may_change(request.user, goal):
        raise PermissionDenied
    method = request.POST.get("method", "")
    form_cls = METHOD_FORMS.get(method)
    if form_cls is None:
        messages.error(request, _("Choose a method."))
        return _page(request, goal, status=INVALID)
    kwargs = {"goal": goal} if method == "history" else {}
    form = form_cls(request.POST, **kwargs)
    if form.is_valid():
        try:
            suggestion = services_targets.target_suggest(
                actor=request.user, goal=goal, method=method, inputs=form.inputs()
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Suggested target: %(value)s. Check the derivation, then accept or override.")
                % {"value": suggestion.value.normalize()},
            )
            return redirect(f"{goal_url(goal)}#suggestion-{suggestion.pk}")
    return _page(request, goal, forms={method: form}, active=method, status=INVALID)


def goal_url(goal: Goal) -> str:
    return reverse("goals:target_suggest", kwargs={"pk": goal.pk})


@login_required
@require_POST
def target_decide(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = TargetSuggestion.objects.select_related("goal")
    suggestion = access.get_object_or_404(queryset, request.user, access.VIEW, pk=pk)
    access.ensure(request.user, access.CHANGE, suggestion.goal)
    form = DecideForm(request.POST)
    status = INVALID
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == DecideForm.ACCEPT:
                services_targets.target_accept(
                    actor=request.user, suggestion=suggestion, goal_version=data["goal_version"]
                )
                messages.success(request, _("The suggested target was accepted."))
            else:
                services_targets.target_override(
                    actor=request.user,
                    suggestion=suggestion,
                    value=data["value"],
                    reason=data["reason"],
                    goal_version=data["goal_version"],
                )
                messages.success(request, _("The target was set; your reason is recorded."))
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status = CONFLICT
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect(f"{goal_url(suggestion.goal)}#suggestion-{suggestion.pk}")
    goal = _goal(request.user, suggestion.goal_id)
    return _page(request, goal, decide_errors=(suggestion.pk, form), status=status)
