"""Permission-matrix rows of the target-suggestion pages (goals:target_suggest,
goals:target_decide). Viewers of the goal read; its editors compute and decide (302 back to
the page); visible but not editable → 403; out of scope → 404; anonymous → login."""

from __future__ import annotations

from renshi.goals.tests.matrix_goals_api import (
    EDITS_KPI_EAST,
    SEES_KPI_EAST,
    VIEWS_ONLY_KPI_EAST,
    decide_state,
    goal_world_of,
    kpi_east_state,
    pending_suggestion,
)
from tests.matrix_support import Row, expect

WRITE = expect(
    404,
    anon=302,
    **dict.fromkeys(EDITS_KPI_EAST, 302),
    **dict.fromkeys(VIEWS_ONLY_KPI_EAST, 403),
)


def _kpi(world):
    return {"pk": goal_world_of(world).kpi_east.pk}


def _suggestion(world):
    return {"pk": pending_suggestion(world).pk}


ROWS = [
    Row(
        "goals:target_suggest",
        expect(404, anon=302, **dict.fromkeys(SEES_KPI_EAST, 200)),
        kwargs=lambda w: (pending_suggestion(w), _kpi(w))[1],
    ),
    Row(
        "goals:target_suggest",
        expect(200, anon=302, other_gm=404),
        kwargs=lambda w: {"pk": goal_world_of(w).dg_sales.pk},
        note="department goals: everyone of the company reads",
    ),
    Row(
        "goals:target_suggest",
        WRITE,
        kwargs=_kpi,
        method="POST",
        data=lambda w: {
            "method": "share",
            "share-parent_target": "18",
            "share-people": "6",
            "share-period": "quarter",
            "share-per": "month",
            "share-places": "0",
        },
        state=kpi_east_state,
    ),
    Row(
        "goals:target_decide",
        WRITE,
        kwargs=_suggestion,
        method="POST",
        data=lambda w: {"decision": "accept", "goal_version": "1"},
        state=decide_state,
    ),
    Row(
        "goals:target_decide",
        WRITE,
        kwargs=_suggestion,
        method="POST",
        data=lambda w: {
            "decision": "override",
            "goal_version": "1",
            "value": "2",
            "reason": "矩阵理由",
        },
        state=decide_state,
    ),
]
