"""The demo's live data: catalogue, points feeding the sales KPIs, attendance, alerts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from renshi.alerts.models import Alert, AlertRule
from renshi.demo.metrics import CATALOGUE, demo_metrics_build
from renshi.demo.services import demo_build, demo_delete
from renshi.goals.actuals import goals_actuals_refresh
from renshi.goals.models import Goal
from renshi.metrics.models import DataPoint, Metric
from renshi.metrics.selectors import metric_aggregate
from renshi.notifications.models import Notification
from renshi.org.models import Employee

pytestmark = pytest.mark.django_db

LATE_NOVEMBER = datetime.date(2026, 11, 23)


@pytest.fixture
def demo(db):
    with translation.override("en"):
        return demo_build(today=LATE_NOVEMBER)


def test_catalogue_and_attendance(demo):
    keys = set(Metric.objects.filter(company=demo).values_list("key", flat=True))
    assert {row[0] for row in CATALOGUE} <= keys
    assert {"attendance.days_scheduled", "attendance.days_present", "attendance.rate"} <= keys
    rate = Metric.objects.get(company=demo, key="attendance.rate")
    person = Employee.objects.filter(company=demo).order_by("employee_no").first()
    value = metric_aggregate(
        metric=rate,
        subject_id=person.pk,
        start=datetime.date(2026, 8, 1),
        end=datetime.date(2026, 10, 31),
    ).value
    assert Decimal("0.8") < value <= 1  # three months of attendance, a few days away


def test_sales_kpis_are_fed_by_the_crm_metric(demo):
    kpis = Goal.objects.filter(company=demo, metric_key="crm.new_customers")
    assert kpis.count() == 6
    metric = Metric.objects.get(company=demo, key="crm.new_customers")
    for goal in kpis:
        typed = goal.actual
        points = DataPoint.objects.filter(metric=metric, subject_id=goal.owner_id)
        assert sum(p.value for p in points) == typed
        assert all(p.date <= LATE_NOVEMBER for p in points)
    goals_actuals_refresh(goals=kpis, today=LATE_NOVEMBER)
    for goal in kpis:
        actual = goal.actual
        goal.refresh_from_db()
        assert goal.actual == actual  # the metric gives the same numbers the demo typed
        assert goal.actual_trace  # ... and now says where they come from


def test_alerts_reach_the_people_behind_pace(demo):
    assert AlertRule.objects.filter(company=demo, active=True).exists()
    alerts = Alert.objects.filter(company=demo)
    assert alerts.exists()
    assert Notification.objects.filter(company=demo, event="alerts.opened").exists()


def test_idempotent_and_removed_by_reset(demo):
    before = DataPoint.objects.count()
    demo_metrics_build(demo, today=LATE_NOVEMBER)
    assert DataPoint.objects.count() == before
    assert demo_delete()
    assert not Metric.objects.exists()
    assert not DataPoint.objects.exists()
    assert not Alert.objects.exists()
