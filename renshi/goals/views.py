"""Goal pages: my goals (with the chain each serves and the propose form), creating and editing a
goal, the goal's page (progress and pace with their trace, chain, children, target
suggestions, comments, workflow buttons), workflow steps, comments, the change log and the
SMART report of a map.

Views parse input, call selectors/services and render. Every queryset comes through the access
layer: a goal out of scope answers 404; a visible goal the user may not change answers 403.
Progress and pace come from ``selectors`` (the engine in ``progress``), SMART problems from
``smart``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.concurrency import ConflictError
from renshi.core.htmx import is_htmx, render_page
from renshi.core.selectors import audit_entries_for, audit_log_allowed, describe_entries
from renshi.org.scope import get_scope
from renshi.org.views import CONFLICT, INVALID, _submit

from . import selectors, services, smart
from .forms import ActualForm, CommentForm, GoalForm, ProposeForm, TransitionForm
from .models import Goal, GoalComment, StrategyMap, TargetSuggestion
from .permissions import is_map_editor

PAGE_SIZE = 50
DETAIL_RELATED = ("strategy_map", "parent", "perspective", "department", "owner", "created_by")


def _goal(request: HttpRequest, pk: int) -> Goal:
    return access.get_object_or_404(
        Goal.objects.select_related(*DETAIL_RELATED), request.user, pk=pk
    )


def _may_create(user: Any, level: str) -> bool:
    """Whether the user may create goals of this level at all (the service decides per goal):
    objectives — map editors; department goals and individual KPIs — map editors and people
    with a management scope (VPs, department heads)."""
    scope = get_scope(user)
    if is_map_editor(scope):
        return True
    if level == Goal.Level.COMPANY or scope.is_api_key or scope.employee_id is None:
        return False
    return bool(scope.department_ids)


def create_links(user: Any, goal: Goal) -> list[dict[str, str]]:
    """ "Add a goal below" links the user may follow: department goals under objectives and
    department goals, individual KPIs under department goals (and objectives)."""
    if goal.status == Goal.Status.CLOSED or goal.level == Goal.Level.INDIVIDUAL:
        return []
    base = reverse("goals:goal_create", kwargs={"map_pk": goal.strategy_map_id})
    links = []
    for level, label in (
        (Goal.Level.DEPARTMENT, _("Add a department goal")),
        (Goal.Level.INDIVIDUAL, _("Add an individual KPI")),
    ):
        if _may_create(user, level):
            links.append({"url": f"{base}?level={level}&parent={goal.pk}", "label": label})
    return links


# --- goal page ------------------------------------------------------------------------------------


def _comments(goal: Goal, user: Any):
    return list(
        access.restrict(GoalComment, user, access.VIEW)
        .filter(goal_id=goal.pk)
        .select_related("author")
        .order_by("created_at", "id")
    )


def _comments_context(request: HttpRequest, goal: Goal, form: CommentForm | None = None):
    user = request.user
    may_comment = services.can_comment(user, goal)
    return {
        "goal": goal,
        "comments": _comments(goal, user),
        "can_comment": may_comment,
        "comment_form": (form or CommentForm()) if may_comment else None,
    }


def _detail_context(request: HttpRequest, goal: Goal, **extra: Any) -> dict[str, Any]:
    user = request.user
    tree = selectors.tree_progress(user=user, strategy_map=goal.strategy_map)
    node = tree.nodes.get(goal.pk)
    chain = selectors.goal_chain(user=user, goal=goal)
    suggestions = list(
        access.restrict(TargetSuggestion, user, access.VIEW)
        .filter(goal_id=goal.pk)
        .select_related("created_by", "decided_by")
        .order_by("-created_at", "-id")[:20]
    )
    context = {
        "goal": goal,
        "strategy_map": goal.strategy_map,
        "node": node,
        "chain": [(g, tree.nodes.get(g.pk)) for g in chain[:-1]],
        "children": node.children if node else [],
        "today": tree.today,
        "problems": smart.goal_problems(goal, user=user),
        "suggestions": suggestions,
        "actions": services.available_actions(actor=user, goal=goal),
        "can_edit": services.can_edit(user, goal),
        "can_record_actual": services.can_record_actual(user, goal),
        "can_suggest": access.can(user, access.CHANGE, goal),
        "can_see_changes": audit_log_allowed(user),
        "create_links": create_links(user, goal),
        **_comments_context(request, goal),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET"])
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    return render_page(request, "goals/goal_detail.html", _detail_context(request, goal))


@login_required
@require_http_methods(["POST"])
def goal_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """One workflow step (action=approve|return|resubmit|close, reason, version). An illegal or
    replayed step answers 409 with the goal page and its error; nothing changes."""
    user = request.user
    goal = _goal(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        error, status = _("Unknown step."), INVALID
    else:
        data = form.cleaned_data
        try:
            result = services.goal_transition(
                actor=user,
                goal=goal,
                action=data["action"],
                version=data.get("version"),
                reason=data.get("reason") or "",
            )
        except services.TransitionError as exc:
            error, status = " ".join(exc.messages), CONFLICT
        except ConflictError as exc:
            error, status = str(exc), CONFLICT
        except ValidationError as exc:
            error, status = " ".join(exc.messages), INVALID
        else:
            messages.success(request, STEP_DONE[data["action"]] % {"title": result.title})
            return redirect(result)
    goal = _goal(request, pk)
    context = _detail_context(request, goal, transition_error=error)
    return render(request, "goals/goal_detail.html", context, status=status)


STEP_DONE = {
    "approve": gettext_lazy("“%(title)s” was approved."),
    "return": gettext_lazy("“%(title)s” was returned to its owner."),
    "resubmit": gettext_lazy("“%(title)s” was submitted again."),
    "close": gettext_lazy("“%(title)s” was closed."),
}


@login_required
@require_http_methods(["POST"])
def goal_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment (the owner, or someone who may change the goal). For htmx, answers the
    comments block."""
    user = request.user
    goal = _goal(request, pk)
    if not services.can_comment(user, goal):
        raise PermissionDenied
    form = CommentForm(request.POST)
    comment, status = _submit(
        form, lambda: services.comment_add(actor=user, goal=goal, body=form.cleaned_data["body"])
    )
    if comment is not None and not is_htmx(request):
        messages.success(request, _("Your comment was added."))
        return redirect(goal.get_absolute_url() + "#comments")
    if is_htmx(request):
        context = _comments_context(request, goal, None if comment else form)
        return render_page(
            request, "goals/goal_detail.html", context, partial="comments", status=status
        )
    context = _detail_context(request, goal, comment_form=form)
    return render(request, "goals/goal_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def goal_changes(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    goal = _goal(request, pk)
    if not audit_log_allowed(user):
        raise PermissionDenied
    page = Paginator(
        audit_entries_for(goal, user).select_related("content_type"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = describe_entries(list(page.object_list), Goal, user)
    context = {"goal": goal, "page_obj": page, "rows": rows}
    return render_page(request, "goals/goal_changes.html", context, partial="results")


# --- create and edit ------------------------------------------------------------------------------


OUT_OF_REACH = gettext_lazy(
    "You could not edit this goal once created (its department or owner is outside your scope, "
    "or it would be your own): choose another department or owner."
)


def _form_page(request, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "goals/goal_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, map_pk: int) -> HttpResponse:
    """New goal in a map: ``?level=company|department|individual&parent=<id>``."""
    user = request.user
    strategy_map = access.get_object_or_404(StrategyMap, user, pk=map_pk)
    level = request.GET.get("level") or Goal.Level.DEPARTMENT
    if level not in Goal.Level.values:
        raise Http404
    if not _may_create(user, level):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        initial["parent"] = int(parent_id)
    form = GoalForm(
        request.POST or None,
        user=user,
        strategy_map=strategy_map,
        level=level,
        initial=initial or None,
    )
    context = {"form": form, "strategy_map": strategy_map, "level": level, "goal": None}
    if request.method == "POST":

        def create() -> Goal:
            try:
                return services.goal_create(
                    actor=user, strategy_map=strategy_map, level=level, **form.service_data()
                )
            except PermissionDenied as exc:  # e.g. a head naming themselves: nothing saved
                raise ValidationError(OUT_OF_REACH) from exc

        goal, status = _submit(form, create)
        if goal is not None:
            messages.success(request, _("Goal “%(title)s” was created.") % {"title": goal.title})
            return redirect(goal)
        return _form_page(request, context, status)
    return _form_page(request, context)


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a goal (its editors; the owner while it is their proposal). ``part=actual`` records
    the actual instead (editors, and the owner of an active goal no metric feeds)."""
    user = request.user
    goal = _goal(request, pk)
    part = request.POST.get("part") or request.GET.get("part") or "goal"
    may_edit = services.can_edit(user, goal)
    if part != "actual" and not may_edit:
        if request.method == "POST":  # never switch a submitted edit into another form
            raise PermissionDenied
        part = "actual"
    if part == "actual" and not services.can_record_actual(user, goal):
        raise PermissionDenied
    problems = smart.goal_problems(goal, user=user)
    if part == "actual":
        form: Any = ActualForm(request.POST or None, goal=goal)
        save = lambda: services.goal_record_actual(  # noqa: E731
            actor=user,
            goal=goal,
            actual=form.cleaned_data.get("actual"),
            version=form.cleaned_data.get("version"),
        )
        done = _("The actual of “%(title)s” was recorded.")
    else:
        form = GoalForm(
            request.POST or None,
            user=user,
            strategy_map=goal.strategy_map,
            level=goal.level,
            goal=goal,
            owner_editing=not access.can(user, access.CHANGE, goal),
        )
        save = lambda: services.goal_update(  # noqa: E731
            actor=user, goal=goal, version=form.cleaned_data.get("version"), **form.service_data()
        )
        done = _("Goal “%(title)s” was saved.")
    context = {
        "form": form,
        "strategy_map": goal.strategy_map,
        "level": goal.level,
        "goal": goal,
        "part": part,
        "problems": problems,
    }
    if request.method == "POST":
        saved, status = _submit(form, save)
        if saved is not None:
            messages.success(request, done % {"title": saved.title})
            return redirect(saved)
        return _form_page(request, context, status)
    return _form_page(request, context)


# --- my goals ---------------------------------------------------------------------------------------


def _my_goal_rows(user: Any, goals: list[Goal]) -> list[dict[str, Any]]:
    """Each own goal with the chain it serves (top objective first), every link with its
    progress and pace. Queries: one for the chains, two per map (thresholds and goals)."""
    chains = selectors.goal_chains(user=user, goals=goals)
    trees: dict[int, selectors.GoalTree] = {}
    rows = []
    for goal in goals:
        tree = trees.get(goal.strategy_map_id)
        if tree is None:
            tree = selectors.tree_progress(user=user, strategy_map=goal.strategy_map)
            trees[goal.strategy_map_id] = tree
        chain = chains.get(goal.pk, [goal])
        rows.append(
            {
                "goal": goal,
                "node": tree.nodes.get(goal.pk),
                "chain": [(g, tree.nodes.get(g.pk)) for g in chain[:-1]],
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def my_goals(request: HttpRequest) -> HttpResponse:
    """The user's own goals, each under the chain of goals it serves, and the form to propose
    a key result of their own (POST)."""
    user = request.user
    access.require_perm(user, "goals.view")
    scope = get_scope(user)
    form = ProposeForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        proposed, status = _submit(
            form, lambda: services.goal_propose(actor=user, **form.service_data())
        )
        if proposed is not None:
            messages.success(
                request,
                _("Your key result “%(title)s” was proposed; your manager approves it.")
                % {"title": proposed.title},
            )
            return redirect("goals:my_goals")
    goals = list(
        access.restrict(Goal, user, access.VIEW)
        .filter(owner_id=scope.employee_id)
        .select_related("strategy_map", "department")
        .order_by("-strategy_map__period_start", "strategy_map_id", "level", "id")
    )
    rows = _my_goal_rows(user, goals)
    groups: list[dict[str, Any]] = []
    for row in rows:
        smap = row["goal"].strategy_map
        if not groups or groups[-1]["strategy_map"].pk != smap.pk:
            groups.append({"strategy_map": smap, "rows": []})
        groups[-1]["rows"].append(row)
    context = {"groups": groups, "form": form, "has_goals": bool(rows)}
    return render(request, "goals/my_goals.html", context, status=status)


# --- SMART report -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def smart_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Every goal of a map with SMART problems (performance manager, GM, HR VP)."""
    user = request.user
    access.require_perm(user, "goals.smart_report")
    strategy_map = access.get_object_or_404(StrategyMap, user, pk=pk)
    rows = smart.smart_report(strategy_map=strategy_map, user=user)
    counts = dict.fromkeys(smart.CRITERIA, 0)
    for row in rows:
        for problem in row.problems:
            counts[problem.criterion] += 1
    context = {
        "strategy_map": strategy_map,
        "rows": rows,
        "criteria": [
            {"key": c, "label": smart.CRITERION_LABELS[c], "count": counts[c]}
            for c in smart.CRITERIA
        ],
    }
    return render(request, "goals/smart_report.html", context)
