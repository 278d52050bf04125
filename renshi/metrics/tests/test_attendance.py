"""Attendance import: the built-in metrics (idempotent), the file checks per row, the commit,
and the rate over a quarter as Σ present / Σ scheduled (not the mean of monthly rates)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from renshi.core import excel
from renshi.metrics import imports, periods
from renshi.metrics.models import DataPoint, IngestBatch, Metric

HEADER = ["工号", "月份", "应出勤天数", "实际出勤天数", "请假天数"]


def _year_2026(company_id):
    return [(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))]


@pytest.fixture
def period(world):
    periods.register_period_provider(_year_2026)
    yield
    periods._providers.remove(_year_2026)


def xlsx(rows, header=HEADER) -> bytes:
    return excel.write_workbook([excel.SheetSpec(title="考勤", header=header, rows=rows)])


def post(client, name, data):
    return client.post(
        reverse("metrics:attendance_import"), {"file": SimpleUploadedFile(name, data)}
    )


def test_ensure_is_idempotent(world):
    first = imports.attendance_metrics_ensure(company=world.company)
    again = imports.attendance_metrics_ensure(company=world.company)
    assert {k: m.pk for k, m in first.items()} == {k: m.pk for k, m in again.items()}
    rate = again["attendance.rate"]
    assert rate.aggregation == Metric.Aggregation.RATIO and rate.built_in and rate.unit == "%"
    assert rate.numerator == again["attendance.days_present"]
    assert rate.denominator == again["attendance.days_scheduled"]
    assert again["attendance.days_scheduled"].aggregation == "sum"
    assert Metric.objects.filter(company=world.company).count() == 3
    # another company gets its own
    imports.attendance_metrics_ensure(company=world.other_company)
    assert Metric.objects.filter(company=world.other_company, built_in=True).count() == 3


def test_ensure_refuses_to_redefine_a_metric_of_another_kind(world):
    Metric.objects.create(company=world.company, key="attendance.rate", name="x", aggregation="avg")
    with pytest.raises(ValidationError):
        imports.attendance_metrics_ensure(company=world.company)


def test_import_and_quarter_rate(world, period, client_for):
    east, east2 = world.emp_east.employee_no, world.emp_east2.employee_no
    rows = [
        [east, "2026-01", 22, 22, 0],
        [east, datetime.date(2026, 2, 15), 18, 15, 3],  # a date cell: its month
        [east, "2026年3月", 23, 20, 3],
        [east2, "2026/03", 23, 23, None],
        ["#E0001", "2026-03", 22, 21, None],  # the example row is ignored
    ]
    client = client_for("hrvp")
    response = post(client, "q1.xlsx", xlsx(rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = IngestBatch.objects.get(channel="attendance")
    assert batch.status == "pending" and DataPoint.objects.count() == 0
    assert client.get(response["Location"]).status_code == 200
    response = client.post(reverse("metrics:attendance_commit", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.accepted == 8
    points = DataPoint.objects.filter(subject_id=world.emp_east.pk)
    assert {p.date for p in points} == {
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
        datetime.date(2026, 3, 1),
    }
    assert {p.source for p in points} == {"attendance"}
    present = points.filter(metric__key="attendance.days_present")
    assert sum(p.value for p in present) == Decimal("57")
    # the quarter: 57 / 63 = 0.9048 — not the mean of the monthly rates (0.9010)
    from renshi.metrics.selectors import metric_aggregate

    rate = Metric.objects.get(company=world.company, key="attendance.rate")
    result = metric_aggregate(
        metric=rate,
        subject_id=world.emp_east.pk,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
    )
    expected = Decimal(57) / Decimal(63)
    mean_of_months = (Decimal(22) / 22 + Decimal(15) / 18 + Decimal(20) / 23) / 3
    assert abs(result.value - expected) < Decimal("0.0001")
    assert abs(result.value - mean_of_months) > Decimal("0.001")
    # a re-import of March replaces, does not add
    response = post(client, "march.xlsx", xlsx([[east, "2026-03", 23, 22, 1]]))
    batch2 = IngestBatch.objects.filter(channel="attendance", status="pending").get()
    client.post(reverse("metrics:attendance_commit", args=[batch2.pk]))
    batch2.refresh_from_db()
    assert (batch2.created, batch2.replaced) == (0, 2)


def test_every_row_error_and_nothing_written(world, period, client_for):
    east = world.emp_east.employee_no
    rows = [
        ["NOBODY", "2026-03", 22, 20, None],  # 2 unknown employee
        [east, "2026-13", 22, 20, None],  # 3 bad month
        [east, "2026-04", 20, 22, None],  # 4 present > scheduled
        [east, "2026-05", 40, 20, None],  # 5 more than 31 days
        [east, "2026-06", 20, -1, None],  # 6 negative
        [east, "2026-07", "二十", 20, None],  # 7 not a number
        [east, "2025-12", 22, 20, None],  # 8 outside every period
        [east, "2026-08", 22, 20, None],  # 9 fine
        [east, "2026-08-20", 22, 21, None],  # 10 same employee and month as row 9
        [east, "", 22, 20, None],  # 11 month missing
    ]
    response = post(client_for("hrvp"), "bad.xlsx", xlsx(rows))
    assert response.status_code == 200
    errors = response.context["summary"]["errors"]
    by_row = {}
    for e in errors:
        by_row.setdefault(e["row"], set()).add(e["column"])
    assert by_row == {
        2: {"employee_no"},
        3: {"month"},
        4: {"present"},
        5: {"scheduled"},
        6: {"present"},
        7: {"scheduled"},
        8: {"month"},
        10: {""},
        11: {"month"},
    }
    assert IngestBatch.objects.count() == 0 and DataPoint.objects.count() == 0


def test_csv_gb18030_and_permission(world, period, client_for):
    text = (
        "工号,月份,应出勤天数,实际出勤天数\r\n" + f"{world.emp_prod.employee_no},2026-03,21,21\r\n"
    )
    response = post(client_for("perf"), "考勤.csv", text.encode("gb18030"))
    assert response.status_code == 302
    # department heads upload data points but do not import attendance
    assert post(client_for("head_east"), "a.csv", text.encode()).status_code == 403
    assert client_for("head_east").get(reverse("metrics:attendance_template")).status_code == 403
    assert client_for("hrvp").get(reverse("metrics:attendance_template")).status_code == 200


def test_parse_month():
    assert imports.parse_month("2026-3") == datetime.date(2026, 3, 1)
    assert imports.parse_month("2026年12月") == datetime.date(2026, 12, 1)
    assert imports.parse_month(datetime.datetime(2026, 5, 17, 0, 0)) == datetime.date(2026, 5, 1)
    assert imports.parse_month("2026-00") is None and imports.parse_month("May") is None
