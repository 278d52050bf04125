"""The performance lists (library, my scorecards, my team, results, appeals, 360 home) cost the
same number of queries with one plan or three."""

from __future__ import annotations

import pytest

from renshi.performance.models import Appeal, IndicatorTemplate, Plan, Scorecard
from renshi.performance.testing import build_plan_world
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

PAGES = {
    "perf": [
        "/performance/library/",
        "/performance/results/",
        "/performance/results/appeals/",
    ],
    "head_east": ["/performance/team/", "/performance/results/"],
    "emp_east": [
        "/performance/scorecards/mine/",
        "/performance/results/mine/",
        "/performance/360/",
    ],
}


def _cycle(world, n: int) -> None:
    pw = build_plan_world(
        world, plan_status=Plan.Status.PUBLISHED, card_status=Scorecard.Status.PUBLISHED
    )
    Plan.objects.filter(pk=pw.plan.pk).update(name=f"2026Q{n} 绩效")
    Appeal.objects.create(
        company=world.company, scorecard=pw.cards["emp_east"], reason=f"申诉 {n}",
        raised_by=world.users["emp_east"],
    )  # fmt: skip
    IndicatorTemplate.objects.create(
        company=world.company, name=f"指标 {n}", category="results", rule={"kind": "ratio"}
    )


def test_performance_lists_queries_do_not_grow(world, client_for):
    _cycle(world, 1)
    clients = {key: client_for(key) for key in PAGES}
    before = {(k, u): queries(clients[k], u) for k, urls in PAGES.items() for u in urls}
    _cycle(world, 2)
    _cycle(world, 3)
    after = {(k, u): queries(clients[k], u) for k, urls in PAGES.items() for u in urls}
    assert after == before
