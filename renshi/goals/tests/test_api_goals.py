"""The goals REST API: scope per role, 404 out of scope, integration keys, writes through the
services (version → 409), the tree as nested JSON, target suggestions, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from renshi.api.services import api_key_create
from renshi.goals.models import Goal, TargetSuggestion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def api_for(world):
    def make(key: str) -> APIClient:
        client = APIClient()
        client.force_login(world.users[key])
        return client

    return make


def key_client(world, scopes):
    _key, secret = api_key_create(actor=world.users["hrvp"], name="BI", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def keys_of(goal_world, pks):
    return {k for k, g in goal_world.goals.items() if g.pk in pks}


def test_goal_list_follows_the_scope(world, goal_world, api_for):
    everyone = set(goal_world.goals) - {"kpi_east", "kpi_east2"}
    assert keys_of(goal_world, ids(api_for("emp_prod").get("/api/v1/goals/"))) == everyone
    assert keys_of(goal_world, ids(api_for("emp_east").get("/api/v1/goals/"))) == everyone | {
        "kpi_east"
    }
    assert keys_of(goal_world, ids(api_for("head_east").get("/api/v1/goals/"))) == set(
        goal_world.goals
    )
    assert ids(api_for("other_gm").get("/api/v1/goals/")) == set()


def test_goal_list_filters(world, goal_world, api_for):
    client = api_for("gm")
    smap = goal_world.strategy_map.pk
    got = client.get(f"/api/v1/goals/?map={smap}&level=individual")
    assert keys_of(goal_world, ids(got)) == {"kpi_east", "kpi_east2"}
    got = client.get(f"/api/v1/goals/?department={world.production.pk}")
    assert keys_of(goal_world, ids(got)) == {"dg_prod", "dg_downtime"}
    got = client.get(f"/api/v1/goals/?owner={world.emp_east2.pk}")
    assert keys_of(goal_world, ids(got)) == {"kpi_east2"}
    # an id the caller may not see is an error, not a silent empty list
    got = api_for("emp_prod").get(f"/api/v1/goals/?owner={world.emp_east.pk}")
    assert got.status_code == 400
    assert "owner" in got.json()["error"]["details"]
    assert client.get("/api/v1/goals/?level=boss").status_code == 400


def test_goal_detail_has_progress_pace_trace_and_chain(world, goal_world, api_for):
    response = api_for("emp_east").get(f"/api/v1/goals/{goal_world.kpi_east.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body["title"] == "新客户数"
    assert body["owner"] == {"id": world.emp_east.pk, "name": world.emp_east.name}
    assert Decimal(body["progress"]["value"]) == Decimal("0.5")
    assert body["progress"]["trace"]
    assert body["pace"]["status"] in ("on_track", "at_risk", "behind", "not_started", "none")
    assert [c["id"] for c in body["chain"]] == [
        goal_world.obj_revenue.pk,
        goal_world.dg_sales.pk,
        goal_world.kpi_east.pk,
    ]


@pytest.mark.parametrize("who", ["vp2", "emp_prod", "other_gm"])
def test_goal_out_of_scope_is_404(world, goal_world, api_for, who):
    assert api_for(who).get(f"/api/v1/goals/{goal_world.kpi_east.pk}/").status_code == 404


def test_strategy_map_detail(world, goal_world, api_for):
    body = api_for("emp_prod").get(f"/api/v1/strategy-maps/{goal_world.strategy_map.pk}/").json()
    assert body["mission"] == "成为区域领先的数据中心服务商"
    assert [p["key"] for p in body["perspectives"]] == [
        "financial",
        "customer",
        "process",
        "learning",
    ]
    assert [o["id"] for o in body["objectives"]] == [
        goal_world.obj_revenue.pk,
        goal_world.obj_retention.pk,
        goal_world.obj_cycle.pk,
        goal_world.obj_cert.pk,
    ]
    assert [(link["cause"], link["effect"]) for link in body["links"]] == [
        (goal_world.obj_cert.pk, goal_world.obj_cycle.pk),
        (goal_world.obj_cycle.pk, goal_world.obj_retention.pk),
        (goal_world.obj_retention.pk, goal_world.obj_revenue.pk),
    ]
    other = api_for("other_gm").get(f"/api/v1/strategy-maps/{goal_world.strategy_map.pk}/")
    assert other.status_code == 404


def test_tree_is_nested_and_scoped(world, goal_world, api_for):
    body = api_for("head_east").get(f"/api/v1/goals/tree/?map={goal_world.strategy_map.pk}")
    body = body.json()
    roots = {r["id"]: r for r in body["roots"]}
    assert set(roots) == {
        goal_world.obj_revenue.pk,
        goal_world.obj_retention.pk,
        goal_world.obj_cycle.pk,
        goal_world.obj_cert.pk,
    }
    revenue = roots[goal_world.obj_revenue.pk]
    sales = next(c for c in revenue["children"] if c["id"] == goal_world.dg_sales.pk)
    assert {c["id"] for c in sales["children"]} == {
        goal_world.kpi_east.pk,
        goal_world.kpi_east2.pk,
    }
    assert sales["pace_colour"]
    # emp_prod does not see the sales people's KPIs
    body = api_for("emp_prod").get("/api/v1/goals/tree/").json()  # default: the latest map
    revenue = next(r for r in body["roots"] if r["id"] == goal_world.obj_revenue.pk)
    sales = next(c for c in revenue["children"] if c["id"] == goal_world.dg_sales.pk)
    assert sales["children"] == []
    assert api_for("gm").get("/api/v1/goals/tree/?map=x").status_code == 400
    assert api_for("other_gm").get(f"/api/v1/goals/tree/?map={goal_world.strategy_map.pk}")
    assert (
        api_for("other_gm").get(f"/api/v1/goals/tree/?map={goal_world.strategy_map.pk}").status_code
        == 404
    )


def test_api_key_with_goals_read_reads_but_never_writes(world, goal_world):
    client = key_client(world, ["goals.read"])
    assert client.get("/api/v1/goals/").json()["count"] == len(goal_world.goals)
    assert client.get("/api/v1/goals/tree/").status_code == 200
    assert client.get("/api/v1/strategy-maps/").status_code == 200
    kpi = goal_world.kpi_east
    assert client.patch(f"/api/v1/goals/{kpi.pk}/", {"version": 1, "title": "x"}).status_code == 403
    response = client.post(
        f"/api/v1/goals/{kpi.pk}/target-suggestions/",
        {"method": "share", "inputs": {"parent_target": "18", "people": "6"}},
        format="json",
    )
    assert response.status_code == 403
    assert not TargetSuggestion.objects.exists()
    org_only = key_client(world, ["org.read"])
    assert org_only.get("/api/v1/goals/").status_code == 403
    assert org_only.get("/api/v1/goals/tree/").status_code == 403


def test_patch_goal_with_version_and_conflict(world, goal_world, api_for):
    client = api_for("head_east")
    url = f"/api/v1/goals/{goal_world.kpi_east.pk}/"
    response = client.patch(url, {"version": 1, "target": "15"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["target"] == "15.0000"
    assert response["ETag"] == '"2"'
    stale = client.patch(url, {"version": 1, "target": "16"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_version"] == 2
    missing = client.patch(url, {"target": "16"}, format="json")
    assert missing.status_code == 428
    unknown = client.patch(url, {"version": 2, "status": "closed"}, format="json")
    assert unknown.status_code == 400
    goal_world.kpi_east.refresh_from_db()
    assert (goal_world.kpi_east.target, goal_world.kpi_east.version) == (Decimal(15), 2)


def test_create_goal_through_the_service(world, goal_world, api_for):
    response = api_for("head_east").post(
        "/api/v1/goals/",
        {
            "strategy_map": goal_world.strategy_map.pk,
            "level": "individual",
            "title": "回款额",
            "parent": goal_world.dg_sales.pk,
            "owner": world.emp_east2.pk,
            "target": "30",
            "unit": "万元",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    goal = Goal.objects.get(pk=response.json()["id"])
    assert (goal.level, goal.owner, goal.department) == (
        "individual",
        world.emp_east2,
        world.sales_east,
    )
    assert goal.created_by == world.users["head_east"]


def test_target_suggestion_round_trip(world, goal_world, api_for):
    client = api_for("head_east")
    kpi = goal_world.kpi_east
    response = client.post(
        f"/api/v1/goals/{kpi.pk}/target-suggestions/",
        {
            "method": "share",
            "inputs": {"parent_target": "18", "people": "6", "per": "month", "places": "0"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["value"] == "1.0000"
    assert body["decision"] == "pending"
    # stored in the language of the request (zh-hans by default); docs/goals.md "Targets"
    assert body["derivation"][0] == "分摊：每季度 18 ÷ 6 人 = 每人每季度 3"
    sid = body["id"]
    listed = client.get(f"/api/v1/goals/{kpi.pk}/target-suggestions/").json()
    assert [s["id"] for s in listed["results"]] == [sid]
    # viewers read the list too
    assert api_for("emp_east").get(f"/api/v1/goals/{kpi.pk}/target-suggestions/").status_code == 200

    base = f"/api/v1/goals/{kpi.pk}/target-suggestions/{sid}/"
    stale = client.post(base + "accept/", {"goal_version": 7}, format="json")
    assert stale.status_code == 409
    no_reason = client.post(
        base + "override/", {"goal_version": 1, "value": "2", "reason": " "}, format="json"
    )
    assert no_reason.status_code == 400
    denied = api_for("emp_east").post(base + "accept/", {"goal_version": 1}, format="json")
    assert denied.status_code == 403
    accepted = client.post(base + "accept/", {"goal_version": 1}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["suggestion"]["decision"] == "accepted"
    assert accepted.json()["goal"]["target"] == "1.0000"
    replay = client.post(base + "accept/", {"goal_version": 2}, format="json")
    assert replay.status_code == 400
    # a suggestion id under another goal is not found
    other = f"/api/v1/goals/{goal_world.kpi_east2.pk}/target-suggestions/{sid}/accept/"
    assert client.post(other, {"goal_version": 2}, format="json").status_code == 404


def test_bad_target_inputs_are_field_errors(world, goal_world, api_for):
    response = api_for("gm").post(
        f"/api/v1/goals/{goal_world.kpi_east.pk}/target-suggestions/",
        {"method": "pipeline", "inputs": {"prospects": "lots", "conversion": "30"}},
        format="json",
    )
    assert response.status_code == 400
    assert "prospects" in response.json()["error"]["details"]
    assert not TargetSuggestion.objects.exists()


def _more_goals(world, goal_world, n):
    parent = goal_world.dg_sales
    for i in range(n):
        Goal.objects.create(
            company=world.company,
            strategy_map=goal_world.strategy_map,
            level=Goal.Level.INDIVIDUAL,
            parent=parent,
            owner=world.emp_east if i % 2 else world.emp_east2,
            department=world.sales_east,
            title=f"KPI {i}",
            target=Decimal(10),
            actual=Decimal(i % 10),
            baseline=Decimal(0),
            start_date=parent.start_date,
            deadline=parent.deadline,
        )


@pytest.mark.parametrize(
    "url",
    ["/api/v1/goals/?page_size=200", "/api/v1/goals/tree/", "/api/v1/strategy-maps/"],
)
def test_list_query_counts_do_not_grow(world, goal_world, api_for, url, django_assert_num_queries):
    client = api_for("head_east")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _more_goals(world, goal_world, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_suggestion_list_query_count(world, goal_world, api_for, django_assert_num_queries):
    from renshi.goals.services_targets import target_suggest

    client = api_for("head_east")
    url = f"/api/v1/goals/{goal_world.kpi_east.pk}/target-suggestions/"

    def add(n):
        for _ in range(n):
            target_suggest(
                actor=world.users["head_east"],
                goal=goal_world.kpi_east,
                method="history",
                inputs={"actuals": "3,4,5", "stretch": "10"},
            )

    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(10)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()["results"]) == 11


def test_employee_proposes_own_key_result_through_the_api(world, goal_world, api_for):
    body = {
        "strategy_map": goal_world.strategy_map.pk,
        "parent": goal_world.dg_sales.pk,
        "title": "老客户复购",
        "measure": "复购客户数",
        "unit": "个",
        "target": "5",
    }
    response = api_for("emp_east").post("/api/v1/goals/propose/", body, format="json")
    assert response.status_code == 201, response.json()
    goal = Goal.objects.get(pk=response.json()["id"])
    assert goal.status == Goal.Status.PROPOSED
    assert goal.owner == world.emp_east and goal.level == Goal.Level.INDIVIDUAL
    # owner, department and status are not the caller's to choose
    before = Goal.objects.count()
    for extra in ({"owner": world.emp_east2.pk}, {"status": "active"}, {"department": 1}):
        response = api_for("emp_east").post("/api/v1/goals/propose/", body | extra, format="json")
        assert response.status_code == 400, extra
    assert Goal.objects.count() == before


def test_propose_refuses_goals_of_another_company(world, goal_world, api_for):
    body = {
        "strategy_map": goal_world.strategy_map.pk,
        "parent": goal_world.dg_sales.pk,
        "title": "x",
    }
    before = Goal.objects.count()
    assert (
        api_for("other_gm").post("/api/v1/goals/propose/", body, format="json").status_code == 400
    )
    assert Goal.objects.count() == before
