"""Metric-fed and goal-fed scorecard actuals: value over the plan period up to today, lineage
in actual_trace, recomputed on ingestion (touched employees only) and hourly."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from renshi.core.models import AuditLog
from renshi.goals.models import Goal
from renshi.metrics.models import Metric, SubjectKind
from renshi.metrics.services import points_ingest
from renshi.performance import actuals
from renshi.performance.models import DataSource, Plan, Scorecard, ScorecardItem
from renshi.performance.tasks import scorecard_actuals_refresh_all
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def fed(world):
    pw = build_plan_world(
        world, plan_status=Plan.Status.TRACKING, card_status=Scorecard.Status.CONFIRMED
    )
    Metric.objects.create(
        company=world.company,
        key="crm.new_customers",
        name="新客户",
        subject_kind=SubjectKind.EMPLOYEE,
        aggregation="sum",
    )
    return pw


def _send(world, points):
    return points_ingest(actor=world.users["hrvp"], points=points, channel="api", source="crm")


def test_metric_fed_actual_with_lineage_on_ingestion(
    world, fed, django_capture_on_commit_callbacks
):
    east = world.employees["emp_east"].employee_no
    prod = world.employees["emp_prod"].employee_no
    with django_capture_on_commit_callbacks(execute=True):
        _send(
            world,
            [
                {"metric": "crm.new_customers", "subject": east, "date": "2026-01-05", "value": 2},
                {"metric": "crm.new_customers", "subject": east, "date": "2026-02-10", "value": 1},
                {"metric": "crm.new_customers", "subject": east, "date": "2025-12-31", "value": 9},
                {"metric": "crm.new_customers", "subject": prod, "date": "2026-01-05", "value": 5},
            ],
        )
    item = ScorecardItem.objects.get(pk=fed.items[("emp_east", "customers")].pk)
    assert item.actual == Decimal(3)  # the point before the period is not counted
    assert item.actual_source == "metric"
    trace = item.actual_trace
    assert trace["metric"] == "crm.new_customers" and trace["count"] == 2
    assert trace["period"]["start"] == "2026-01-01"
    assert {p["date"] for p in trace["points"]} == {"2026-01-05", "2026-02-10"}
    assert all(p["source"] == "crm" and p["batch"] for p in trace["points"])
    assert AuditLog.objects.filter(object_id=str(item.pk), action="update").exists()
    # emp_east2 was not touched: nothing computed
    other = ScorecardItem.objects.get(pk=fed.items[("emp_east2", "customers")].pk)
    assert other.actual is None and other.actual_trace == {}
    # a manual item is never computed
    assert ScorecardItem.objects.get(pk=fed.items[("emp_east", "sales")].pk).actual_trace == {}


def test_hourly_refresh_caps_the_period_at_today(world, fed):
    east = world.employees["emp_east"].employee_no
    _send(
        world, [{"metric": "crm.new_customers", "subject": east, "date": "2026-03-20", "value": 4}]
    )
    items = list(actuals.fed_items())
    actuals.items_actuals_refresh(items=items, today=datetime.date(2026, 3, 10))
    item = ScorecardItem.objects.get(pk=fed.items[("emp_east", "customers")].pk)
    assert item.actual is None and item.actual_trace["period"]["end"] == "2026-03-10"
    assert scorecard_actuals_refresh_all.call() >= 1
    item.refresh_from_db()
    assert item.actual == 4


def test_metric_of_the_wrong_subject_kind_says_so(world, fed):
    Metric.objects.filter(key="crm.new_customers").update(subject_kind=SubjectKind.DEPARTMENT)
    actuals.refresh_all(today=datetime.date(2026, 2, 1))
    item = ScorecardItem.objects.get(pk=fed.items[("emp_east", "customers")].pk)
    assert item.actual is None and "error" in item.actual_trace


def test_goal_fed_actual(world, fed, goal_world):
    indicator = fed.indicators["sales"]
    indicator.data_source = DataSource.GOAL
    indicator.save()
    goal = Goal.objects.filter(owner=world.employees["emp_east"]).first()
    Goal.objects.filter(pk=goal.pk).update(actual=Decimal("7.5"))
    ScorecardItem.objects.filter(pk=fed.items[("emp_east", "sales")].pk).update(goal=goal)
    actuals.refresh_all(today=datetime.date(2026, 2, 1))
    item = ScorecardItem.objects.get(pk=fed.items[("emp_east", "sales")].pk)
    assert item.actual == Decimal("7.5") and item.actual_source == "goal"
    assert item.actual_trace["goal"] == goal.pk and item.actual_trace["title"] == goal.title
    unlinked = ScorecardItem.objects.get(pk=fed.items[("emp_east2", "sales")].pk)
    assert unlinked.actual is None and "error" in unlinked.actual_trace
