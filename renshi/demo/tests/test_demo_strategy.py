"""The seeds' strategy map of the demo company: objectives, cascade, KPIs with pace colours,
target suggestions with their derivation; deterministic, idempotent, removed by --reset."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from renshi.demo.services import demo_build, demo_delete
from renshi.demo.strategy import MISSION, demo_strategy, demo_strategy_build, demo_strategy_delete
from renshi.goals import selectors
from renshi.goals.models import CauseEffectLink, Goal, StrategyMap, TargetSuggestion
from renshi.org.models import Employee

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)
LATE_NOVEMBER = datetime.date(2026, 11, 23)


@pytest.fixture
def demo(db):
    with translation.override("en"):
        return demo_build(today=TODAY)


def user(username):
    return Employee.objects.select_related("user").get(user__username=username).user


def test_the_map_and_its_four_objectives(demo):
    smap = demo_strategy(demo)
    assert (smap.mission, smap.mode, smap.period_start, smap.period_end) == (
        MISSION,
        "bsc",
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
    objectives = {
        g.perspective.key: g
        for g in Goal.objects.filter(strategy_map=smap, level="company").select_related(
            "perspective"
        )
    }
    assert set(objectives) == {"financial", "customer", "process", "learning"}
    revenue = objectives["financial"]
    assert (revenue.baseline, revenue.target) == (Decimal(10000), Decimal(13500))  # +35%
    cycle = objectives["process"]
    assert (cycle.direction, cycle.baseline, cycle.target) == ("lower", 4, 3)
    assert objectives["learning"].target == 70
    assert objectives["customer"].target == 85
    links = [
        (link.cause.perspective.key, link.effect.perspective.key)
        for link in CauseEffectLink.objects.filter(strategy_map=smap).order_by("id")
    ]
    assert links == [("learning", "process"), ("process", "customer"), ("customer", "financial")]


def test_cascade_shares_and_weights(demo):
    smap = demo_strategy(demo)
    revenue = Goal.objects.get(strategy_map=smap, level="company", perspective__key="financial")
    parts = {g.department.code: g for g in revenue.children.select_related("department")}
    assert parts["datacenter"].target == Decimal(8100)  # 60% of 13,500
    assert parts["datacenter"].weight == Decimal("0.6")
    assert parts["sales"].weight == Decimal("0.4")
    retention = Goal.objects.get(strategy_map=smap, perspective__key="customer")
    shares = {
        g.department.code: (g.weight, g.direction)
        for g in retention.children.select_related("department")
    }
    assert shares == {
        "marketing": (Decimal("0.4"), "higher"),
        "datacenter": (Decimal("0.6"), "lower"),
    }


def test_six_salespeople_have_kpis_with_actuals_and_pace_colours(demo):
    smap = demo_strategy(demo)
    kpis = Goal.objects.filter(strategy_map=smap, level="individual").select_related("owner")
    assert kpis.count() == 6
    assert {k.owner.department.code for k in kpis} == {"sales"}
    assert sorted(k.actual for k in kpis) == [4, 6, 8, 10, 11, 12]
    tree = selectors.tree_progress(user=user("gm"), strategy_map=smap, today=LATE_NOVEMBER)
    paces = {tree.nodes[k.pk].pace.status for k in kpis}
    assert {"on_track", "at_risk", "behind"} <= paces
    # the head of sales sees the KPIs of their people, an employee only their own
    head = user("head01")
    visible = selectors.tree_progress(user=head, strategy_map=smap, today=LATE_NOVEMBER)
    assert all(k.pk in visible.nodes for k in kpis)
    owner = kpis.order_by("owner__employee_no").first().owner
    mine = selectors.tree_progress(user=owner.user, strategy_map=smap, today=LATE_NOVEMBER)
    assert {k.pk for k in kpis if k.pk in mine.nodes} == {
        k.pk for k in kpis if k.owner_id == owner.pk
    }


def test_a_kpi_target_explained_by_the_seed_split(demo):
    suggestions = list(TargetSuggestion.objects.order_by("id"))
    assert [(s.method, s.decision) for s in suggestions] == [
        ("share", "accepted"),
        ("share", "pending"),
        ("pipeline", "pending"),
    ]
    yearly, monthly, pipeline = suggestions
    assert yearly.value == yearly.chosen_value == yearly.goal.target == Decimal(12)
    assert yearly.derivation[0] == "Share: 18 per quarter ÷ 6 people = 3 per person per quarter"
    assert monthly.value == Decimal(1)
    assert "reading 3 as a target per month would mix the periods." in monthly.derivation[2]
    assert pipeline.value == Decimal(10)
    assert pipeline.warnings == ["The target 10 exceeds the capacity 8 by 2."]


def test_pages_show_the_demo_strategy(demo, client):
    smap = demo_strategy(demo)
    client.force_login(user("head01"))
    kpi = TargetSuggestion.objects.order_by("id").first().goal
    response = client.get(reverse("goals:target_suggest", kwargs={"pk": kpi.pk}))
    assert response.status_code == 200
    assert "18" in response.content.decode()
    response = client.get(f"/api/v1/goals/tree/?map={smap.pk}")
    assert response.status_code == 200
    assert len(response.json()["roots"]) == 4


def test_build_is_idempotent_and_deterministic(demo):
    smap = demo_strategy(demo)
    counts = (Goal.objects.count(), TargetSuggestion.objects.count())
    assert demo_strategy_build(demo) == smap
    call_command("demo", stdout=StringIO())
    assert (Goal.objects.count(), TargetSuggestion.objects.count()) == counts
    first = list(
        Goal.objects.order_by("id").values_list("title", "level", "target", "actual", "weight")
    )
    with translation.override("en"):
        call_command("demo", "--reset", stdout=StringIO())
    second = list(
        Goal.objects.order_by("id").values_list("title", "level", "target", "actual", "weight")
    )
    assert first == second


def test_command_adds_the_map_to_an_older_demo_company(demo):
    demo_strategy_delete(demo)
    assert not StrategyMap.objects.exists()
    out = StringIO()
    with translation.override("en"):
        call_command("demo", stdout=out)
    assert "Added the strategy map" in out.getvalue()
    assert demo_strategy(demo) is not None


def test_delete_removes_the_goals_too(demo):
    assert demo_delete() is True
    assert not Goal.objects.exists()
    assert not StrategyMap.objects.exists()
