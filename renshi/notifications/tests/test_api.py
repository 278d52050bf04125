"""/api/v1/notifications/ — own inbox only; integration keys get nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from renshi.notifications import services
from renshi.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.urls("renshi.notifications.tests.api_urls")]


def _notify(world, key):
    return services.notification_send(
        company_id=world.company.pk,
        recipients=[world.users[key]],
        event="feedback.comment",
        title=f"给{key}",
    )[0]


def _client(user):
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def test_list_read_and_read_all(world):
    mine, mine2, other = (
        _notify(world, "emp_east"),
        _notify(world, "emp_east"),
        _notify(world, "emp_prod"),
    )
    c = _client(world.users["emp_east"])
    data = c.get(reverse("api:notifications-list")).json()
    assert {r["id"] for r in data["results"]} == {mine.pk, mine2.pk}
    r = c.post(reverse("api:notifications-read", args=[mine.pk]))
    assert r.status_code == 200 and r.json()["read"] is True
    data = c.get(reverse("api:notifications-list") + "?unread=1").json()
    assert [r["id"] for r in data["results"]] == [mine2.pk]
    assert c.post(reverse("api:notifications-read", args=[other.pk])).status_code == 404
    assert c.post(reverse("api:notifications-read-all")).json() == {"marked": 1}
    other.refresh_from_db()
    assert other.read_at is None


def test_anonymous_refused(world):
    assert _client(None).get(reverse("api:notifications-list")).status_code in (401, 403)
    assert Notification.objects.count() == 0
