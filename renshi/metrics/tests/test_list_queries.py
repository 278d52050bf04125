"""The metrics lists (catalogue, points, batches, connectors) cost the same number of queries
however many rows they show."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from renshi.metrics.models import Connector, DataPoint, IngestBatch, Metric, SubjectKind
from tests.query_counts import queries

from .conftest import make_metric

pytestmark = pytest.mark.django_db

LISTS = ["/metrics/", "/metrics/points/", "/metrics/batches/", "/metrics/connectors/"]


def _rows(world, start: int, n: int) -> None:
    acme = world.company
    for i in range(start, start + n):
        metric = make_metric(acme, f"crm.m{i}", name=f"指标{i}", unit="个")
        ratio = make_metric(
            acme, f"crm.r{i}", aggregation="ratio", numerator=metric, denominator=metric
        )
        batch = IngestBatch.objects.create(
            company=acme, channel="upload", status="committed", created_by=world.users["hrvp"]
        )
        for key in ("emp_east", "emp_prod"):
            DataPoint.objects.create(
                company=acme, metric=metric, subject_kind=SubjectKind.EMPLOYEE,
                subject_id=world.employees[key].pk, date=datetime.date(2026, 3, i + 1),
                value=Decimal(i), source="crm", received_at=timezone.now(), batch=batch,
            )  # fmt: skip
        DataPoint.objects.create(
            company=acme, metric=ratio, subject_kind=SubjectKind.DEPARTMENT,
            subject_id=world.departments["sales"].pk, date=datetime.date(2026, 3, i + 1),
            value=Decimal(1), source="erp", received_at=timezone.now(), batch=batch,
        )  # fmt: skip
        Connector.objects.create(
            company=acme, name=f"CRM {i}", url="http://127.0.0.1:9/x",
            mapping={"metric": metric.key}, created_by=world.users["hrvp"],
        )  # fmt: skip


def test_metric_lists_queries_do_not_grow(world, client_for, period_2026):
    client = client_for("hrvp")
    _rows(world, 0, 1)
    before = {url: queries(client, url) for url in LISTS}
    _rows(world, 1, 5)
    assert Metric.objects.count() == 12
    assert {url: queries(client, url) for url in LISTS} == before
