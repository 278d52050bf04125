"""The SMART check: one case per criterion, history from earlier maps, and the report."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renshi.goals import services, smart
from renshi.goals.models import Goal, StrategyMap
from renshi.goals.smart import HistoryPoint

pytestmark = pytest.mark.django_db

D = Decimal
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def make(**overrides) -> Goal:
    """An unsaved, SMART-clean department goal (parent_id set), changed by ``overrides``."""
    data = {
        "level": Goal.Level.DEPARTMENT,
        "parent_id": 1,
        "title": "销售部营收",
        "measure": "营收",
        "unit": "万元",
        "direction": Goal.Direction.HIGHER,
        "baseline": D(50),
        "target": D(80),
        "start_date": START,
        "deadline": END,
    }
    data.update(overrides)
    return Goal(**data)


def codes(goal, history=()):
    return [
        p.code for p in smart.check_goal(goal, period_start=START, period_end=END, history=history)
    ]


def test_a_clean_goal_has_no_problems():
    assert codes(make()) == []


def test_seed_goals_pass(world, goal_world):
    for key in ("kpi_east", "dg_sales", "obj_revenue", "dg_downtime"):
        assert smart.goal_problems(goal_world.goals[key], user=world.users["perf"]) == [], key


def test_specific():
    assert codes(make(title=" ", measure="")) == ["title_missing", "measure_missing"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"target": None}, ["target_missing"]),
        ({"unit": ""}, ["unit_missing"]),
        ({"direction": "range", "range_low": D(1), "range_high": None}, ["range_incomplete"]),
        ({"direction": "range", "range_low": D(5), "range_high": D(1)}, ["range_inverted"]),
        ({"direction": "lower", "baseline": None, "target": D(1)}, ["baseline_missing"]),
        ({"target": D(50)}, ["target_equals_baseline"]),
        ({"target": D(40)}, ["target_behind_baseline"]),
        ({"direction": "lower", "baseline": D(2), "target": D(3)}, ["target_behind_baseline"]),
    ],
)
def test_measurable(overrides, expected):
    assert codes(make(**overrides)) == expected


def test_warnings_and_errors_are_told_apart():
    problems = smart.check_goal(make(target=D(40), unit=""), period_start=START, period_end=END)
    assert {(p.code, p.severity) for p in problems} == {
        ("target_behind_baseline", smart.WARNING),
        ("unit_missing", smart.ERROR),
    }


def test_achievable_higher_is_better_against_the_best_period():
    history = [("2024", D(6)), ("2025", D(8))]
    assert codes(make(baseline=D(0), target=D(12)), history) == []  # +50 % exactly: fine
    [problem] = smart.check_goal(
        make(baseline=D(0), target=D(13)), period_start=START, period_end=END, history=history
    )
    assert problem.code == "beyond_history"
    assert problem.criterion == smart.ACHIEVABLE
    assert problem.severity == smart.WARNING
    assert problem.trace["best"] == D(8)
    assert problem.trace["best_period"] == "2025"
    assert problem.trace["stretch"] == D("0.625")
    assert "62.5" in problem.message and "2025" in problem.message


def test_achievable_lower_is_better_against_the_lowest():
    history = [HistoryPoint("2025", D(4)), HistoryPoint("2024", D(5))]
    goal = make(direction="lower", baseline=D(4), target=D("1.5"))
    [problem] = smart.check_goal(goal, period_start=START, period_end=END, history=history)
    assert problem.code == "beyond_history"
    assert problem.trace["stretch"] == D("0.625")
    assert codes(make(direction="lower", baseline=D(4), target=D(3)), history) == []


def test_achievable_needs_history_and_a_positive_best():
    assert codes(make(target=D(10_000))) == []
    assert codes(make(baseline=D(0), target=D(10)), [("2025", D(0))]) == []
    range_goal = make(direction="range", range_low=D(1), range_high=D(9), target=None)
    assert codes(range_goal, [("2025", D(1))]) == []


def test_relevant():
    assert codes(make(parent_id=None)) == ["no_parent"]
    assert codes(make(parent_id=None, level=Goal.Level.COMPANY)) == []
    assert codes(make(parent_id=None, level=Goal.Level.INDIVIDUAL)) == ["no_parent"]


def test_time_bound():
    assert codes(make(deadline=datetime.date(2027, 3, 31))) == ["deadline_outside_period"]
    assert codes(make(deadline=None)) == ["deadline_missing"]
    assert codes(
        make(start_date=datetime.date(2026, 6, 1), deadline=datetime.date(2026, 5, 1))
    ) == ["start_not_before_deadline"]
    assert codes(make(start_date=datetime.date(2025, 12, 1))) == ["start_outside_period"]


def test_period_defaults_to_the_goals_map(world, goal_world):
    goal = goal_world.dg_sales
    goal.deadline = datetime.date(2027, 1, 31)
    assert [p.code for p in smart.check_goal(goal)] == ["deadline_outside_period"]


def _older_map(world, name="2025 战略", year=2025):
    return StrategyMap.objects.create(
        company=world.company,
        name=name,
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
    )


def _old_goal(world, goal_world, smap, *, owner="emp_east", actual=8, measure="新客户数"):
    return Goal.objects.create(
        company=world.company,
        strategy_map=smap,
        level=Goal.Level.INDIVIDUAL,
        title="新客户数",
        measure=measure,
        unit="个",
        owner=world.employees[owner],
        department=world.employees[owner].department,
        target=D(10),
        actual=D(actual),
        start_date=smap.period_start,
        deadline=smap.period_end,
    )


def test_history_comes_from_the_same_owners_earlier_goals(world, goal_world):
    old = _older_map(world)
    _old_goal(world, goal_world, old, actual=8)
    _old_goal(world, goal_world, old, owner="emp_east2", actual=1)  # another person
    _old_goal(world, goal_world, old, measure="其他", actual=1)  # another measure
    later = _older_map(world, "2027 战略", 2027)
    _old_goal(world, goal_world, later, actual=1)  # a later map is not history
    kpi = goal_world.kpi_east  # target 12 = +50 % over 8
    head = world.users["head_east"]
    assert smart.goal_history(kpi, user=head) == [HistoryPoint("2025 战略", D(8))]
    assert smart.goal_problems(kpi, user=head) == []
    kpi = services.goal_update(actor=head, goal=kpi, version=kpi.version, target=D(13))
    [problem] = smart.goal_problems(kpi, user=head)
    assert problem.code == "beyond_history"
    assert problem.trace["history"] == [("2025 战略", D(8))]


def test_report_lists_goals_with_problems_in_constant_queries(world, goal_world):
    perf = world.users["perf"]
    smap = goal_world.strategy_map
    assert smart.smart_report(strategy_map=smap, user=perf) == []

    def add(n):
        for i in range(n):
            Goal.objects.create(
                company=world.company,
                strategy_map=smap,
                level=Goal.Level.DEPARTMENT,
                department=world.departments["sales"],
                title=f"未对齐 {i}",
                measure="",
                start_date=START,
                deadline=END,
            )

    add(2)
    with CaptureQueriesContext(connection) as small:
        rows = smart.smart_report(strategy_map=smap, user=perf)
    assert len(rows) == 2
    assert {"measure_missing", "target_missing", "unit_missing", "no_parent"} == {
        p.code for p in rows[0].problems
    }
    add(30)
    with CaptureQueriesContext(connection) as large:
        rows = smart.smart_report(strategy_map=smap, user=perf)
    assert len(rows) == 32
    assert len(large.captured_queries) == len(small.captured_queries)


def test_report_is_scoped_and_skips_closed_goals(world, goal_world):
    smap = goal_world.strategy_map
    Goal.objects.filter(pk=goal_world.kpi_east.pk).update(unit="")
    Goal.objects.filter(pk=goal_world.dg_prod.pk).update(unit="")
    assert {r.goal.pk for r in smart.smart_report(strategy_map=smap, user=world.users["perf"])} == {
        goal_world.kpi_east.pk,
        goal_world.dg_prod.pk,
    }
    # vp2 cannot see emp_east's KPI
    assert {r.goal.pk for r in smart.smart_report(strategy_map=smap, user=world.users["vp2"])} == {
        goal_world.dg_prod.pk
    }
    Goal.objects.filter(pk=goal_world.dg_prod.pk).update(status=Goal.Status.CLOSED)
    assert {r.goal.pk for r in smart.smart_report(strategy_map=smap, user=world.users["perf"])} == {
        goal_world.kpi_east.pk
    }
