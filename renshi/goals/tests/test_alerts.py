"""The goals' alert rules on the seeds' strategy map (renshi.goals.testing), with numbers
worked out by hand.

2026 has 261 working days (Monday–Friday, 1 January a Thursday). On Thursday 1 October the
195 working days of 1 January – 30 September are behind us: 195 / 261 = 74.7 % elapsed.
kpi_east (emp_east, 6 of 12 new customers) is at 50 %: 50 % ÷ 74.7 % = 0.67 < 0.70 → alert.
kpi_east2 is done. Department goals at 50 %: 0.67 < 0.80 → alerts for dg_sales (vp1), dg_prod,
dg_downtime and dg_rnd (vp2). On 2 July (129 / 261 = 49.4 %) 50 % is ahead of pace: nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from renshi.alerts import services
from renshi.alerts.models import Alert, AlertRecipient, AlertRule, CalendarDay
from renshi.goals import alerts as goal_alerts
from renshi.goals import selectors
from renshi.goals.models import Goal
from renshi.metrics.models import DataPoint, Metric
from renshi.notifications.models import Notification

OCT1 = datetime.date(2026, 10, 1)
JULY2 = datetime.date(2026, 7, 2)


def rules(world) -> dict[str, AlertRule]:
    services.alert_rules_ensure_defaults(company=world.company)
    return {r.kind: r for r in AlertRule.objects.filter(company=world.company)}


def evaluate(world, kind, today=OCT1):
    rule = rules(world)[kind]
    return services.alerts_evaluate(company=world.company, today=today, rule_ids=[rule.pk])


def open_alerts(kind):
    return Alert.objects.filter(rule__kind=kind, status__in=Alert.OPEN_STATUSES)


def users_of(alert, level=0):
    rows = AlertRecipient.objects.filter(alert=alert, level=level).select_related("user")
    return {r.user.username for r in rows}


def test_default_rules_have_the_seeds_thresholds(world):
    found = rules(world)
    assert found[goal_alerts.INDIVIDUAL].threshold == D("0.7")
    assert found[goal_alerts.DEPARTMENT].threshold == D("0.8")
    assert found[goal_alerts.WEEKLY].threshold == D("1.0")
    assert found[goal_alerts.WEEKLY].params == {"metric": "crm.new_customers", "min_plan": "1"}


def test_individual_below_pace_goes_to_the_employee_and_their_head(world, goal_world):
    evaluate(world, goal_alerts.INDIVIDUAL)
    alerts = list(open_alerts(goal_alerts.INDIVIDUAL))
    assert [a.subject_id for a in alerts] == [goal_world.kpi_east.pk]  # kpi_east2 is done
    alert = alerts[0]
    assert users_of(alert) == {"emp_east", "head_east"}
    assert alert.period_key == "2026"
    assert alert.completion == D("0.6692")  # 0.5 ÷ (195 / 261) = 0.66923
    assert alert.actual == 6 and alert.expected == D("8.9655")  # 12 × 195 / 261
    assert alert.url == goal_world.kpi_east.get_absolute_url()
    with translation.override("en"):
        trace = alert.trace_text()
        assert alert.title_text == "郑员工: 新客户数 at 66.9% of pace"
    assert "新客户数: (6 − 0) / (12 − 0) = 50.0%" in trace
    assert (
        "elapsed: 195 of 261 working days from 2026-01-01 to 2026-12-31 (before 2026-10-01) "
        "= 74.7%" in trace
    )
    assert "completion 66.9% < threshold 70.0%: alert" in trace
    assert Notification.objects.filter(event="alerts.opened").count() == 2


def test_the_alert_and_the_goal_page_show_the_same_pace(world, goal_world):
    # a holiday week changes both: the page and the alert count the same working days
    CalendarDay.objects.bulk_create(
        CalendarDay(company=world.company, date=datetime.date(2026, 9, 21) + datetime.timedelta(i))
        for i in range(5)
    )
    evaluate(world, goal_alerts.INDIVIDUAL)
    alert = open_alerts(goal_alerts.INDIVIDUAL).get()
    node = selectors.goal_progress(user=world.users["gm"], goal=goal_world.kpi_east, today=OCT1)
    assert node.pace.elapsed == D(190) / D(256)  # five fewer working days before and in total
    assert alert.completion == node.pace.ratio.quantize(D("0.0001"))


def test_escalation_goes_to_the_heads_manager(world, goal_world):
    evaluate(world, goal_alerts.INDIVIDUAL)
    evaluate(world, goal_alerts.INDIVIDUAL, OCT1 + datetime.timedelta(days=3))
    alert = open_alerts(goal_alerts.INDIVIDUAL).get()
    assert alert.status == Alert.Status.ESCALATED
    assert users_of(alert, level=1) == {"head_sales"}  # head_east's manager
    assert Notification.objects.filter(event="alerts.escalated").count() == 1


def test_back_on_pace_closes_the_alert(world, goal_world):
    evaluate(world, goal_alerts.INDIVIDUAL)
    Goal.objects.filter(pk=goal_world.kpi_east.pk).update(actual=D(10))  # 83 % ÷ 74.7 % = 1.12
    evaluate(world, goal_alerts.INDIVIDUAL, OCT1 + datetime.timedelta(days=1))
    alert = Alert.objects.get(rule__kind=goal_alerts.INDIVIDUAL)
    assert alert.status == Alert.Status.CLOSED
    assert alert.close_reason == Alert.CloseReason.BACK_ON_PACE


def test_on_pace_at_mid_year_opens_nothing(world, goal_world):
    evaluate(world, goal_alerts.INDIVIDUAL, JULY2)
    evaluate(world, goal_alerts.DEPARTMENT, JULY2)
    assert not Alert.objects.exists()


def test_department_below_pace_goes_to_its_vp_only(world, goal_world):
    evaluate(world, goal_alerts.DEPARTMENT)
    by_goal = {a.subject_id: a for a in open_alerts(goal_alerts.DEPARTMENT)}
    gw = goal_world
    assert set(by_goal) == {gw.dg_sales.pk, gw.dg_prod.pk, gw.dg_downtime.pk, gw.dg_rnd.pk}
    assert users_of(by_goal[gw.dg_sales.pk]) == {"vp1"}  # not vp2
    assert users_of(by_goal[gw.dg_prod.pk]) == {"vp2"}  # not vp1
    assert users_of(by_goal[gw.dg_rnd.pk]) == {"vp2"}
    assert by_goal[gw.dg_sales.pk].scope_department_id == world.sales.pk
    evaluate(world, goal_alerts.DEPARTMENT, OCT1 + datetime.timedelta(days=5))
    assert users_of(by_goal[gw.dg_sales.pk], level=1) == {"gm"}


def test_alerts_are_visible_like_their_subject(world, goal_world, client_for):
    evaluate(world, goal_alerts.INDIVIDUAL)
    evaluate(world, goal_alerts.DEPARTMENT)
    from renshi.alerts import selectors as alert_selectors

    def seen(key):
        qs = alert_selectors.alert_list(user=world.users[key], status="all")
        return {a.subject_id for a in qs}

    gw = goal_world
    assert seen("emp_east") == {gw.kpi_east.pk}  # their own; not their department's
    assert seen("head_east") == {gw.kpi_east.pk}
    assert seen("vp1") == {gw.kpi_east.pk, gw.dg_sales.pk}
    assert seen("vp2") == {gw.dg_prod.pk, gw.dg_downtime.pk, gw.dg_rnd.pk}
    assert seen("emp_prod") == set()
    assert len(seen("hrvp")) == 5
    alert = open_alerts(goal_alerts.INDIVIDUAL).get()
    page = client_for("head_east").get(alert.get_absolute_url())
    assert page.status_code == 200
    assert gw.kpi_east.get_absolute_url() in page.content.decode()
    assert client_for("vp2").get(alert.get_absolute_url()).status_code == 404


def _weekly_setup(world, goal_world):
    metric = Metric.objects.create(
        company=world.company, key="crm.new_customers", name="新客户数", unit="个"
    )
    Goal.objects.filter(pk__in=[goal_world.kpi_east.pk, goal_world.kpi_east2.pk]).update(
        metric_key="crm.new_customers"
    )
    # these KPIs plan 12 a year (0.14 by a Thursday): check even such small weeks here
    rule = rules(world)[goal_alerts.WEEKLY]
    AlertRule.objects.filter(pk=rule.pk).update(params={**rule.params, "min_plan": "0"})
    return metric


def _point(world, metric, emp, day, value):
    from django.utils import timezone

    DataPoint.objects.create(
        company=world.company,
        metric=metric,
        subject_kind="employee",
        subject_id=emp.pk,
        date=day,
        value=D(value),
        source="crm",
        received_at=timezone.now(),
    )


def test_weekly_new_customers_below_plan(world, goal_world):
    metric = _weekly_setup(world, goal_world)
    # week of Monday 28 September: plan to Thursday 1 October = 12 × (195 − 192) / 261 = 0.138
    _point(world, metric, world.emp_east2, datetime.date(2026, 9, 29), 1)
    _point(world, metric, world.emp_east2, datetime.date(2026, 9, 20), 5)  # last week
    evaluate(world, goal_alerts.WEEKLY)
    alert = open_alerts(goal_alerts.WEEKLY).get()
    assert alert.subject_id == goal_world.kpi_east.pk  # emp_east2 met the week's plan
    assert alert.period_key == "2026-W40"
    assert alert.actual == 0 and alert.expected == D("0.1379")
    assert users_of(alert) == {"emp_east", "head_east"}
    # a new customer arrives: back on plan
    _point(world, metric, world.emp_east, datetime.date(2026, 10, 1), 1)
    evaluate(world, goal_alerts.WEEKLY)
    assert not open_alerts(goal_alerts.WEEKLY).exists()


def test_last_weeks_alert_closes_as_period_over(world, goal_world):
    _weekly_setup(world, goal_world)
    evaluate(world, goal_alerts.WEEKLY)
    evaluate(world, goal_alerts.WEEKLY, datetime.date(2026, 10, 5))  # Monday: no plan yet
    alert = Alert.objects.get(rule__kind=goal_alerts.WEEKLY, subject_id=goal_world.kpi_east.pk)
    assert alert.close_reason == Alert.CloseReason.PERIOD_ENDED


def _more_goals(world, goal_world, n):
    parent = goal_world.dg_sales
    Goal.objects.bulk_create(
        Goal(
            company=world.company,
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            parent=parent,
            title=f"KPI {i}",
            owner=world.employees["emp_east2" if i % 2 else "emp_prod"],
            department=world.sales_east,
            baseline=D(0),
            target=D(100),
            actual=D(i % 40),
            metric_key="crm.new_customers",
            start_date=goal_world.kpi_east.start_date,
            deadline=goal_world.kpi_east.deadline,
        )
        for i in range(n)
    )


def test_query_count_does_not_grow_with_employees(world, goal_world):
    _weekly_setup(world, goal_world)
    rules(world)

    def count():
        Alert.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            services.alerts_evaluate(company=world.company, today=OCT1)
        return len(ctx.captured_queries), Alert.objects.count()

    count()  # warm the content type cache
    small, small_alerts = count()
    _more_goals(world, goal_world, 60)
    large, large_alerts = count()
    assert large_alerts > small_alerts + 50
    assert large == small


def test_ingestion_enqueues_an_evaluation(world, goal_world, monkeypatch):
    from renshi.alerts import tasks
    from renshi.metrics.signals import points_ingested

    calls = []

    class FakeTask:
        def enqueue(self, *args, **kwargs):
            calls.append(args)

    monkeypatch.setattr(tasks, "alerts_evaluate_task", FakeTask())
    points_ingested.send(
        sender=None,
        company_id=world.company.pk,
        batch_id=1,
        metric_ids=set(),
        subjects=set(),
        first_date=OCT1,
        last_date=OCT1,
    )
    assert calls == [(world.company.pk,)]


def test_the_task_runs_all_default_rules(world, goal_world):
    from renshi.alerts.tasks import alerts_evaluate_task

    result = alerts_evaluate_task.enqueue(world.company.pk, today=OCT1.isoformat())
    assert result.return_value["opened"] == 5  # kpi_east + four department goals


def test_weeks_planned_under_one_unit_are_not_checked_by_default(world, goal_world):
    metric = _weekly_setup(world, goal_world)
    rule = rules(world)[goal_alerts.WEEKLY]
    AlertRule.objects.filter(pk=rule.pk).update(params={"metric": metric.key})  # default min
    evaluate(world, goal_alerts.WEEKLY)
    assert not open_alerts(goal_alerts.WEEKLY).exists()  # plan 0.14 < 1: noise, not an alert
    Goal.objects.filter(pk=goal_world.kpi_east.pk).update(target=D(120))  # 1.38 by Thursday
    evaluate(world, goal_alerts.WEEKLY)
    assert open_alerts(goal_alerts.WEEKLY).get().subject_id == goal_world.kpi_east.pk
