"""The alerts API: scope, filters, the calculation, closing by hand."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from renshi.alerts.models import Alert
from renshi.alerts.testing import sample_alert

pytestmark = pytest.mark.django_db


def api(world, key):
    client = APIClient()
    client.force_authenticate(world.users[key])
    return client


def test_list_is_scoped_and_filtered(world):
    alert = sample_alert(world)
    ids = [row["id"] for row in api(world, "head_east").get("/api/v1/alerts/").json()["results"]]
    assert ids == [alert.pk]
    assert api(world, "vp2").get("/api/v1/alerts/").json()["results"] == []
    assert api(world, "other_gm").get("/api/v1/alerts/").json()["results"] == []
    closed = api(world, "gm").get("/api/v1/alerts/?status=closed").json()["results"]
    assert closed == []
    assert api(world, "gm").get("/api/v1/alerts/?status=nonsense").status_code == 400


def test_detail_carries_the_calculation(world):
    alert = sample_alert(world)
    data = api(world, "emp_east").get(f"/api/v1/alerts/{alert.pk}/").json()
    assert data["id"] == alert.pk and data["status"] == "open"
    assert data["trace"] == alert.trace_text()
    assert api(world, "vp2").get(f"/api/v1/alerts/{alert.pk}/").status_code == 404


def test_resolve_by_a_manager_once(world):
    alert = sample_alert(world)
    refused = api(world, "emp_east").post(f"/api/v1/alerts/{alert.pk}/resolve/")
    assert refused.status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"
    done = api(world, "head_east").post(f"/api/v1/alerts/{alert.pk}/resolve/")
    assert done.status_code == 200 and done.json()["close_reason"] == "resolved"
    again = api(world, "head_east").post(f"/api/v1/alerts/{alert.pk}/resolve/")
    assert again.status_code == 409
