"""Permission-matrix rows of the strategy map pages (renshi/goals/views_map.py).

The matrix runs on ``world`` only; rows that need the seeds' map build it inside the role's
rolled-back transaction (``_map``: found if ``state`` built it already). Reading the rows:
everyone in acme reads maps, trees and thresholds; GM and the performance manager (绩效主管)
edit; other_gm (GM of another company) gets 404 for acme's map and may create their own.
"""

from __future__ import annotations

from renshi.goals.models import CauseEffectLink, PaceSettings, Perspective, StrategyMap
from renshi.goals.testing import build_goal_world
from tests.matrix_support import Row, expect

MAP_NAME = "2026 战略"
PEOPLE_OK = expect(200, anon=302)
ACME_OK = expect(200, anon=302, other_gm=404)
EDITORS_GET = expect(403, anon=302, gm=200, perf=200, other_gm=404)
EDITORS_POST = expect(403, anon=302, gm=302, perf=302, other_gm=404)


def _map(w) -> StrategyMap:
    smap = StrategyMap.objects.filter(company=w.company, name=MAP_NAME).first()
    if smap is None:
        smap = build_goal_world(w).strategy_map
    return smap


def _map_pk(w):
    return {"pk": _map(w).pk}


def _map_state(w):
    smap = _map(w)
    smap.refresh_from_db()
    return (
        smap.name,
        smap.version,
        tuple(Perspective.objects.filter(strategy_map=smap).values_list("name", flat=True)),
        CauseEffectLink.objects.filter(strategy_map=smap).count(),
    )


def _maps_state(w):
    return tuple(StrategyMap.objects.filter(company=w.company).values_list("name", flat=True))


def _rename_post(w):
    lane = Perspective.objects.get(strategy_map=_map(w), key="financial")
    return {"action": "rename", "perspective": lane.pk, "name": "财务维度"}


def _pace_state(w):
    return tuple(PaceSettings.objects.values_list("company_id", "on_track", "at_risk"))


ROWS = [
    Row("goals:map_list", PEOPLE_OK),
    Row("goals:map_create", expect(403, anon=302, gm=200, perf=200, other_gm=200)),
    Row(
        "goals:map_create",
        expect(403, anon=302, gm=302, perf=302, other_gm=302),
        method="POST",
        data=lambda w: {
            "name": "2027 战略",
            "mode": "bsc",
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
        },
        state=_maps_state,
        note="other_gm creates in their own company (acme's list unchanged)",
    ),
    Row("goals:map_detail", ACME_OK, kwargs=_map_pk),
    Row("goals:map_edit", EDITORS_GET, kwargs=_map_pk),
    Row(
        "goals:map_edit",
        EDITORS_POST,
        kwargs=_map_pk,
        method="POST",
        data=_rename_post,
        state=_map_state,
    ),
    Row("goals:tree", ACME_OK, kwargs=_map_pk),
    Row("goals:tree", ACME_OK, kwargs=_map_pk, query="?department=", note="empty filter"),
    Row("goals:pace_settings", PEOPLE_OK),
    Row(
        "goals:pace_settings",
        expect(403, anon=302, gm=302, perf=302, other_gm=302),
        method="POST",
        data=lambda w: {"on_track": "0.95", "at_risk": "0.75"},
        state=_pace_state,
    ),
]
