"""metric_aggregate(s): every aggregation, several sources, last value tie-breaks, ratios with
missing or zero denominators, lineage, and constant query counts for many subjects."""

from __future__ import annotations

import datetime
from decimal import Decimal

from renshi.metrics.models import DataPoint, SubjectKind
from renshi.metrics.selectors import aggregate_points, metric_aggregate, metric_aggregates
from renshi.metrics.services import points_ingest

from .conftest import make_metric

START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def send(world, key, rows, source="crm"):
    points = [
        {"metric": key, "subject": world.employees[s].employee_no, "date": d, "value": v}
        for s, d, v in rows
    ]
    return points_ingest(actor=world.users["hrvp"], points=points, channel="api", source=source)


ROWS = [("emp_east", "2026-01-05", 2), ("emp_east", "2026-02-05", 6), ("emp_east", "2026-03-05", 4)]


def test_sum_avg_max_min_last(world, period_2026):
    expected = {"sum": "12", "avg": "4", "max": "6", "min": "2", "last": "4"}
    for aggregation, value in expected.items():
        metric = make_metric(world.company, f"m.{aggregation}", aggregation=aggregation)
        send(world, metric.key, ROWS)
        agg = metric_aggregate(metric=metric, subject_id=world.emp_east.pk, start=START, end=END)
        assert agg.value == Decimal(value), aggregation
        assert agg.count == 3
        assert agg.trace and metric.key in agg.trace[0]
    # a narrower period
    metric = make_metric(world.company, "m.window")
    send(world, metric.key, ROWS)
    agg = metric_aggregate(
        metric=metric,
        subject_id=world.emp_east.pk,
        start=datetime.date(2026, 2, 1),
        end=datetime.date(2026, 2, 28),
    )
    assert (agg.value, agg.count) == (Decimal(6), 1)


def test_no_points_is_none(world, period_2026):
    metric = make_metric(world.company, "m.empty")
    agg = metric_aggregate(metric=metric, subject_id=world.emp_east.pk, start=START, end=END)
    assert (agg.value, agg.count) == (None, 0)
    assert agg.trace


def test_every_source_counts_and_last_prefers_latest_received(world, period_2026):
    total = make_metric(world.company, "m.total")
    send(world, total.key, [("emp_east", "2026-01-05", 2)], source="crm")
    send(world, total.key, [("emp_east", "2026-01-05", 3)], source="erp")
    agg = metric_aggregate(metric=total, subject_id=world.emp_east.pk, start=START, end=END)
    assert agg.value == Decimal(5) and agg.count == 2
    last = make_metric(world.company, "m.last", aggregation="last")
    send(world, last.key, [("emp_east", "2026-01-05", 2)], source="crm")
    send(world, last.key, [("emp_east", "2026-01-05", 7)], source="erp")
    agg = metric_aggregate(metric=last, subject_id=world.emp_east.pk, start=START, end=END)
    assert agg.value == Decimal(7)
    points, total_points = aggregate_points(
        metric=last, subject_id=world.emp_east.pk, start=START, end=END
    )
    assert [p.source for p in points] == ["erp"] and total_points == 1


def test_ratio(world, catalogue):
    east = world.emp_east.pk
    send(world, "crm.won", [("emp_east", "2026-01-05", 3), ("emp_east2", "2026-01-05", 1)])
    agg = metric_aggregate(metric=catalogue["rate"], subject_id=east, start=START, end=END)
    assert agg.value is None and "crm.leads" in agg.trace[-1]
    send(world, "crm.leads", [("emp_east", "2026-01-05", 12), ("emp_east2", "2026-01-05", 0)])
    result = metric_aggregates(
        metric=catalogue["rate"], subject_ids=[east, world.emp_east2.pk], start=START, end=END
    )
    assert result[east].value == Decimal("0.25") and result[east].count == 2
    assert result[world.emp_east2.pk].value is None
    assert " 0" in result[world.emp_east2.pk].trace[-1]
    points, total = aggregate_points(
        metric=catalogue["rate"], subject_id=east, start=START, end=END
    )
    assert total == 2 and {p.metric.key for p in points} == {"crm.won", "crm.leads"}


def test_bulk_is_constant_queries(world, period_2026, django_assert_num_queries):
    metric = make_metric(world.company, "m.bulk")
    last = make_metric(world.company, "m.bulk_last", aggregation="last")
    people = ["emp_east", "emp_east2", "emp_prod", "head_east", "head_prod"]
    rows = [(p, f"2026-01-{d:02d}", d) for p in people for d in range(1, 11)]
    send(world, metric.key, rows)
    send(world, last.key, rows)
    ids = [world.employees[p].pk for p in people]
    with django_assert_num_queries(1):
        result = metric_aggregates(metric=metric, subject_ids=ids, start=START, end=END)
    assert all(result[pk].value == Decimal(55) for pk in ids)
    with django_assert_num_queries(2):
        result = metric_aggregates(metric=last, subject_ids=ids, start=START, end=END)
    assert all(result[pk].value == Decimal(10) and result[pk].count == 10 for pk in ids)
    assert DataPoint.objects.filter(subject_kind=SubjectKind.EMPLOYEE).count() == 100
