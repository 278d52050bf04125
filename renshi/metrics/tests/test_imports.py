"""Data-point upload: template, dry run with per-row errors (nothing written), all-or-nothing
commit, CSV encodings, pending batches private to their uploader."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from renshi.core import excel
from renshi.metrics import imports, periods
from renshi.metrics.models import DataPoint, IngestBatch, Metric, SubjectKind

HEADER = ["指标 metric", "对象 subject", "日期 date", "数值 value", "来源 source"]


def _year_2026(company_id):
    return [(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))]


@pytest.fixture
def metrics(world):
    periods.register_period_provider(_year_2026)
    acme = world.company
    m = {
        "new": Metric.objects.create(company=acme, key="crm.new_customers", name="新客户数"),
        "revenue": Metric.objects.create(
            company=acme, key="sales.revenue", name="销售额", subject_kind=SubjectKind.DEPARTMENT
        ),
        "headcount": Metric.objects.create(
            company=acme,
            key="company.headcount",
            name="人数",
            subject_kind=SubjectKind.COMPANY,
            aggregation="last",
        ),
    }
    yield m
    periods._providers.remove(_year_2026)


def xlsx(rows, header=HEADER) -> bytes:
    return excel.write_workbook([excel.SheetSpec(title="Data", header=header, rows=rows)])


def csv_bytes(rows, encoding="utf-8-sig", header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def good_rows(world):
    return [
        ["crm.new_customers", world.emp_east.employee_no, datetime.date(2026, 3, 1), 3, ""],
        ["crm.new_customers", world.emp_east2.employee_no, "2026-03-01", "4.5", "crm"],
        ["sales.revenue", "sales", "2026/03/31", 120, ""],
        ["company.headcount", "", "2026-03-31", 14, ""],
    ]


def post_file(client, name, data, url="metrics:upload"):
    return client.post(reverse(url), {"file": SimpleUploadedFile(name, data)})


def test_xlsx_dry_run_then_commit_writes_all(world, metrics, client_for):
    client = client_for("hrvp")
    response = post_file(client, "march.xlsx", xlsx(good_rows(world)))
    assert response.status_code == 302
    batch = IngestBatch.objects.get()
    assert batch.status == IngestBatch.Status.PENDING and batch.channel == "upload"
    assert batch.created_by == world.users["hrvp"] and len(batch.sha256) == 64
    assert DataPoint.objects.count() == 0  # a dry run writes nothing
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "crm.new_customers" in page.content.decode() and 'data-testid="upload-preview"' in (
        page.content.decode()
    )
    response = client.post(reverse("metrics:upload_commit", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == IngestBatch.Status.COMMITTED
    assert (batch.received, batch.accepted, batch.created, batch.rejected) == (4, 4, 4, 0)
    assert bytes(batch.content) == b""
    assert DataPoint.objects.count() == 4
    # one upload, one batch: the points' lineage is the upload itself
    assert IngestBatch.objects.count() == 1
    assert set(DataPoint.objects.values_list("batch_id", flat=True)) == {batch.pk}
    point = DataPoint.objects.get(subject_id=world.emp_east2.pk)
    assert point.value == Decimal("4.5") and point.source == "crm"
    assert DataPoint.objects.get(subject_id=world.emp_east.pk).source == "upload"
    revenue = DataPoint.objects.get(metric=metrics["revenue"])
    assert revenue.subject_id == world.sales.pk and revenue.date == datetime.date(2026, 3, 31)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings(world, metrics, client_for, encoding):
    client = client_for("hrvp")
    rows = good_rows(world)
    rows[0][4] = "客户系统"  # Chinese text survives every encoding
    response = post_file(client, "march.csv", csv_bytes(rows, encoding=encoding))
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = IngestBatch.objects.get()
    client.post(reverse("metrics:upload_commit", args=[batch.pk]))
    assert DataPoint.objects.count() == 4
    assert DataPoint.objects.get(subject_id=world.emp_east.pk).source == "客户系统"


def test_every_row_error_is_reported_and_nothing_is_stored(world, metrics, client_for):
    client = client_for("head_east")  # may write sales_east people only
    rows = [
        ["crm.unknown", world.emp_east.employee_no, "2026-03-01", 1, ""],  # row 2
        ["crm.new_customers", world.emp_prod.employee_no, "2026-03-01", 1, ""],  # 3: scope
        ["crm.new_customers", world.emp_east.employee_no, "2026-03-01", "abc", ""],  # 4
        ["crm.new_customers", world.emp_east.employee_no, "2025-06-01", 1, ""],  # 5: no period
        ["crm.new_customers", world.emp_east.employee_no, "March 1st", 1, ""],  # 6: bad date
        ["crm.new_customers", world.emp_east.employee_no, "2026-03-02", None, ""],  # 7
        ["crm.new_customers", "NOBODY", "2026-03-03", 1, ""],  # 8: unknown employee
        ["company.headcount", "", "2026-03-03", 1, ""],  # 9: company metric, not a manager
        ["crm.new_customers", world.emp_east.employee_no, "2026-04-01", 2, ""],  # 10: fine
    ]
    response = post_file(client, "bad.xlsx", xlsx(rows))
    assert response.status_code == 200
    summary = response.context["summary"]
    by_row = {(e["row"], e["column"]): e["message"] for e in summary["errors"]}
    assert (2, "metric") in by_row
    assert (3, "subject") in by_row and (4, "value") in by_row and (5, "date") in by_row
    assert (6, "date") in by_row and (7, "value") in by_row and (8, "subject") in by_row
    assert (9, "subject") in by_row
    assert not any(e["row"] == 10 for e in summary["errors"])
    assert summary["error_count"] == 8
    assert IngestBatch.objects.count() == 0 and DataPoint.objects.count() == 0
    html = response.content.decode()
    assert 'data-testid="upload-errors"' in html


def test_error_messages_in_english(world, metrics, client_for):
    from django.utils import translation

    with translation.override("en"):
        sheet = excel.Sheet(
            header=HEADER,
            rows=[
                (2, ("crm.unknown", "T0008", "2026-03-01", 1, None)),
                (3, ("crm.new_customers", "T0011", "2026-03-01", "x", None)),
                (4, ("crm.new_customers", "T0008", "2025-01-01", 1, None)),
            ],
        )
        points, errors = imports.parse_point_rows(sheet)
        check = imports.check_points(
            actor=world.users["head_east"], channel=imports.UPLOAD, points=points, errors=errors
        )
    messages = {(e.row, e.column): e.message for e in check.errors}
    assert messages[(2, "metric")] == "Unknown metric."
    assert messages[(3, "subject")] == "Unknown subject."  # out of scope: no leak
    assert "period" in messages[(4, "date")]


def test_missing_column_and_example_row(world, metrics):
    sheet = excel.Sheet(header=["指标", "日期"], rows=[(2, ("x", "2026-01-01"))])
    points, errors = imports.parse_point_rows(sheet)
    assert not points and errors[0].column == "value" and errors[0].row == 1
    sheet = excel.Sheet(
        header=["metric", "工号", "日期 date", "Value"],
        rows=[(2, ("#crm.new_customers", "E1", "2026-01-01", 1)), (3, ("m", "E", 46082, 2.0))],
    )
    points, errors = imports.parse_point_rows(sheet)
    assert errors == [] and len(points) == 1  # the example row is skipped
    assert points[0] == {
        "row": 3,
        "metric": "m",
        "subject": "E",
        "date": "2026-03-01",  # an Excel serial date
        "value": 2.0,
    }


def test_commit_twice_is_refused(world, metrics, client_for):
    client = client_for("hrvp")
    post_file(client, "march.xlsx", xlsx(good_rows(world)))
    batch = IngestBatch.objects.get(channel="upload")
    url = reverse("metrics:upload_commit", args=[batch.pk])
    assert client.post(url).status_code == 302
    again = client.post(url)
    assert again.status_code == 409
    assert "已提交或已失败" in again.content.decode() or "already" in again.content.decode()
    assert DataPoint.objects.count() == 4
    assert IngestBatch.objects.filter(channel="upload", status="committed").count() >= 1


def test_commit_revalidates_and_writes_nothing_when_a_row_became_invalid(
    world, metrics, client_for
):
    client = client_for("hrvp")
    post_file(client, "march.xlsx", xlsx(good_rows(world)))
    batch = IngestBatch.objects.get()
    Metric.objects.filter(key="sales.revenue").update(active=False)
    response = client.post(reverse("metrics:upload_commit", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == IngestBatch.Status.FAILED
    assert DataPoint.objects.count() == 0
    assert batch.errors and batch.errors[0]["row"] == 4  # the spreadsheet row
    page = client.get(reverse("metrics:upload_batch", args=[batch.pk]))
    assert 'data-testid="upload-errors"' in page.content.decode()


def test_pending_batch_is_private_to_its_uploader(world, metrics, client_for):
    post_file(client_for("hrvp"), "march.xlsx", xlsx(good_rows(world)))
    batch = IngestBatch.objects.get()
    for role in ("perf", "gm", "head_east"):
        client = client_for(role)
        assert client.get(reverse("metrics:upload_batch", args=[batch.pk])).status_code == 404
        assert client.post(reverse("metrics:upload_commit", args=[batch.pk])).status_code == 404
    assert (
        client_for("other_gm").get(reverse("metrics:upload_batch", args=[batch.pk])).status_code
        == 404
    )
    assert client_for("emp_east").get(reverse("metrics:upload")).status_code == 403
    batch.refresh_from_db()
    assert batch.status == IngestBatch.Status.PENDING and DataPoint.objects.count() == 0


def test_file_checks(world, metrics, client_for):
    client = client_for("hrvp")
    response = post_file(client, "data.txt", b"metric,value\n")
    assert response.status_code == 422
    response = post_file(client, "data.csv", b"metric,\x00\x01binary")
    assert response.status_code == 422
    response = post_file(client, "data.csv", xlsx(good_rows(world)))  # a workbook renamed
    assert response.status_code == 422
    response = post_file(client, "data.xlsx", b"not a zip")
    assert response.status_code == 422
    assert IngestBatch.objects.count() == 0


def test_template_lists_writable_metrics(world, metrics, client_for):
    response = client_for("hrvp").get(reverse("metrics:upload_template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    header = [c.value for c in book.worksheets[0][1]]
    assert header == [imports.header_label(c) for c in imports.POINT_COLUMNS]
    assert header[0].endswith(" metric") and header[3].endswith(" value")
    keys = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert "crm.new_customers" in keys and "company.headcount" in keys
    # a department head cannot write company metrics: not listed for them
    response = client_for("head_east").get(reverse("metrics:upload_template"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    keys = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert "crm.new_customers" in keys and "company.headcount" not in keys
    # the template itself uploads cleanly (the example row is ignored → no data rows)
    upload = post_file(client_for("hrvp"), "t.xlsx", response.content)
    assert upload.status_code == 200 and upload.context["summary"]["error_count"] == 1


def test_decode_csv():
    assert imports.decode_csv("\ufeffa,b".encode()) == "a,b"
    assert imports.decode_csv("指标".encode("gb18030")) == "指标"
    with pytest.raises(excel.ExcelError):
        imports.decode_csv(b"a\x00b")
