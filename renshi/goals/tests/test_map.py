"""Strategy maps: services (services_map.py) and pages (views_map.py)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.core.concurrency import ConflictError
from renshi.goals import services_map as svc
from renshi.goals.models import (
    CauseEffectLink,
    Goal,
    KeySuccessFactor,
    PaceSettings,
    StrategyMap,
)

pytestmark = pytest.mark.django_db

Y27 = {"period_start": datetime.date(2027, 1, 1), "period_end": datetime.date(2027, 12, 31)}


# --- maps -----------------------------------------------------------------------------------


def test_bsc_map_gets_the_four_perspectives_with_chinese_names(world):
    smap = svc.strategy_map_create(actor=world.users["gm"], name="2027 战略", **Y27)
    assert smap.company_id == world.company.pk
    lanes = list(smap.perspectives.order_by("order").values_list("key", "name"))
    assert lanes == [
        ("financial", "财务"),
        ("customer", "客户"),
        ("process", "内部流程"),
        ("learning", "学习与成长"),
    ]


def test_okr_map_has_no_perspectives(world):
    smap = svc.strategy_map_create(actor=world.users["perf"], name="OKR 2027", mode="okr", **Y27)
    assert not smap.perspectives.exists()


@pytest.mark.parametrize("role", ["hrvp", "vp1", "head_sales", "emp_east"])
def test_only_gm_and_performance_manager_create_maps(world, role):
    with pytest.raises(PermissionDenied):
        svc.strategy_map_create(actor=world.users[role], name="x", **Y27)
    assert not StrategyMap.objects.exists()


def test_map_period_must_be_ordered(world):
    with pytest.raises(ValidationError):
        svc.strategy_map_create(
            actor=world.users["gm"],
            name="x",
            period_start=datetime.date(2027, 2, 1),
            period_end=datetime.date(2027, 1, 1),
        )


def test_map_update_is_versioned_and_checked(world, goal_world):
    smap = goal_world.strategy_map
    svc.strategy_map_update(actor=world.users["gm"], strategy_map=smap, version=1, name="新名称")
    with pytest.raises(ConflictError):
        svc.strategy_map_update(actor=world.users["perf"], strategy_map=smap, version=1, name="y")
    with pytest.raises(PermissionDenied):
        svc.strategy_map_update(actor=world.users["vp1"], strategy_map=smap, version=2, name="z")
    with pytest.raises(Http404):
        svc.strategy_map_update(
            actor=world.users["other_gm"], strategy_map=smap, version=2, name="z"
        )
    smap.refresh_from_db()
    assert (smap.name, smap.version) == ("新名称", 2)


def test_switching_to_okr_is_refused_while_objectives_sit_in_lanes(world, goal_world):
    smap = goal_world.strategy_map
    with pytest.raises(ValidationError):
        svc.strategy_map_update(actor=world.users["gm"], strategy_map=smap, version=1, mode="okr")
    assert smap.perspectives.count() == 4
    empty = svc.strategy_map_create(actor=world.users["gm"], name="空", **Y27)
    svc.strategy_map_update(actor=world.users["gm"], strategy_map=empty, version=1, mode="okr")
    assert not empty.perspectives.exists()
    svc.strategy_map_update(actor=world.users["gm"], strategy_map=empty, version=2, mode="bsc")
    assert empty.perspectives.count() == 4


def test_perspective_rename(world, goal_world):
    lane = goal_world.perspectives["financial"]
    svc.perspective_rename(actor=world.users["perf"], perspective=lane, name="财务维度")
    with pytest.raises(PermissionDenied):
        svc.perspective_rename(actor=world.users["vp1"], perspective=lane, name="改")
    lane.refresh_from_db()
    assert (lane.name, lane.order) == ("财务维度", 1)


# --- links ----------------------------------------------------------------------------------


def _objective(world, goal_world, title, perspective):
    return Goal.objects.create(
        company=world.company,
        strategy_map=goal_world.strategy_map,
        level=Goal.Level.COMPANY,
        perspective=goal_world.perspectives[perspective] if perspective else None,
        title=title,
        start_date=goal_world.strategy_map.period_start,
        deadline=goal_world.strategy_map.period_end,
    )


def test_links_go_upwards_or_stay_in_a_lane(world, goal_world):
    gm, smap = world.users["gm"], goal_world.strategy_map
    # learning → financial skips lanes but goes upwards: allowed
    svc.link_create(
        actor=gm, strategy_map=smap, cause=goal_world.obj_cert, effect=goal_world.obj_revenue
    )
    # same lane
    other_fin = _objective(world, goal_world, "利润率", "financial")
    svc.link_create(actor=gm, strategy_map=smap, cause=other_fin, effect=goal_world.obj_revenue)
    # downwards: financial → customer refused
    with pytest.raises(ValidationError):
        svc.link_create(
            actor=gm,
            strategy_map=smap,
            cause=goal_world.obj_revenue,
            effect=goal_world.obj_retention,
        )
    # a loop inside a lane: revenue → 利润率 would close 利润率 → revenue
    with pytest.raises(ValidationError):
        svc.link_create(actor=gm, strategy_map=smap, cause=goal_world.obj_revenue, effect=other_fin)
    # duplicates and department goals refused
    with pytest.raises(ValidationError):
        svc.link_create(
            actor=gm, strategy_map=smap, cause=goal_world.obj_cert, effect=goal_world.obj_cycle
        )
    with pytest.raises(ValidationError):
        svc.link_create(
            actor=gm, strategy_map=smap, cause=goal_world.dg_rnd, effect=goal_world.obj_revenue
        )
    unplaced = _objective(world, goal_world, "未归类", None)
    with pytest.raises(ValidationError):
        svc.link_create(actor=gm, strategy_map=smap, cause=unplaced, effect=goal_world.obj_revenue)
    assert CauseEffectLink.objects.filter(strategy_map=smap).count() == 5  # 3 seeded + 2


def test_okr_links_any_direction_but_no_loops(world):
    gm = world.users["gm"]
    smap = svc.strategy_map_create(actor=gm, name="OKR", mode="okr", **Y27)
    a, b = (
        Goal.objects.create(
            company=world.company,
            strategy_map=smap,
            level=Goal.Level.COMPANY,
            title=t,
            start_date=smap.period_start,
            deadline=smap.period_end,
        )
        for t in ("O1", "O2")
    )
    svc.link_create(actor=gm, strategy_map=smap, cause=a, effect=b)
    with pytest.raises(ValidationError):
        svc.link_create(actor=gm, strategy_map=smap, cause=b, effect=a)


def test_links_are_for_map_editors(world, goal_world):
    link = CauseEffectLink.objects.get(cause=goal_world.obj_cert)
    with pytest.raises(PermissionDenied):
        svc.link_delete(actor=world.users["vp1"], link=link)
    with pytest.raises(Http404):
        svc.link_delete(actor=world.users["other_gm"], link=link)
    with pytest.raises(PermissionDenied):
        svc.link_create(
            actor=world.users["hrvp"],
            strategy_map=goal_world.strategy_map,
            cause=goal_world.obj_cert,
            effect=goal_world.obj_revenue,
        )
    assert CauseEffectLink.objects.count() == 3
    svc.link_delete(actor=world.users["perf"], link=link)
    assert CauseEffectLink.objects.count() == 2


def test_success_factors(world, goal_world):
    f = svc.success_factor_add(
        actor=world.users["gm"], goal=goal_world.obj_retention, text="售后 48 小时回访"
    )
    assert f.company_id == world.company.pk
    with pytest.raises(ValidationError):
        svc.success_factor_add(actor=world.users["gm"], goal=goal_world.dg_sales, text="x")
    with pytest.raises(PermissionDenied):
        svc.success_factor_add(actor=world.users["vp1"], goal=goal_world.obj_revenue, text="x")
    with pytest.raises(PermissionDenied):
        svc.success_factor_delete(actor=world.users["emp_east"], factor=f)
    assert KeySuccessFactor.objects.count() == 1


# --- pace settings --------------------------------------------------------------------------


def test_pace_settings_validation_and_versions(world):
    perf = world.users["perf"]
    s = svc.pace_settings_update(actor=perf, on_track=D("0.95"), at_risk=D("0.8"))
    assert (s.on_track, s.at_risk, s.version) == (D("0.95"), D("0.8"), 1)
    for on, risk in [("0.7", "0.8"), ("0.8", "0.8"), ("1.6", "0.8"), ("0.9", "0")]:
        with pytest.raises(ValidationError):
            svc.pace_settings_update(actor=perf, on_track=D(on), at_risk=D(risk), version=1)
    svc.pace_settings_update(actor=world.users["gm"], on_track=D("1.5"), at_risk=D("1"), version=1)
    with pytest.raises(ConflictError):
        svc.pace_settings_update(actor=perf, on_track=D("0.9"), at_risk=D("0.7"), version=1)
    with pytest.raises(PermissionDenied):
        svc.pace_settings_update(actor=world.users["vp1"], on_track=D("0.9"), at_risk=D("0.7"))
    s.refresh_from_db()
    assert (s.on_track, s.at_risk, s.version) == (D("1.5"), D("1"), 2)
    assert PaceSettings.objects.count() == 1


# --- pages ------------------------------------------------------------------------------------


def test_map_detail_lanes_cards_links_and_chart_data(world, goal_world, client_for):
    url = reverse("goals:map_detail", kwargs={"pk": goal_world.strategy_map.pk})
    response = client_for("emp_east").get(url)
    html = response.content.decode()
    lanes = [
        html.index(f'data-lane="{k}"') for k in ("financial", "customer", "process", "learning")
    ]
    assert lanes == sorted(lanes)  # financial on top … learning at the bottom
    assert "营收增长 35%" in html and "57.1%" in html
    assert 'id="map-data"' in html and "goals/map.js" in html
    assert 'data-testid="map-links"' in html
    assert reverse("goals:map_edit", kwargs={"pk": goal_world.strategy_map.pk}) not in html
    chart = response.context["chart"]
    assert len(chart["nodes"]) == 4 and len(chart["links"]) == 3
    assert {"source": str(goal_world.obj_cert.pk), "target": str(goal_world.obj_cycle.pk)} in chart[
        "links"
    ]
    json.dumps(chart)  # what json_script sends
    gm_html = client_for("gm").get(url).content.decode()
    assert reverse("goals:map_edit", kwargs={"pk": goal_world.strategy_map.pk}) in gm_html
    assert "?level=company" in gm_html


def test_okr_map_detail_has_no_lanes(world, client_for):
    smap = svc.strategy_map_create(actor=world.users["gm"], name="OKR", mode="okr", **Y27)
    Goal.objects.create(
        company=world.company,
        strategy_map=smap,
        level=Goal.Level.COMPANY,
        title="O1 做大数据中心",
        start_date=smap.period_start,
        deadline=smap.period_end,
    )
    html = client_for("vp1").get(smap.get_absolute_url()).content.decode()
    assert "O1 做大数据中心" in html
    assert 'data-lane="financial"' not in html
    assert "card-header" not in html.split('id="lanes-heading"')[1].split("links-heading")[0]


def test_map_detail_query_count_does_not_grow(world, goal_world, client_for):
    url = reverse("goals:map_detail", kwargs={"pk": goal_world.strategy_map.pk})
    client = client_for("vp2")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(15):
        g = _objective(world, goal_world, f"目标 {i}", "customer")
        svc.success_factor_add(actor=world.users["gm"], goal=g, text=f"因素 {i}")
        svc.link_create(
            actor=world.users["gm"],
            strategy_map=goal_world.strategy_map,
            cause=g,
            effect=goal_world.obj_revenue,
        )
    assert count() == before


def test_map_list_and_create_pages(world, goal_world, client_for):
    html = client_for("emp_prod").get(reverse("goals:map_list")).content.decode()
    assert "2026 战略" in html and reverse("goals:map_create") not in html
    client = client_for("perf")
    response = client.post(
        reverse("goals:map_create"),
        {
            "name": "2027 战略",
            "mode": "bsc",
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
        },
    )
    smap = StrategyMap.objects.get(name="2027 战略")
    assert response.status_code == 302 and response["Location"] == smap.get_absolute_url()
    assert smap.perspectives.count() == 4
    bad = client.post(
        reverse("goals:map_create"),
        {
            "name": "2027 战略",
            "mode": "bsc",
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
        },
    )
    assert bad.status_code == 422  # the name is taken
    assert StrategyMap.objects.filter(name="2027 战略").count() == 1


def test_map_edit_actions(world, goal_world, client_for):
    smap = goal_world.strategy_map
    url = reverse("goals:map_edit", kwargs={"pk": smap.pk})
    client = client_for("gm")
    assert client.get(url).status_code == 200
    lane = goal_world.perspectives["learning"]
    r = client.post(url, {"action": "rename", "perspective": lane.pk, "name": "学习成长"})
    assert r.status_code == 302
    lane.refresh_from_db()
    assert lane.name == "学习成长"
    r = client.post(
        url,
        {
            "action": "link_add",
            "cause": goal_world.obj_revenue.pk,
            "effect": goal_world.obj_cert.pk,
        },
    )
    assert r.status_code == 422  # refused: downwards
    assert CauseEffectLink.objects.count() == 3
    link = CauseEffectLink.objects.get(cause=goal_world.obj_cert)
    assert client.post(url, {"action": "link_delete", "link": link.pk}).status_code == 302
    assert not CauseEffectLink.objects.filter(pk=link.pk).exists()
    r = client.post(
        url, {"action": "factor_add", "goal": goal_world.obj_cert.pk, "text": "云认证培训计划"}
    )
    assert r.status_code == 302 and KeySuccessFactor.objects.count() == 1
    r = client.post(
        url,
        {
            "action": "map",
            "name": "2026 战略（修订）",
            "mission": smap.mission,
            "mode": "bsc",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "version": 1,
        },
    )
    assert r.status_code == 302
    stale = client.post(
        url,
        {
            "action": "map",
            "name": "过期",
            "mode": "bsc",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "version": 1,
        },
    )
    assert stale.status_code == 409
    smap.refresh_from_db()
    assert smap.name == "2026 战略（修订）"


def test_pace_settings_page(world, client_for):
    url = reverse("goals:pace_settings")
    html = client_for("emp_east").get(url).content.decode()
    assert "0.9" in html and '<form method="post" class="card' not in html
    r = client_for("perf").post(url, {"on_track": "0.7", "at_risk": "0.8"})
    assert r.status_code == 422 and not PaceSettings.objects.exists()
    r = client_for("perf").post(url, {"on_track": "0.95", "at_risk": "0.75"})
    assert r.status_code == 302
    assert PaceSettings.objects.get().on_track == D("0.95")
