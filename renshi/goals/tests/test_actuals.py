"""Goals fed by metrics: actual computed over the goal's period for its subject, lineage in
actual_trace, recomputed on ingestion (only touched goals), mismatched subject kinds reported,
the hourly refresh, and the strategy map periods as collection periods."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from renshi.core.models import AuditLog
from renshi.goals.actuals import (
    compute,
    goal_actual_refresh,
    goal_actuals_refresh_all,
    goals_actuals_refresh,
)
from renshi.goals.models import Goal
from renshi.metrics.models import Metric, SubjectKind
from renshi.metrics.periods import company_periods
from renshi.metrics.services import points_ingest

TODAY = datetime.date(2026, 6, 30)


def metric(world, key, kind=SubjectKind.EMPLOYEE, aggregation="sum", **extra):
    return Metric.objects.create(
        company=world.company,
        key=key,
        name=key,
        subject_kind=kind,
        aggregation=aggregation,
        **extra,
    )


def send(world, points, actor="hrvp", source="crm"):
    return points_ingest(actor=world.users[actor], points=points, channel="api", source=source)


def emp(world, key):
    return world.employees[key].employee_no


@pytest.fixture
def fed(world, goal_world):
    new = metric(world, "crm.new_customers")
    goal_world.kpi_east.metric_key = "crm.new_customers"
    goal_world.kpi_east.save()
    goal_world.kpi_east2.metric_key = "crm.new_customers"
    goal_world.kpi_east2.save()
    return new


def test_strategy_map_periods_are_collection_periods(world, goal_world):
    assert company_periods(world.company.pk) == [
        (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    ]


def test_actual_follows_points_on_ingest_with_lineage(
    world, goal_world, fed, django_capture_on_commit_callbacks
):
    east = emp(world, "emp_east")
    with django_capture_on_commit_callbacks(execute=True):
        result = send(
            world,
            [
                {"metric": "crm.new_customers", "subject": east, "date": "2026-03-01", "value": 2},
                {"metric": "crm.new_customers", "subject": east, "date": "2026-04-01", "value": 5},
            ],
        )
    goal = Goal.objects.get(pk=goal_world.kpi_east.pk)
    assert goal.actual == Decimal("7")
    assert goal.version == goal_world.kpi_east.version + 1
    trace = goal.actual_trace
    assert trace["metric"] == "crm.new_customers" and trace["aggregation"] == "sum"
    assert trace["count"] == 2 and trace["points_total"] == 2
    assert [p["value"] for p in trace["points"]] == ["5.0000", "2.0000"]
    assert {p["batch"] for p in trace["points"]} == {result.batch.pk}
    assert trace["period"]["start"] == "2026-01-01"
    # the untouched goal (emp_east2) kept its typed-in actual
    assert Goal.objects.get(pk=goal_world.kpi_east2.pk).actual == Decimal("12")
    # audited as the system
    log = AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Goal), object_id=str(goal.pk)
    ).latest("id")
    assert "actual" in log.changes and log.actor is None
    # a resend replaces, the actual does not double
    with django_capture_on_commit_callbacks(execute=True):
        send(
            world,
            [{"metric": "crm.new_customers", "subject": east, "date": "2026-04-01", "value": 1}],
        )
    goal.refresh_from_db()
    assert goal.actual == Decimal("3")
    assert goal.actual_trace["points"][0]["value"] == "1.0000"


def test_mismatched_subject_kind_is_reported_and_actual_untouched(world, goal_world):
    metric(world, "sales.revenue", kind=SubjectKind.DEPARTMENT)
    goal = goal_world.kpi_east
    goal.metric_key = "sales.revenue"
    goal.save()
    goal = goal_actual_refresh(goal=goal, today=TODAY)
    assert goal.actual == Decimal("6")
    assert "sales.revenue" in goal.actual_trace["error"]


def test_unknown_metric_is_reported(world, goal_world):
    goal = goal_world.kpi_east
    goal.metric_key = "crm.nope"
    goal.save()
    goal = goal_actual_refresh(goal=goal, today=TODAY)
    assert goal.actual == Decimal("6") and goal.actual_trace["error"]


def test_department_and_company_goals(world, goal_world, django_capture_on_commit_callbacks):
    metric(world, "sales.revenue", kind=SubjectKind.DEPARTMENT)
    metric(world, "company.revenue", kind=SubjectKind.COMPANY, aggregation="last")
    Goal.objects.filter(pk=goal_world.dg_sales.pk).update(metric_key="sales.revenue")
    Goal.objects.filter(pk=goal_world.obj_revenue.pk).update(metric_key="company.revenue")
    with django_capture_on_commit_callbacks(execute=True):
        send(
            world,
            [
                {"metric": "sales.revenue", "subject": "sales", "date": "2026-02-01", "value": 40},
                {"metric": "sales.revenue", "subject": "sales", "date": "2026-03-01", "value": 30},
                {"metric": "sales.revenue", "subject": "rnd", "date": "2026-03-01", "value": 99},
                {"metric": "company.revenue", "date": "2026-02-01", "value": 110},
                {"metric": "company.revenue", "date": "2026-03-01", "value": 125},
            ],
        )
    assert Goal.objects.get(pk=goal_world.dg_sales.pk).actual == Decimal("70")
    company_goal = Goal.objects.get(pk=goal_world.obj_revenue.pk)
    assert company_goal.actual == Decimal("125")
    assert len(company_goal.actual_trace["points"]) == 1  # the last value only
    assert company_goal.actual_trace["count"] == 2


def test_ratio_metric_feeds_a_goal(world, goal_world, django_capture_on_commit_callbacks):
    won = metric(world, "crm.won")
    leads = metric(world, "crm.leads")
    metric(world, "crm.win_rate", aggregation="ratio", numerator=won, denominator=leads)
    Goal.objects.filter(pk=goal_world.kpi_east.pk).update(metric_key="crm.win_rate")
    east = emp(world, "emp_east")
    with django_capture_on_commit_callbacks(execute=True):
        send(world, [{"metric": "crm.won", "subject": east, "date": "2026-03-01", "value": 3}])
    goal = Goal.objects.get(pk=goal_world.kpi_east.pk)
    assert goal.actual is None  # no leads yet: no value, and the trace says why
    assert "crm.leads" in " ".join(goal.actual_trace["lines"])
    with django_capture_on_commit_callbacks(execute=True):
        send(world, [{"metric": "crm.leads", "subject": east, "date": "2026-03-02", "value": 12}])
    goal.refresh_from_db()
    assert goal.actual == Decimal("0.25")
    assert {p["metric"] for p in goal.actual_trace["points"]} == {"crm.won", "crm.leads"}


def test_period_capped_at_today_and_bulk_queries_constant(
    world, goal_world, fed, django_assert_max_num_queries
):
    east, east2 = emp(world, "emp_east"), emp(world, "emp_east2")
    send(
        world,
        [
            {"metric": "crm.new_customers", "subject": east, "date": "2026-03-01", "value": 1},
            {"metric": "crm.new_customers", "subject": east2, "date": "2026-03-01", "value": 4},
            {"metric": "crm.new_customers", "subject": east2, "date": "2026-08-01", "value": 4},
        ],
    )
    goals = list(Goal.objects.filter(metric_key="crm.new_customers"))
    results = compute(goals, today=TODAY)
    assert results[goal_world.kpi_east2.pk]["value"] == Decimal("4")  # August is after today
    assert results[goal_world.kpi_east2.pk]["trace"]["period"]["end"] == "2026-06-30"
    with django_assert_max_num_queries(8):
        changed = goals_actuals_refresh(goals=goals, today=TODAY)
    assert changed == 2
    # nothing changed: nothing written
    assert (
        goals_actuals_refresh(
            goals=Goal.objects.filter(metric_key="crm.new_customers"), today=TODAY
        )
        == 0
    )


def test_hourly_task_refreshes_all_fed_goals(world, goal_world, fed):
    send(
        world,
        [
            {
                "metric": "crm.new_customers",
                "subject": emp(world, "emp_east"),
                "date": "2026-03-01",
                "value": 9,
            }
        ],
    )
    Goal.objects.filter(pk=goal_world.kpi_east.pk).update(actual=None)
    goal_actuals_refresh_all.call()
    assert Goal.objects.get(pk=goal_world.kpi_east.pk).actual == Decimal("9")


def test_goal_page_shows_the_lineage(
    world, goal_world, fed, client_for, django_capture_on_commit_callbacks
):
    east = emp(world, "emp_east")
    with django_capture_on_commit_callbacks(execute=True):
        send(
            world,
            [{"metric": "crm.new_customers", "subject": east, "date": "2026-03-01", "value": 4}],
        )
    page = client_for("head_east").get(f"/goals/{goal_world.kpi_east.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="actual-lineage"' in body and "crm.new_customers" in body
    assert f"subject={east}" in body
