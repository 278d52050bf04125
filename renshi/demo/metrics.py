"""The demo company's live data: a metric catalogue, data points, attendance, alerts.

* the catalogue a small Chinese data-centre company would keep: new customers and customer
  visits from the CRM (per salesperson), revenue from the ERP (per department), server
  downtime from operations monitoring (per department), and the built-in attendance metrics;
* the six salespeople's new-customer KPIs are fed by ``crm.new_customers``: their data points
  (one per new customer, spread over the year so far) sum to the actuals the strategy demo
  used to type in, and the goals take their actual — with its lineage — from the metric;
* attendance for the last three complete months for everybody (the attendance import's
  metrics), so "attendance vs performance" has data;
* the default alert rules, evaluated once, so the people behind pace find alerts in their inbox.

Everything goes through the services (``metric_create``, ``points_ingest`` as the system,
``attendance_metrics_ensure``, ``alert_rules_ensure_defaults``, ``alerts_evaluate``).
Deterministic for a given ``today``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from renshi.goals.models import Goal
from renshi.metrics.imports import attendance_metrics_ensure
from renshi.metrics.models import IngestBatch, Metric
from renshi.metrics.services import max_batch, metric_create, points_ingest
from renshi.org.models import Company, Department, Employee

from .strategy import END, MAP_NAME, START

CATALOGUE = (
    # key, name, unit, subject, aggregation, source
    ("crm.new_customers", "新签客户数", "个", "employee", "sum", "CRM"),
    ("crm.visits", "客户拜访次数", "次", "employee", "sum", "CRM"),
    ("erp.revenue", "部门营收", "万元", "department", "sum", "ERP"),
    ("ops.downtime_rate", "服务器宕机率", "%", "department", "avg", "运维监控"),
)
NEW_CUSTOMERS = "crm.new_customers"
ATTENDANCE_MONTHS = 3


def _months_before(today: datetime.date, count: int) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for _i in range(count):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        months.append(first)
    return sorted(months)


def _working_days(month: datetime.date) -> int:
    nxt = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    day, count = month, 0
    while day < nxt:
        count += day.weekday() < 5
        day += datetime.timedelta(days=1)
    return count


def _ingest(company: Company, points: list[dict], *, source: str, channel: str) -> None:
    size = max_batch()
    for start in range(0, len(points), size):
        result = points_ingest(
            actor=None,
            company=company,
            points=points[start : start + size],
            channel=channel,
            source=source,
        )
        if result.rejected:  # the demo's own data must be clean
            raise ValueError(f"demo points rejected: {result.rejected[:3]}")


def demo_metrics_exist(company: Company) -> bool:
    return Metric.objects.filter(company=company, key=NEW_CUSTOMERS).exists()


def demo_metrics_build(company: Company, *, today: datetime.date | None = None) -> None:
    """Create the demo's metrics, points and alerts unless the catalogue exists."""
    if demo_metrics_exist(company):
        return
    today = today or datetime.date.today()
    for key, name, unit, subject, aggregation, source in CATALOGUE:
        metric_create(
            actor=None,
            company=company,
            key=key,
            name=name,
            unit=unit,
            subject_kind=subject,
            aggregation=aggregation,
            source=source,
        )
    _sales_points(company, today)
    _department_points(company, today)
    _attendance(company, today)
    _alerts(company, today)


def _sales_points(company: Company, today: datetime.date) -> None:
    """One data point per new customer, evenly spread from the start of the year to today,
    and the KPI goals switched to the metric (their actuals are recomputed on ingestion)."""
    kpis = list(
        Goal.objects.filter(
            company=company,
            strategy_map__name=MAP_NAME,
            level=Goal.Level.INDIVIDUAL,
            measure="新签客户数",
        )
        .select_related("owner")
        .order_by("owner__employee_no")
    )
    end = min(today, datetime.date(START.year, 12, 31))
    span = max((end - START).days, 1)
    points = []
    for goal in kpis:
        count = int(goal.actual or 0)
        Goal.objects.filter(pk=goal.pk).update(metric_key=NEW_CUSTOMERS)  # demo bootstrap
        for i in range(count):
            day = START + datetime.timedelta(days=(2 * i + 1) * span // (2 * max(count, 1)))
            points.append(
                {
                    "metric": NEW_CUSTOMERS,
                    "subject": goal.owner.employee_no,
                    "date": day.isoformat(),
                    "value": "1",
                }
            )
        for week in range(0, span, 7):  # two visits a week per salesperson
            points.append(
                {
                    "metric": "crm.visits",
                    "subject": goal.owner.employee_no,
                    "date": (START + datetime.timedelta(days=week)).isoformat(),
                    "value": "2",
                }
            )
    _ingest(company, points, source="crm", channel=IngestBatch.Channel.API)


def _department_points(company: Company, today: datetime.date) -> None:
    departments = {
        d.code: d
        for d in Department.objects.filter(company=company, code__in=["sales", "datacenter"])
    }
    points = []
    month = START
    while month <= today.replace(day=1):
        for code, monthly in (("sales", Decimal(390)), ("datacenter", Decimal(580))):
            if code in departments:
                points.append(
                    {"metric": "erp.revenue", "subject": code, "date": month.isoformat(),
                     "value": str(monthly + month.month * 5)}
                )  # fmt: skip
        if "datacenter" in departments:
            points.append(
                {"metric": "ops.downtime_rate", "subject": "datacenter",
                 "date": month.isoformat(), "value": str(Decimal("1.9") - month.month / Decimal(20))}
            )  # fmt: skip
        month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    _ingest(company, points, source="erp", channel=IngestBatch.Channel.API)


def _attendance(company: Company, today: datetime.date) -> None:
    metrics = attendance_metrics_ensure(company=company)
    keys = {m.key for m in metrics.values()} if isinstance(metrics, dict) else set()
    scheduled_key = next((k for k in keys if k.endswith("days_scheduled")), None)
    present_key = next((k for k in keys if k.endswith("days_present")), None)
    if scheduled_key is None or present_key is None:
        return
    numbers = list(
        Employee.objects.filter(company=company)
        .exclude(status=Employee.Status.LEFT)
        .order_by("employee_no")
        .values_list("employee_no", flat=True)
    )
    points = []
    for month in _months_before(today, ATTENDANCE_MONTHS):
        if not START <= month <= END:  # data is collected for the strategy map's year
            continue
        due = _working_days(month)
        for n, number in enumerate(numbers):
            absent = (n * 7 + month.month) % 4  # 0–3 days away, deterministic
            points.append(
                {"metric": scheduled_key, "subject": number, "date": month.isoformat(),
                 "value": str(due)}
            )  # fmt: skip
            points.append(
                {"metric": present_key, "subject": number, "date": month.isoformat(),
                 "value": str(due - absent)}
            )  # fmt: skip
    _ingest(company, points, source="attendance", channel=IngestBatch.Channel.ATTENDANCE)


def _alerts(company: Company, today: datetime.date) -> None:
    from renshi.alerts.services import alert_rules_ensure_defaults, alerts_evaluate

    alert_rules_ensure_defaults(company=company)
    alerts_evaluate(company=company, today=today)


def demo_metrics_delete(company: Company) -> None:
    """Remove the live data of ``company`` (before its goals, people and departments)."""
    from renshi.alerts.models import Alert, AlertRecipient, AlertRule, CalendarDay
    from renshi.metrics.models import Connector, DataPoint
    from renshi.notifications.models import (
        Delivery,
        Notification,
        NotificationPreference,
        Webhook,
    )

    AlertRecipient.objects.filter(alert__company=company).delete()
    Alert.objects.filter(company=company).delete()
    AlertRule.objects.filter(company=company).delete()
    CalendarDay.objects.filter(company=company).delete()
    Delivery.objects.filter(company=company).delete()
    Notification.objects.filter(company=company).delete()
    NotificationPreference.objects.filter(user__employee__company=company).delete()
    Webhook.objects.filter(company=company).delete()
    DataPoint.objects.filter(company=company).delete()
    IngestBatch.objects.filter(company=company).delete()
    Connector.objects.filter(company=company).delete()
    metrics = Metric.objects.filter(company=company)
    metrics.filter(aggregation=Metric.Aggregation.RATIO).delete()  # they protect their parts
    metrics.delete()
