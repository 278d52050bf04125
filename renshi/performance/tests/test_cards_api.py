"""Scorecards API: legal and illegal steps (409 ``transition``), stale versions (409
``conflict``), the score hidden from the employee before publication, items and batch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from renshi.performance.models import Plan, Scorecard, ScorecardItem
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db
P, S = Plan.Status, Scorecard.Status


def _post(client, name, card, body):
    url = reverse(f"api:performance-scorecards-{name}", kwargs={"pk": card.pk})
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    ("plan_status", "card_status", "step", "actor", "expected", "after"),
    [
        (P.ASSIGNING, S.DRAFT, "send", "head_east", 200, S.SENT),
        (P.ASSIGNING, S.SENT, "confirm", "emp_east", 200, S.CONFIRMED),
        (P.ASSIGNING, S.SENT, "object", "emp_east", 200, S.OBJECTED),
        (P.ASSIGNING, S.OBJECTED, "send", "head_east", 200, S.SENT),
        (P.SELF_EVALUATION, S.CONFIRMED, "self-evaluate", "emp_east", 200, S.SELF_EVALUATED),
        (P.ASSIGNING, S.CONFIRMED, "send", "head_east", 409, S.CONFIRMED),
        (P.ASSIGNING, S.CONFIRMED, "confirm", "emp_east", 409, S.CONFIRMED),
        (P.TRACKING, S.SENT, "confirm", "emp_east", 409, S.SENT),
        (P.TRACKING, S.CONFIRMED, "self-evaluate", "emp_east", 409, S.CONFIRMED),
        (P.MANAGER_EVALUATION, S.EVALUATED, "evaluate", "head_east", 409, S.EVALUATED),
        (P.SELF_EVALUATION, S.CONFIRMED, "self-evaluate", "head_east", 403, S.CONFIRMED),
        (P.MANAGER_EVALUATION, S.SELF_EVALUATED, "evaluate", "emp_east", 403, S.SELF_EVALUATED),
        (P.ASSIGNING, S.SENT, "confirm", "emp_prod", 404, S.SENT),
    ],
)
def test_api_steps(world, client_for, plan_status, card_status, step, actor, expected, after):
    pw = build_plan_world(world, plan_status=plan_status, card_status=card_status)
    card = pw.cards["emp_east"]
    response = _post(client_for(actor), step, card, {"version": 1, "reason": "目标太高"})
    assert response.status_code == expected, response.content
    if expected == 409:
        assert response.json()["error"]["code"] == "transition"
    assert Scorecard.objects.get(pk=card.pk).status == after


def test_api_evaluate_scores_and_hides_score_until_published(world, client_for):
    pw = build_plan_world(world, plan_status=P.MANAGER_EVALUATION, card_status=S.SELF_EVALUATED)
    card = pw.cards["emp_east"]
    items = {
        str(pw.items[("emp_east", k)].pk): {"rating": "5"} for k in ("teamwork", "communication")
    }
    response = _post(client_for("head_east"), "evaluate", card, {"version": 1, "items": items})
    assert response.status_code == 200, response.content
    assert response.json()["score"] is not None
    url = reverse("api:performance-scorecards-detail", kwargs={"pk": card.pk})
    mine = client_for("emp_east").get(url).json()
    assert "score" not in mine, mine
    assert "grade" not in mine and "trace" not in mine
    assert all("rating" not in i for i in mine["items"])
    assert all("target" in i and "actual" in i for i in mine["items"])
    Scorecard.objects.filter(pk=card.pk).update(status=S.PUBLISHED)
    assert client_for("emp_east").get(url).json()["score"] is not None


def test_api_stale_version_conflicts(world, client_for):
    pw = build_plan_world(world, plan_status=P.ASSIGNING, card_status=S.SENT)
    card = pw.cards["emp_east"]
    response = _post(client_for("emp_east"), "confirm", card, {"version": 9})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert Scorecard.objects.get(pk=card.pk).status == S.SENT


def test_api_items_and_batch(world, client_for):
    pw = build_plan_world(world, plan_status=P.ASSIGNING, card_status=S.DRAFT)
    card = pw.cards["emp_east"]
    sales = pw.indicators["sales"].pk
    url = reverse("api:performance-scorecards-items", kwargs={"pk": card.pk})
    client = client_for("head_east")
    body = {"version": 1, "items": {str(sales): {"weight": "60", "target": "20"}}}
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["version"] == 2
    assert (
        client.patch(
            url, body | {"items": {str(sales): {"target": "1"}}}, content_type="application/json"
        ).status_code
        == 409
    )
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk).target == 20
    batch = reverse("api:performance-scorecards-items-batch")
    rows = [
        {"scorecard": card.pk, "version": 2, "items": {str(sales): {"weight": "60"}}},
        {
            "scorecard": pw.cards["emp_east2"].pk,
            "version": 1,
            "items": {str(sales): {"target": "30"}},
        },
    ]
    response = client.post(batch, {"mode": "assign", "rows": rows}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east2", "sales")].pk).target == 30


def test_api_list_mine_and_comments(world, client_for):
    pw = build_plan_world(world, plan_status=P.TRACKING, card_status=S.CONFIRMED)
    response = client_for("emp_east").get(reverse("api:performance-scorecards-list"))
    assert [c["employee"]["name"] for c in response.json()["results"]] == ["郑员工"]
    item = pw.items[("emp_east", "sales")]
    url = reverse("api:performance-item-comments", kwargs={"pk": item.pk})
    assert (
        client_for("head_east")
        .post(url, {"body": "加油"}, content_type="application/json")
        .status_code
        == 201
    )
    assert [c["body"] for c in client_for("emp_east").get(url).json()] == ["加油"]
