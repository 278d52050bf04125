"""alerts_eval_10k_s: all default alert rules over the 10,000-employee demo company.

``measure_alerts(company, notes) -> float`` is called by bench/run.py inside the measuring
subprocess (Django set up, demo company built). The demo's strategy map has only six individual
KPIs, so the setup gives **every employee without one an individual KPI** (new customers,
target 12 for 2026, fed by the metric ``crm.new_customers``, actuals spread 0–12 so that about
a third is below 70 % of pace), adds this week's data points for half of them, and marks the
2026 national-holiday week on the company calendar. It then times, on 1 October 2026, one
evaluation of all default rules (individual and department below pace, weekly new customers
below plan): the first one, which opens every alert and notifies. The second evaluation (all
alerts kept: dedup) is reported in ``notes``.

Standalone: ``.venv/bin/python bench/alerts_bench.py [employees]`` builds the demo in
bench/scratch/alerts_bench.sqlite3 (or ``<db>_alerts_bench`` on DATABASE_URL's server) and prints
the number.
"""

from __future__ import annotations

import datetime
import sys
import time

TODAY = datetime.date(2026, 10, 1)
METRIC = "crm.new_customers"
TARGET_S = 5.0


def _setup(company, notes: list[str]) -> int:
    """One active individual KPI per employee (those without one), a metric with this week's
    points, the October holidays. Returns the number of individual KPIs in period."""
    from decimal import Decimal

    from django.utils import timezone

    from renshi.alerts.models import CalendarDay
    from renshi.goals.models import Goal, StrategyMap
    from renshi.metrics.models import DataPoint, Metric
    from renshi.org.models import Employee

    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    smap = StrategyMap.objects.filter(company=company, period_start=start).order_by("pk").first()
    if smap is None:
        notes.append("alerts bench: the demo has no 2026 strategy map; nothing to evaluate")
        return 0
    parent = (
        Goal.objects.filter(strategy_map=smap, level=Goal.Level.DEPARTMENT).order_by("pk").first()
    )
    metric, _created = Metric.objects.get_or_create(
        company=company, key=METRIC, defaults={"name": "新客户数", "unit": "个"}
    )
    has_kpi = set(
        Goal.objects.filter(company=company, level=Goal.Level.INDIVIDUAL).values_list(
            "owner_id", flat=True
        )
    )
    people = list(
        Employee.objects.filter(company=company)
        .exclude(status=Employee.Status.LEFT)
        .order_by("pk")
        .values_list("pk", "department_id")
    )
    goals = [
        Goal(
            company=company,
            strategy_map=smap,
            level=Goal.Level.INDIVIDUAL,
            parent=parent,
            title="新客户数",
            measure="新客户数",
            unit="个",
            owner_id=pk,
            department_id=dept,
            baseline=Decimal(0),
            target=Decimal(12),
            actual=Decimal(i % 13),
            metric_key=METRIC,
            start_date=start,
            deadline=end,
        )
        for i, (pk, dept) in enumerate(people)
        if pk not in has_kpi
    ]
    Goal.objects.bulk_create(goals, batch_size=2000)
    now = timezone.now()
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    DataPoint.objects.bulk_create(
        (
            DataPoint(
                company=company,
                metric=metric,
                subject_kind="employee",
                subject_id=pk,
                date=monday + datetime.timedelta(days=i % 3),
                value=Decimal(1),
                source="bench",
                received_at=now,
            )
            for i, (pk, _dept) in enumerate(people)
            if i % 2
        ),
        batch_size=5000,
        ignore_conflicts=True,
    )
    CalendarDay.objects.bulk_create(
        (
            CalendarDay(company=company, date=datetime.date(2026, 10, 1) + datetime.timedelta(i))
            for i in range(7)
        ),
        ignore_conflicts=True,
    )
    kpis = Goal.objects.filter(
        company=company, level=Goal.Level.INDIVIDUAL, status=Goal.Status.ACTIVE
    ).count()
    notes.append(
        f"alerts bench: {len(goals)} individual KPIs added (one per employee), {kpis} in all"
    )
    return kpis


def measure_alerts(company, notes: list[str]) -> float | None:
    """Seconds of one evaluation of all default rules of ``company`` on 1 October 2026."""
    from renshi.alerts.models import Alert
    from renshi.alerts.services import alert_rules_ensure_defaults, alerts_evaluate
    from renshi.notifications.models import Notification

    if not _setup(company, notes):
        return None
    alert_rules_ensure_defaults(company=company)
    before = Notification.objects.filter(company=company).count()
    started = time.perf_counter()
    counts = alerts_evaluate(company=company, today=TODAY)
    first = round(time.perf_counter() - started, 2)
    sent = Notification.objects.filter(company=company).count() - before
    started = time.perf_counter()
    again = alerts_evaluate(company=company, today=TODAY)
    second = round(time.perf_counter() - started, 2)
    open_alerts = Alert.objects.filter(company=company, status__in=Alert.OPEN_STATUSES).count()
    notes.append(
        f"alerts bench: first evaluation {first} s ({counts.get('opened', 0)} alerts opened, "
        f"{sent} notifications), second {second} s ({again.get('kept', 0)} kept, "
        f"{again.get('opened', 0)} opened); {open_alerts} open"
    )
    print(
        f"alerts: all default rules in {first} s (first run), {second} s (dedup run); "
        f"{open_alerts} open alerts"
    )
    return first


def main() -> int:
    from run import standalone_demo

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    company = standalone_demo("alerts_bench", n)
    notes: list[str] = []
    value = measure_alerts(company, notes)
    for note in notes:
        print("note:", note)
    print(f"alerts_eval_10k_s = {value} (target < {TARGET_S})")
    return 0 if value is not None and value < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
