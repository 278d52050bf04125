"""points_validate / points_ingest: every rejection reason by name, upserts on the natural key,
atomic batches, the batch record and its audit, scopes of people and integration keys."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from renshi.api.services import api_key_create
from renshi.core.models import AuditLog
from renshi.metrics import signals
from renshi.metrics.models import DataPoint, IngestBatch
from renshi.metrics.services import BatchTooLarge, points_ingest, points_validate

D1 = "2026-03-01"


def _pt(world, metric="crm.new_customers", subject="emp_east", date=D1, value=3, **extra):
    subj = world.employees[subject].employee_no if subject in world.employees else subject
    return {"metric": metric, "subject": subj, "date": date, "value": value, **extra}


def _key(world, patterns=("crm.*",), scopes=("metrics.write",)):
    key, _secret = api_key_create(
        actor=world.users["hrvp"],
        name="CRM",
        scopes=list(scopes),
        metric_keys=list(patterns),
    )
    from renshi.api.authentication import ApiKeyPrincipal

    return ApiKeyPrincipal(key)


def test_ingest_creates_then_replaces_on_resend(
    world, catalogue, django_capture_on_commit_callbacks
):
    hrvp = world.users["hrvp"]
    points = [_pt(world, value=3), _pt(world, subject="emp_east2", value="4.5")]
    with django_capture_on_commit_callbacks(execute=True):
        result = points_ingest(actor=hrvp, points=points, channel="api", source="crm")
    assert (result.accepted, result.created, result.replaced, result.rejected) == (2, 2, 0, [])
    batch = result.batch
    assert batch.status == IngestBatch.Status.COMMITTED
    assert batch.created_by == hrvp and batch.metric_keys == ["crm.new_customers"]
    assert DataPoint.objects.count() == 2
    # resend with a new value: replaced, not doubled
    points[0]["value"] = 5
    result2 = points_ingest(actor=hrvp, points=points, channel="api", source="crm")
    assert (result2.accepted, result2.created, result2.replaced) == (2, 0, 2)
    assert DataPoint.objects.count() == 2
    point = DataPoint.objects.get(subject_id=world.emp_east.pk)
    assert point.value == Decimal("5") and point.batch_id == result2.batch.pk
    assert point.source == "crm"
    # another source is another point
    points_ingest(actor=hrvp, points=[_pt(world, source="erp")], channel="api", source="crm")
    assert DataPoint.objects.count() == 3
    # the batch is audited
    ct = ContentType.objects.get_for_model(IngestBatch)
    assert AuditLog.objects.filter(content_type=ct, object_id=str(batch.pk)).exists()


def test_signal_sent_on_commit_with_touched_subjects(
    world, catalogue, django_capture_on_commit_callbacks
):
    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs)

    signals.points_ingested.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = points_ingest(actor=world.users["hrvp"], points=[_pt(world)], channel="api")
    finally:
        signals.points_ingested.disconnect(listener)
    assert len(seen) == 1
    assert seen[0]["batch_id"] == result.batch.pk
    assert seen[0]["metric_ids"] == {catalogue["new"].pk}
    assert seen[0]["subjects"] == {("employee", world.emp_east.pk)}
    assert seen[0]["first_date"] == seen[0]["last_date"] == datetime.date(2026, 3, 1)


@pytest.mark.parametrize(
    "point, field, reason",
    [
        ({"metric": "crm.nope"}, "metric", "unknown_metric"),
        ({"metric": ""}, "metric", "required"),
        ({"metric": "crm.win_rate"}, "metric", "ratio"),
        ({"metric": "crm.other"}, "metric", "unknown_metric"),  # another company's
        ({"subject": "NOPE"}, "subject", "unknown_subject"),
        ({"subject": "other_emp"}, "subject", "unknown_subject"),  # another company's person
        ({"value": "abc"}, "value", "not_number"),
        ({"value": "NaN"}, "value", "not_number"),
        ({"value": True}, "value", "not_number"),
        ({"value": None}, "value", "required"),
        ({"value": "123456789012345"}, "value", "too_large"),
        ({"date": "2026-02-30"}, "date", "bad_date"),
        ({"date": "01/03/2026"}, "date", "bad_date"),
        ({"date": "2025-12-31"}, "date", "no_period"),
        ({"source": "x" * 65}, "source", "bad_source"),
        ({"source": 5}, "source", "bad_source"),
    ],
)
def test_each_rejection_reason(world, catalogue, point, field, reason):
    from renshi.metrics.services import _messages

    raw = _pt(world, **point)
    clean, rejected = points_validate(actor=world.users["hrvp"], points=[raw])
    assert clean == []
    assert [(r.index, r.field) for r in rejected] == [(0, field)]
    assert rejected[0].message == str(_messages()[reason])


def test_future_date_and_duplicates_and_non_objects(world, catalogue):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    points = [
        _pt(world, date=tomorrow),
        _pt(world),
        _pt(world, value=9),  # same natural key as #1
        "not an object",
        {"metric": "company.headcount", "subject": "", "date": D1, "value": 12},
        {"metric": "company.headcount", "subject": "acme", "date": D1, "value": 12},
        {"metric": "sales.revenue", "subject": "sales", "date": D1, "value": "1,200.5"},
    ]
    clean, rejected = points_validate(actor=world.users["hrvp"], points=points)
    assert [c.index for c in clean] == [1, 4, 6]
    assert clean[2].value == Decimal("1200.5000")
    assert [(r.index, r.field) for r in rejected] == [
        (0, "date"),
        (2, ""),
        (3, ""),
        (5, "subject"),
    ]
    assert "1" in rejected[1].message


def test_partial_batch_keeps_the_good_points(world, catalogue):
    points = [_pt(world), _pt(world, metric="crm.nope"), _pt(world, subject="emp_east2")]
    result = points_ingest(actor=world.users["perf"], points=points, channel="api")
    assert result.accepted == 2 and [r.index for r in result.rejected] == [1]
    assert DataPoint.objects.count() == 2
    assert result.batch.errors == [
        {"index": 1, "row": 2, "field": "metric", "message": result.rejected[0].message}
    ]


def test_atomic_batch_with_a_rejection_writes_nothing(world, catalogue):
    points = [_pt(world), _pt(world, value="x")]
    result = points_ingest(actor=world.users["hrvp"], points=points, channel="api", atomic=True)
    assert result.accepted == 0 and len(result.rejected) == 1
    assert DataPoint.objects.count() == 0
    assert result.batch.status == IngestBatch.Status.FAILED
    assert result.batch.received == 2 and result.batch.rejected == 1


@override_settings(METRICS_MAX_BATCH=3)
def test_oversized_batch_raises_before_anything(world, catalogue, django_assert_num_queries):
    points = [_pt(world)] * 4
    with django_assert_num_queries(0), pytest.raises(BatchTooLarge):
        points_ingest(actor=world.users["hrvp"], points=points, channel="api")
    with pytest.raises(BatchTooLarge):
        points_validate(actor=world.users["hrvp"], points=points)
    assert IngestBatch.objects.count() == 0


def test_person_scope_department_head(world, catalogue):
    # head_east writes for sales_east people and the department, not production or company
    points = [
        _pt(world, subject="emp_east"),
        _pt(world, subject="emp_prod"),
        {"metric": "sales.revenue", "subject": "sales_east", "date": D1, "value": 1},
        {"metric": "sales.revenue", "subject": "production", "date": D1, "value": 1},
        {"metric": "company.headcount", "date": D1, "value": 1},
    ]
    result = points_ingest(actor=world.users["head_east"], points=points, channel="upload")
    assert result.accepted == 2
    assert [(r.index, r.field) for r in result.rejected] == [
        (1, "subject"),
        (3, "subject"),
        (4, "subject"),
    ]


def test_people_without_ingest_rights_are_refused(world, catalogue):
    with pytest.raises(PermissionDenied):
        points_ingest(actor=world.users["emp_east"], points=[_pt(world)], channel="api")
    assert IngestBatch.objects.count() == 0 and DataPoint.objects.count() == 0


def test_api_key_patterns(world, catalogue):
    principal = _key(world, patterns=["crm.new_*"])
    points = [
        _pt(world),
        _pt(world, metric="crm.leads"),
        _pt(world, metric="attendance.rate"),
        {"metric": "company.headcount", "date": D1, "value": 1},
    ]
    result = points_ingest(actor=principal, points=points, channel="api", source="CRM")
    assert result.accepted == 1
    assert [(r.index, r.field) for r in result.rejected] == [
        (1, "metric"),
        (2, "metric"),
        (3, "metric"),
    ]
    assert result.batch.api_key_prefix == principal.api_key.prefix
    assert result.batch.created_by is None
    assert DataPoint.objects.get().source == "CRM"


def test_api_key_without_write_scope_is_refused(world, catalogue):
    principal = _key(world, patterns=[], scopes=["org.read"])
    with pytest.raises(PermissionDenied):
        points_ingest(actor=principal, points=[_pt(world)], channel="api")


def test_system_path_with_company(world, catalogue):
    result = points_ingest(
        actor=None, company=world.company, points=[_pt(world)], channel="attendance"
    )
    assert result.accepted == 1 and DataPoint.objects.get().source == "attendance"


def test_ingest_query_count_is_constant(world, catalogue, django_assert_max_num_queries):
    hrvp = world.users["hrvp"]
    points_ingest(actor=hrvp, points=[_pt(world)], channel="api")  # warm the scope cache
    many = [
        _pt(world, subject=k, date=f"2026-03-{d:02d}")
        for k in ("emp_east", "emp_east2", "emp_prod")
        for d in range(1, 29)
    ]
    many += [
        {"metric": "sales.revenue", "subject": c, "date": D1, "value": 2} for c in ("sales", "rnd")
    ]
    with django_assert_max_num_queries(12):
        result = points_ingest(actor=hrvp, points=many, channel="api")
    assert result.accepted == len(many)
