"""POST/GET /api/v1/metrics/points/ and GET /api/v1/metrics/: keys' scopes and patterns,
people's rights, partial/atomic batches, oversized batches, Idempotency-Key, bad input."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from renshi.core.models import IdempotencyRecord
from renshi.metrics.models import DataPoint, IngestBatch

from .conftest import key_client, key_for

URL = "/api/v1/metrics/points/"
pytestmark = pytest.mark.usefixtures("metrics_api_urls")


def pts(world, n=2, metric="crm.new_customers", value=1):
    people = ["emp_east", "emp_east2", "emp_prod"]
    return [
        {
            "metric": metric,
            "subject": world.employees[people[i % 3]].employee_no,
            "date": f"2026-03-{1 + i // 3:02d}",
            "value": value,
        }
        for i in range(n)
    ]


def person(world, key):
    client = APIClient()
    client.force_login(world.users[key])
    return client


def test_key_sends_a_batch(world, catalogue, django_assert_max_num_queries):
    _key, secret = key_for(world)
    client = key_client(secret)
    with django_assert_max_num_queries(14):
        response = client.post(URL, {"points": pts(world, 30)}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["accepted"] == 30 and body["created"] == 30 and body["rejected"] == []
    assert DataPoint.objects.count() == 30
    assert set(DataPoint.objects.values_list("source", flat=True)) == {"CRM"}
    batch = IngestBatch.objects.get(pk=body["batch"])
    assert batch.channel == "api" and batch.api_key_prefix == _key.prefix
    # a resend replaces
    again = client.post(URL, {"points": pts(world, 30, value=2), "source": "crm2"}, format="json")
    assert again.json()["created"] == 30  # another source: new points
    third = client.post(URL, {"points": pts(world, 30, value=3)}, format="json")
    assert (third.json()["created"], third.json()["replaced"]) == (0, 30)
    assert DataPoint.objects.count() == 60


def test_partial_batch_is_207_and_keeps_the_good_points(world, catalogue):
    _key, secret = key_for(world)
    points = pts(world, 3)
    points[1]["value"] = "lots"
    points.append({"metric": "crm.nope", "subject": "T0008", "date": "2026-03-01", "value": 1})
    points.append(
        {"metric": "crm.new_customers", "subject": "ZZZ", "date": "2026-03-01", "value": 1}
    )
    points.append(
        {"metric": "crm.new_customers", "subject": "T0008", "date": "2025-01-01", "value": 1}
    )
    response = key_client(secret).post(URL, {"points": points}, format="json")
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "value"),
        (3, "metric"),
        (4, "subject"),
        (5, "date"),
    ]
    assert all(r["message"] for r in body["rejected"])
    assert DataPoint.objects.count() == 2


def test_atomic_batch_is_refused_with_nothing_written(world, catalogue):
    _key, secret = key_for(world)
    points = pts(world, 3)
    points[2]["value"] = "x"
    response = key_client(secret).post(URL, {"points": points, "atomic": True}, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "batch_refused"
    assert error["details"]["rejected"][0]["index"] == 2
    assert DataPoint.objects.count() == 0
    assert IngestBatch.objects.get().status == IngestBatch.Status.FAILED


@override_settings(METRICS_MAX_BATCH=5)
def test_oversized_batch_is_413_and_writes_nothing(world, catalogue):
    _key, secret = key_for(world)
    response = key_client(secret).post(URL, {"points": pts(world, 6)}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert response.json()["error"]["details"] == {"received": 6, "limit": 5}
    assert DataPoint.objects.count() == 0 and IngestBatch.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"points": []},
        {"points": "x"},
        {"rows": []},
        {"points": [{}], "atomic": "yes"},
        {"points": [{}], "extra": 1},
        {"points": [{}], "source": "s" * 65},
    ],
)
def test_not_a_batch_is_400(world, catalogue, body):
    _key, secret = key_for(world)
    response = key_client(secret).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert IngestBatch.objects.count() == 0


def test_key_patterns_limit_the_metrics(world, catalogue):
    _key, secret = key_for(world, patterns=["attendance.*"])
    response = key_client(secret).post(URL, {"points": pts(world, 1)}, format="json")
    assert response.status_code == 207
    assert response.json()["rejected"][0]["field"] == "metric"
    assert DataPoint.objects.count() == 0


def test_keys_without_write_scope_and_reads_are_refused(world, catalogue):
    _key, secret = key_for(world, patterns=[], scopes=["org.read"])
    client = key_client(secret)
    assert client.post(URL, {"points": pts(world, 1)}, format="json").status_code == 403
    assert client.get("/api/v1/metrics/").status_code == 403
    _key2, secret2 = key_for(world)
    writer = key_client(secret2)
    assert writer.get(URL).status_code == 403  # keys never read points
    listing = writer.get("/api/v1/metrics/")
    assert listing.status_code == 200
    assert "crm.new_customers" in {m["key"] for m in listing.json()["results"]}
    assert "crm.other" not in {m["key"] for m in listing.json()["results"]}
    assert DataPoint.objects.count() == 0


@pytest.mark.parametrize("who, status", [("perf", 200), ("head_east", 207), ("emp_east", 403)])
def test_people_post_in_their_scope(world, catalogue, who, status):
    response = person(world, who).post(URL, {"points": pts(world, 3)}, format="json")
    assert response.status_code == status
    expected = {200: 3, 207: 2, 403: 0}[status]
    assert DataPoint.objects.count() == expected
    if status == 207:
        assert DataPoint.objects.filter(source="api").count() == 2


def test_idempotency_key_replays_and_refuses_another_body(world, catalogue):
    _key, secret = key_for(world)
    client = key_client(secret)
    body = {"points": pts(world, 3)}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == 200
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert second.status_code == 200 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert IngestBatch.objects.count() == 1
    other = client.post(
        URL, {"points": pts(world, 2)}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert IngestBatch.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_get_points_through_the_access_layer(world, catalogue):
    key_client(key_for(world)[1]).post(URL, {"points": pts(world, 6)}, format="json")
    perf = person(world, "perf").get(URL, {"metric": "crm.new_customers"})
    assert perf.status_code == 200 and perf.json()["count"] == 6
    row = perf.json()["results"][0]
    assert set(row) == {
        "id",
        "metric",
        "subject",
        "date",
        "value",
        "source",
        "received_at",
        "batch",
    }
    assert row["subject"]["code"].startswith("T")
    head = person(world, "head_east").get(URL)
    assert head.json()["count"] == 4  # emp_east and emp_east2, not emp_prod
    emp = person(world, "emp_east").get(URL, {"subject": world.emp_prod.employee_no})
    assert emp.json()["count"] == 0
    dated = person(world, "perf").get(URL, {"from": "2026-03-02", "to": "2026-03-02"})
    assert dated.json()["count"] == 3
    assert person(world, "perf").get(URL, {"metric": "nope"}).status_code == 400
    assert person(world, "perf").get(URL, {"from": "x"}).status_code == 400
    assert APIClient().get(URL).status_code in (401, 403)
