"""Catalogue pages: list, create with validation (ratio, pace curve, unique key), edit with a
stale version, built-in metrics, key immutable once points exist; points and batch pages."""

from __future__ import annotations

import pytest

from renshi.metrics.models import Metric
from renshi.metrics.services import metric_create, metric_update, points_ingest


def form(**extra):
    data = {
        "key": "crm.calls",
        "name": "电话数",
        "subject_kind": "employee",
        "aggregation": "sum",
        "active": "on",
    }
    data.update(extra)
    return data


def test_list_and_detail(world, catalogue, client_for):
    client = client_for("emp_east")
    page = client.get("/metrics/")
    assert page.status_code == 200 and "crm.new_customers" in page.content.decode()
    assert "crm.other" not in page.content.decode()
    assert client.get(f"/metrics/{catalogue['new'].pk}/").status_code == 200
    assert client.get(f"/metrics/{catalogue['other'].pk}/").status_code == 404


def test_create_and_validation(world, catalogue, client_for):
    client = client_for("perf")
    assert client.post("/metrics/new/", form()).status_code == 302
    assert Metric.objects.filter(key="crm.calls", created_by=world.users["perf"]).exists()
    count = Metric.objects.count()
    bad = [
        form(),  # duplicate key
        form(key="Bad Key"),
        form(key="crm.r1", aggregation="ratio"),  # no numerator / denominator
        form(
            key="crm.r2",
            aggregation="ratio",
            numerator=catalogue["won"].pk,
            denominator=catalogue["revenue"].pk,
        ),
        form(key="crm.p1", pace_curve="1,2,3"),
        form(key="crm.p2", pace_curve=",".join(["0"] * 12)),
        form(key="crm.p3", pace_curve=",".join(["-1"] + ["1"] * 11)),
    ]
    for data in bad:
        response = client.post("/metrics/new/", data)
        assert response.status_code == 422, data
    assert Metric.objects.count() == count
    ok = form(
        key="crm.r3",
        aggregation="ratio",
        numerator=catalogue["won"].pk,
        denominator=catalogue["leads"].pk,
        pace_curve=",".join(["1"] * 12),
    )
    assert client.post("/metrics/new/", ok).status_code == 302
    assert Metric.objects.get(key="crm.r3").pace_curve == [1.0] * 12


def test_only_managers_create(world, catalogue, client_for):
    assert client_for("gm").post("/metrics/new/", form()).status_code == 403
    assert not Metric.objects.filter(key="crm.calls").exists()


def test_edit_stale_version_conflicts(world, catalogue, client_for):
    metric = catalogue["new"]
    client = client_for("hrvp")
    data = form(key=metric.key, name="改名", version=metric.version)
    assert client.post(f"/metrics/{metric.pk}/edit/", data).status_code == 302
    stale = client.post(
        f"/metrics/{metric.pk}/edit/", form(key=metric.key, name="再改", version=metric.version)
    )
    assert stale.status_code == 409
    metric.refresh_from_db()
    assert metric.name == "改名"


def test_ratio_cannot_use_itself(world, catalogue):
    rate = catalogue["rate"]
    with pytest.raises(Exception) as info:
        metric_update(actor=world.users["hrvp"], metric=rate, version=rate.version, numerator=rate)
    assert "numerator" in info.value.message_dict


def test_built_in_only_name_and_description(world, catalogue, client_for):
    metric = catalogue["attendance"]
    with pytest.raises(Exception) as info:
        metric_update(actor=world.users["hrvp"], metric=metric, version=None, aggregation="sum")
    assert "aggregation" in info.value.message_dict
    client = client_for("hrvp")
    response = client.post(
        f"/metrics/{metric.pk}/edit/",
        form(key="attendance.hacked", name="出勤率", aggregation="max", version=metric.version),
    )
    assert response.status_code == 302
    metric.refresh_from_db()
    assert (metric.key, metric.name, metric.aggregation) == ("attendance.rate", "出勤率", "avg")


def test_key_immutable_once_points_exist(world, catalogue):
    metric = catalogue["new"]
    points_ingest(
        actor=world.users["hrvp"],
        points=[
            {
                "metric": metric.key,
                "subject": world.emp_east.employee_no,
                "date": "2026-03-01",
                "value": 1,
            }
        ],
        channel="api",
    )
    with pytest.raises(Exception) as info:
        metric_update(actor=world.users["hrvp"], metric=metric, version=None, key="crm.renamed")
    assert "key" in info.value.message_dict


def test_bootstrap_create(world):
    metric = metric_create(
        actor=None, company=world.company, key="attendance.days", name="出勤天数", built_in=True
    )
    assert metric.built_in


def test_points_and_batches_pages(world, catalogue, client_for):
    result = points_ingest(
        actor=world.users["hrvp"],
        points=[
            {
                "metric": "crm.new_customers",
                "subject": world.emp_east.employee_no,
                "date": "2026-03-01",
                "value": 2,
            },
            {
                "metric": "crm.new_customers",
                "subject": world.emp_prod.employee_no,
                "date": "2026-03-01",
                "value": 5,
            },
            {"metric": "crm.nope", "subject": "x", "date": "2026-03-01", "value": 1},
        ],
        channel="api",
    )
    head = client_for("head_east").get("/metrics/points/", {"metric": "crm.new_customers"})
    body = head.content.decode()
    assert (
        head.status_code == 200 and world.emp_east.name in body and world.emp_prod.name not in body
    )
    perf = client_for("perf")
    detail = perf.get(f"/metrics/batches/{result.batch.pk}/")
    assert detail.status_code == 200 and "batch-errors" in detail.content.decode()
    assert perf.get("/metrics/batches/").status_code == 200
    assert client_for("head_east").get(f"/metrics/batches/{result.batch.pk}/").status_code == 404
    ratio = perf.get("/metrics/points/", {"metric": "crm.win_rate"})
    assert ratio.status_code == 200
