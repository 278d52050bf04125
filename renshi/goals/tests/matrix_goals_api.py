"""Permission-matrix rows of the goals API (/api/v1/strategy-maps/, /api/v1/goals/…).

The matrix builds only ``world``; the seeds' strategy (renshi.goals.testing) is built lazily
inside each role's rolled-back savepoint by ``goal_world_of``. API calls by anonymous
callers answer 401. kpi_east (emp_east's KPI) is seen by whoever may see emp_east and edited by
GM, performance manager, vp1, head_sales and head_east (never by its owner).
"""

from __future__ import annotations

from tests.matrix_support import Row, expect

ANON = 401
SEES_KPI_EAST = ("gm", "hrvp", "perf", "vp1", "head_sales", "head_east", "emp_east")
EDITS_KPI_EAST = ("gm", "perf", "vp1", "head_sales", "head_east")
# visible to these but not editable by them → 403; everyone else of acme and other_gm → 404
VIEWS_ONLY_KPI_EAST = ("hrvp", "emp_east")


def goal_world_of(world):
    """The seeds' strategy map of acme, built once per savepoint."""
    from renshi.goals.models import StrategyMap
    from renshi.goals.testing import build_goal_world

    cached = world.__dict__.get("_goal_world")
    if cached is not None and StrategyMap.objects.filter(pk=cached.strategy_map.pk).exists():
        return cached
    gw = build_goal_world(world)
    world.__dict__["_goal_world"] = gw
    return gw


def pending_suggestion(world):
    """A pending suggestion on kpi_east (gm suggested it), created inside the savepoint."""
    from renshi.goals.models import TargetSuggestion
    from renshi.goals.services_targets import target_suggest

    gw = goal_world_of(world)
    found = TargetSuggestion.objects.filter(goal=gw.kpi_east).first()
    if found is not None:
        return found
    return target_suggest(
        actor=world.users["gm"],
        goal=gw.kpi_east,
        method="share",
        inputs={"parent_target": "18", "people": "6", "per": "month", "places": "0"},
    )


def kpi_east_state(world):
    from renshi.goals.models import Goal, TargetSuggestion

    gw = goal_world_of(world)
    goal = Goal.objects.filter(pk=gw.kpi_east.pk).values_list("title", "target", "version")
    suggestions = TargetSuggestion.objects.filter(goal_id=gw.kpi_east.pk).values_list(
        "decision", "chosen_value", "reason"
    )
    return (tuple(goal), tuple(suggestions))


def decide_state(world):
    pending_suggestion(world)
    return kpi_east_state(world)


def goal_count(world):
    from renshi.goals.models import Goal

    goal_world_of(world)
    return Goal.objects.count()


def _kpi(world):
    return {"pk": goal_world_of(world).kpi_east.pk}


def _suggestion_kwargs(world):
    s = pending_suggestion(world)
    return {"goal_pk": s.goal_id, "pk": s.pk}


DECIDE = expect(
    404,
    anon=ANON,
    **dict.fromkeys(EDITS_KPI_EAST, 200),
    **dict.fromkeys(VIEWS_ONLY_KPI_EAST, 403),
)

ROWS = [
    # --- strategy maps ------------------------------------------------------------------
    Row("api:strategy-maps-list", expect(200, anon=ANON)),
    Row(
        "api:strategy-maps-detail",
        expect(200, anon=ANON, other_gm=404),
        kwargs=lambda w: {"pk": goal_world_of(w).strategy_map.pk},
    ),
    # --- goals --------------------------------------------------------------------------
    Row("api:goals-list", expect(200, anon=ANON), kwargs=lambda w: (goal_world_of(w), {})[1]),
    Row(
        "api:goals-list",
        expect(200, anon=ANON),
        query="?level=individual",
        kwargs=lambda w: (goal_world_of(w), {})[1],
    ),
    Row(
        "api:goals-detail",
        expect(404, anon=ANON, **dict.fromkeys(SEES_KPI_EAST, 200)),
        kwargs=_kpi,
    ),
    Row(
        "api:goals-detail",
        expect(200, anon=ANON, other_gm=404),
        kwargs=lambda w: {"pk": goal_world_of(w).dg_sales.pk},
        note="department goals: everyone of the company",
    ),
    Row(
        "api:goals-detail",
        expect(
            404,
            anon=ANON,
            **dict.fromkeys(EDITS_KPI_EAST, 200),
            **dict.fromkeys(VIEWS_ONLY_KPI_EAST, 403),
        ),
        kwargs=_kpi,
        method="PATCH",
        json=True,
        data=lambda w: {"version": 1, "title": "矩阵改名"},
        state=kpi_east_state,
    ),
    Row(
        "api:goals-list",
        # ids outside the caller's scope do not resolve (400); visible but not allowed: 403
        expect(
            400,
            anon=ANON,
            **dict.fromkeys(EDITS_KPI_EAST, 201),
            **dict.fromkeys(VIEWS_ONLY_KPI_EAST, 403),
        ),
        method="POST",
        json=True,
        data=lambda w: {
            "strategy_map": goal_world_of(w).strategy_map.pk,
            "level": "individual",
            "title": "矩阵KPI",
            "parent": goal_world_of(w).dg_sales.pk,
            "owner": w.emp_east.pk,
            "target": "5",
        },
        state=goal_count,
    ),
    Row(
        "api:goals-tree",
        expect(200, anon=ANON, other_gm=404),
        kwargs=lambda w: (goal_world_of(w), {})[1],
        note="without ?map= the latest map; other_gm's company has none",
    ),
    # --- target suggestions -------------------------------------------------------------
    Row(
        "api:goals-target-suggestions",
        expect(404, anon=ANON, **dict.fromkeys(SEES_KPI_EAST, 200)),
        kwargs=lambda w: (pending_suggestion(w), _kpi(w))[1],
    ),
    Row(
        "api:goals-target-suggestions",
        expect(
            404,
            anon=ANON,
            **dict.fromkeys(EDITS_KPI_EAST, 201),
            **dict.fromkeys(VIEWS_ONLY_KPI_EAST, 403),
        ),
        kwargs=_kpi,
        method="POST",
        json=True,
        data=lambda w: {
            "method": "pipeline",
            "inputs": {"prospects": "100", "conversion": "30", "per": "month"},
        },
        state=kpi_east_state,
    ),
    Row(
        "api:goals-target-suggestion-accept",
        DECIDE,
        kwargs=_suggestion_kwargs,
        method="POST",
        json=True,
        data=lambda w: {"goal_version": 1},
        state=decide_state,
    ),
    Row(
        "api:goals-target-suggestion-override",
        DECIDE,
        kwargs=_suggestion_kwargs,
        method="POST",
        json=True,
        data=lambda w: {"goal_version": 1, "value": "2", "reason": "矩阵理由"},
        state=decide_state,
    ),
]


def _goal_count(w):
    from renshi.goals.models import Goal

    goal_world_of(w)  # built before the "before" snapshot
    return Goal.objects.count()


def _proposal(w):
    gw = goal_world_of(w)
    return {"strategy_map": gw.strategy_map.pk, "parent": gw.obj_revenue.pk, "title": "矩阵提议"}


# everyone of acme may propose their own key result; another company's ids are a 400
ROWS.append(
    Row(
        "api:goals-propose",
        expect(201, anon=ANON, other_gm=400),
        method="POST",
        json=True,
        data=_proposal,
        state=_goal_count,
    )
)
