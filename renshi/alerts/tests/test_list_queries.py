"""The alert list (page and API) costs the same number of queries for 1 or 6 alerts."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.test import APIClient

from renshi.alerts.models import Alert, AlertRecipient
from renshi.alerts.testing import sample_alert, sample_rule
from renshi.org.models import Employee
from tests.query_counts import queries

pytestmark = pytest.mark.django_db


def _more_alerts(world, n: int) -> None:
    rule = sample_rule(world)
    emp = world.employees["emp_east"]
    for i in range(n):
        alert = Alert.objects.create(
            company=world.company,
            rule=rule,
            subject_type=ContentType.objects.get_for_model(Employee),
            subject_id=emp.pk,
            subject_repr=emp.name,
            period_key=f"2025-{i}",
            scope_employee=emp,
            scope_department=emp.department,
            opened_on=datetime.date(2026, 10, 1),
            opened_at=timezone.now(),
            evaluated_on=datetime.date(2026, 10, 1),
            title={"t": "%(owner)s below pace", "p": {"owner": emp.name}},
            threshold=rule.threshold,
        )
        AlertRecipient.objects.create(alert=alert, user=world.users["head_east"], level=0)


@pytest.mark.parametrize("key", ["head_east", "gm"])
def test_alert_list_queries_do_not_grow(world, client_for, key):
    sample_alert(world)
    client = client_for(key)
    api = APIClient()
    api.force_authenticate(world.users[key])
    page_before = queries(client, "/alerts/?status=all")
    api_before = queries(api, "/api/v1/alerts/?status=all")
    _more_alerts(world, 5)
    assert queries(client, "/alerts/?status=all") == page_before
    assert queries(api, "/api/v1/alerts/?status=all") == api_before
