"""Strategy map pages: the list of maps, creating and editing a map (lanes, arrows, key success
factors), the map itself, the alignment tree and the pace thresholds.

Views parse input, call selectors/services and render. Every queryset comes through the access
layer: another company's map answers 404; editing without the right answers 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.htmx import render_page
from renshi.org.views import _submit

from . import selectors, services_map
from .forms_map import (
    LinkDeleteForm,
    LinkForm,
    PaceSettingsForm,
    PerspectiveRenameForm,
    StrategyMapForm,
    SuccessFactorDeleteForm,
    SuccessFactorForm,
    TreeFilterForm,
)
from .models import Goal, StrategyMap
from .progress import PACE_COLOURS, PACE_LABELS

# --- maps ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def map_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "goals.view")
    context = {
        "maps": selectors.map_list(user=user),
        "can_create": access.has_perm(user, "goals.manage_map"),
    }
    return render(request, "goals/map_list.html", context)


def _map_form_page(request, form, strategy_map, status=200, extra=None) -> HttpResponse:
    context = {"form": form, "strategy_map": strategy_map, **(extra or {})}
    return render(request, "goals/map_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def map_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_perm(user, "goals.manage_map")
    form = StrategyMapForm(request.POST or None)
    if request.method == "POST":
        created, status = _submit(
            form,
            lambda: services_map.strategy_map_create(actor=user, **form.service_data()),
        )
        if created is not None:
            messages.success(request, _("Strategy map %(name)s was created.") % {"name": created})
            return redirect(created)
        return _map_form_page(request, form, None, status)
    return _map_form_page(request, form, None)


def _chart_data(board: selectors.MapBoard) -> dict[str, Any]:
    """Nodes and arrows for the ECharts graph (map.js); positions follow the lanes."""
    nodes = []
    for row, lane in enumerate(board.lanes):
        for col, card in enumerate(lane.cards):
            nodes.append(
                {
                    "id": str(card.pk),
                    "name": card.goal.title,
                    "x": col * 260 + (row % 2) * 40,
                    "y": row * 140,
                    "lane": str(lane.perspective) if lane.perspective else "",
                    "progress": card.progress.percent,
                    "pace": str(PACE_LABELS[card.pace.status]),
                    "status": card.pace.status,
                    "url": card.goal.get_absolute_url(),
                }
            )
    links = [{"source": str(link.cause_id), "target": str(link.effect_id)} for link in board.links]
    return {"nodes": nodes, "links": links}


@login_required
@require_http_methods(["GET"])
def map_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    strategy_map = access.get_object_or_404(StrategyMap, user, pk=pk)
    board = selectors.map_board(user=user, strategy_map=strategy_map)
    can_edit = access.can(user, access.CHANGE, strategy_map)
    context = {
        "strategy_map": strategy_map,
        "board": board,
        "chart": _chart_data(board),
        "can_edit": can_edit,
        "can_smart_report": access.has_perm(user, "goals.smart_report"),
        "is_bsc": strategy_map.mode == StrategyMap.Mode.BSC,
        "add_objective_url": _goal_create_url(strategy_map) if can_edit else None,
        "pace_labels": PACE_LABELS,
    }
    return render(request, "goals/map_detail.html", context)


def _goal_create_url(strategy_map: StrategyMap) -> str | None:
    return reverse("goals:goal_create", kwargs={"map_pk": strategy_map.pk}) + "?level=company"


EDIT_ACTIONS = ("map", "rename", "link_add", "link_delete", "factor_add", "factor_delete")


@login_required
@require_http_methods(["GET", "POST"])
def map_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One page, several small forms (``action``): the map's fields, lane names, arrows and key
    success factors. GM and performance manager only."""
    user = request.user
    strategy_map = access.get_object_or_404(StrategyMap, user, pk=pk)
    access.ensure(user, access.CHANGE, strategy_map)
    action = request.POST.get("action", "map") if request.method == "POST" else None
    kwargs = {"user": user, "strategy_map": strategy_map}

    def bound(name: str, form_class, **extra):
        data = request.POST if action == name else None
        return form_class(data, **extra)

    forms = {
        "map": bound("map", StrategyMapForm, instance=strategy_map),
        "rename": bound("rename", PerspectiveRenameForm, **kwargs),
        "link_add": bound("link_add", LinkForm, **kwargs),
        "link_delete": bound("link_delete", LinkDeleteForm, **kwargs),
        "factor_add": bound("factor_add", SuccessFactorForm, **kwargs),
        "factor_delete": bound("factor_delete", SuccessFactorDeleteForm, **kwargs),
    }
    status = 200
    if action is not None:
        if action not in EDIT_ACTIONS:
            action = "map"
        form = forms[action]
        saves = {
            "map": lambda: services_map.strategy_map_update(
                actor=user,
                strategy_map=strategy_map,
                version=form.cleaned_data.get("version"),
                **form.service_data(),
            ),
            "rename": lambda: services_map.perspective_rename(
                actor=user,
                perspective=form.cleaned_data["perspective"],
                name=form.cleaned_data["name"],
            ),
            "link_add": lambda: services_map.link_create(
                actor=user,
                strategy_map=strategy_map,
                cause=form.cleaned_data["cause"],
                effect=form.cleaned_data["effect"],
            ),
            "link_delete": lambda: (
                services_map.link_delete(actor=user, link=form.cleaned_data["link"]) or True
            ),
            "factor_add": lambda: services_map.success_factor_add(
                actor=user, goal=form.cleaned_data["goal"], text=form.cleaned_data["text"]
            ),
            "factor_delete": lambda: (
                services_map.success_factor_delete(actor=user, factor=form.cleaned_data["factor"])
                or True
            ),
        }
        saved, status = _submit(form, saves[action])
        if saved is not None:
            messages.success(request, _("The strategy map was saved."))
            return redirect("goals:map_edit", pk=strategy_map.pk)
    context = {
        "strategy_map": strategy_map,
        "forms": forms,
        "perspectives": selectors.map_perspectives(user=user, strategy_map=strategy_map),
        "board": selectors.map_board(user=user, strategy_map=strategy_map),
        "add_objective_url": _goal_create_url(strategy_map),
        "is_bsc": strategy_map.mode == StrategyMap.Mode.BSC,
    }
    return render(request, "goals/map_edit.html", context, status=status)


# --- alignment tree -------------------------------------------------------------------------

TREE_FULL_LIMIT = 500  # up to this many visible goals the tree opens completely


@login_required
@require_http_methods(["GET"])
def alignment_tree(request: HttpRequest, pk: int) -> HttpResponse:
    """Company → departments → people, each node with owner, progress and pace colour.
    ``?department=`` filters (within scope; an invalid one is a form error and no rows),
    ``?root=<goal id>`` drills down to one goal's subtree (also served as an htmx partial)."""
    user = request.user
    strategy_map = access.get_object_or_404(StrategyMap, user, pk=pk)
    form = TreeFilterForm(request.GET or None, user=user)
    tree = None
    root_goal = None
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        root_id = data.get("root")
        tree = selectors.tree_progress(
            user=user, strategy_map=strategy_map, root=root_id, department=data.get("department")
        )
        if root_id is not None:
            root_node = tree.nodes.get(root_id)
            if root_node is None:
                form.add_error("root", _("This goal is not in the tree."))
                tree = None
            else:
                root_goal = root_node.goal
    context = {
        "strategy_map": strategy_map,
        "form": form,
        "tree": tree,
        "roots": tree.roots if tree else [],
        # a big tree opens two levels; deeper branches load on demand (htmx / ?root=)
        "expand_depth": None if tree is None or len(tree.nodes) <= TREE_FULL_LIMIT else 1,
        "root_goal": root_goal,
        "pace_colours": PACE_COLOURS,
        "levels": dict(Goal.Level.choices),
    }
    return render_page(request, "goals/tree.html", context, partial="tree")


# --- pace thresholds -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pace_settings(request: HttpRequest) -> HttpResponse:
    """Everyone in the company reads the thresholds (they explain the pace colours); GM and the
    performance manager change them."""
    user = request.user
    access.require_perm(user, "goals.view")
    can_edit = access.has_perm(user, "goals.manage_map")
    settings = selectors.pace_settings_for(user=user)
    if request.method == "POST":
        access.require_perm(user, "goals.manage_map")
    form = PaceSettingsForm(request.POST or None, settings=settings)
    status = 200
    if request.method == "POST":
        saved, status = _submit(
            form,
            lambda: services_map.pace_settings_update(
                actor=user,
                on_track=form.cleaned_data["on_track"],
                at_risk=form.cleaned_data["at_risk"],
                version=form.cleaned_data.get("version"),
            ),
        )
        if saved is not None:
            messages.success(request, _("The pace thresholds were saved."))
            return redirect("goals:pace_settings")
    on_track, at_risk = selectors.pace_thresholds(user=user)
    context = {"form": form, "can_edit": can_edit, "on_track": on_track, "at_risk": at_risk}
    return render(request, "goals/pace_settings.html", context, status=status)
