"""Fixtures of the metrics tests: a small catalogue on top of ``world`` and a collection period
(2026) registered as a period provider for the duration of the test."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache

from renshi.metrics import periods
from renshi.metrics.models import Metric, SubjectKind

YEAR_START = datetime.date(2026, 1, 1)
YEAR_END = datetime.date(2026, 12, 31)


def _year_2026(company_id: int):
    return [(YEAR_START, YEAR_END)]


@pytest.fixture
def period_2026():
    periods.register_period_provider(_year_2026)
    yield (YEAR_START, YEAR_END)
    periods._providers.remove(_year_2026)


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    yield
    cache.clear()


def make_metric(company, key, *, kind=SubjectKind.EMPLOYEE, aggregation="sum", **extra):
    return Metric.objects.create(
        company=company,
        key=key,
        name=extra.pop("name", key),
        subject_kind=kind,
        aggregation=aggregation,
        **extra,
    )


@pytest.fixture
def catalogue(world, period_2026):
    """crm.new_customers (employee, sum), crm.leads / crm.won (employee, sum),
    crm.win_rate (won / leads), sales.revenue (department, sum), company.headcount (company,
    last), attendance.rate (employee, average, built in), plus a metric of the other company."""
    acme = world.company
    m = {}
    m["new"] = make_metric(acme, "crm.new_customers", name="新客户数", unit="个")
    m["leads"] = make_metric(acme, "crm.leads")
    m["won"] = make_metric(acme, "crm.won")
    m["rate"] = make_metric(
        acme, "crm.win_rate", aggregation="ratio", numerator=m["won"], denominator=m["leads"]
    )
    m["revenue"] = make_metric(acme, "sales.revenue", kind=SubjectKind.DEPARTMENT, unit="万元")
    m["headcount"] = make_metric(
        acme, "company.headcount", kind=SubjectKind.COMPANY, aggregation="last"
    )
    m["attendance"] = make_metric(acme, "attendance.rate", aggregation="avg", built_in=True)
    m["other"] = make_metric(world.other_company, "crm.other")
    return m


@pytest.fixture
def metrics_api_urls(settings):
    """Route /api/v1/metrics/ even before renshi.api.urls includes it."""
    from django.urls import NoReverseMatch, clear_url_caches, reverse

    try:
        reverse("api:metrics-points")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "renshi.metrics.tests.urls_api"
        clear_url_caches()
    yield
    clear_url_caches()


def key_for(world, patterns=("crm.*",), scopes=("metrics.write",), name="CRM"):
    """An integration key of acme (made by the HR VP) and its secret."""
    from renshi.api.services import api_key_create

    return api_key_create(
        actor=world.users["hrvp"], name=name, scopes=list(scopes), metric_keys=list(patterns)
    )


def key_client(secret: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client
