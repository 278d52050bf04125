"""The inbox (page and API) and the chat-robot list cost the same number of queries however
many rows they show."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from renshi.notifications.models import Delivery, Webhook
from renshi.notifications.services import notification_send
from tests.query_counts import queries

pytestmark = pytest.mark.django_db


def _rows(world, n: int) -> None:
    for i in range(n):
        hook = Webhook.objects.create(
            company=world.company, kind="wecom", name=f"群机器人 {i}",
            url=f"https://qyapi.example/send?key={i}", events=["goals.approved"],
        )  # fmt: skip
        notification_send(
            company_id=world.company.pk,
            recipients=[world.users["hrvp"]],
            event="goals.approved",
            title=f"通知 {i}",
            url="/goals/mine/",
            target=hook,
            actor=world.users["gm"],
        )
    assert Delivery.objects.filter(channel="webhook").exists()


def test_inbox_and_robot_lists_queries_do_not_grow(world, client_for):
    client = client_for("hrvp")
    api = APIClient()
    api.force_authenticate(world.users["hrvp"])
    urls = ["/inbox/", "/inbox/?filter=unread", "/inbox/robots/"]
    _rows(world, 1)
    before = [queries(client, u) for u in urls] + [queries(api, "/api/v1/notifications/")]
    _rows(world, 6)
    after = [queries(client, u) for u in urls] + [queries(api, "/api/v1/notifications/")]
    assert after == before
