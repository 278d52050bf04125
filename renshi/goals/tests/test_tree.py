"""The alignment tree (selectors.tree_progress, goal_chain, the tree page): the seeds' numbers,
scope per role, filters, drill-down and a query count that does not grow with the goals."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from renshi.goals import progress as p
from renshi.goals import selectors
from renshi.goals.models import Goal
from renshi.goals.services_map import pace_settings_update

pytestmark = pytest.mark.django_db

MID = datetime.date(2026, 7, 2)  # 182 of 364 days: 50 % of 2026 elapsed


def tree_for(world, goal_world, key, **kw):
    return selectors.tree_progress(
        user=world.users[key], strategy_map=goal_world.strategy_map, today=MID, **kw
    )


def by_key(goal_world, tree):
    ids = {g.pk: k for k, g in goal_world.goals.items()}
    return {ids[pk]: node for pk, node in tree.nodes.items()}


def test_the_seeds_numbers(world, goal_world):
    nodes = by_key(goal_world, tree_for(world, goal_world, "gm"))
    value = {k: n.progress.value for k, n in nodes.items()}
    # kpi_east: (6 − 0) / (12 − 0) = 50 %; kpi_east2: 12 / 12 = 100 %
    assert value["kpi_east"] == D("0.5") and value["kpi_east2"] == 1
    # dg_sales: own (65 − 50) / (80 − 50) = 50 % wins; from children (1 × 50 % + 1 × 100 %) / 2
    assert value["dg_sales"] == D("0.5")
    assert nodes["dg_sales"].from_children.value == D("0.75")
    # dg_prod: (900 − 800) / (1000 − 800) = 50 %
    assert value["dg_prod"] == D("0.5")
    # obj_revenue: own (120 − 100) / (135 − 100) = 20/35 = 57.1 %;
    # from children (3 × 50 % + 1 × 50 %) / 4 = 50 %
    assert nodes["obj_revenue"].progress.percent == "57.1%"
    assert nodes["obj_revenue"].from_children.value == D("0.5")
    trace = nodes["obj_revenue"].from_children.trace
    assert "汇总：(3 × 50.0% + 1 × 50.0%) / 4 = 50.0%" in [str(s) for s in trace]  # zh-hans
    with translation.override("en"):
        assert "roll-up: (3 × 50.0% + 1 × 50.0%) / 4 = 50.0%" in [str(s) for s in trace]
    # obj_retention: (83 − 80) / (85 − 80) = 60 %; dg_downtime lower is better:
    # (1.5 − 2) / (1 − 2) = 50 %
    assert value["obj_retention"] == D("0.6") and value["dg_downtime"] == D("0.5")
    # obj_cycle and dg_rnd: (3.5 − 4) / (3 − 4) = 50 %; obj_cert: (55 − 40) / (70 − 40) = 50 %
    assert value["obj_cycle"] == value["dg_rnd"] == value["obj_cert"] == D("0.5")
    # pace at mid-year (50 % elapsed): 50 % → ratio 1.00 on track; kpi_east2 done
    assert nodes["kpi_east"].pace.status == p.ON_TRACK
    assert nodes["kpi_east2"].pace.status == p.DONE
    assert nodes["obj_revenue"].pace.status == p.ON_TRACK  # 57.1 % ÷ 50 % = 1.14


def test_pace_uses_the_company_thresholds(world, goal_world):
    # at 1 Oct: 273 / 364 = 75 % elapsed; 50 % ÷ 75 % = 0.67 → behind by default (< 0.7)
    october = datetime.date(2026, 10, 1)
    tree = selectors.tree_progress(
        user=world.users["gm"], strategy_map=goal_world.strategy_map, today=october
    )
    assert tree.nodes[goal_world.dg_prod.pk].pace.status == p.BEHIND
    pace_settings_update(actor=world.users["perf"], on_track=D("0.8"), at_risk=D("0.6"))
    tree = selectors.tree_progress(
        user=world.users["gm"], strategy_map=goal_world.strategy_map, today=october
    )
    assert tree.nodes[goal_world.dg_prod.pk].pace.status == p.AT_RISK  # 0.67 ≥ 0.6


@pytest.mark.parametrize(
    ("role", "sees_kpis"),
    [
        ("gm", {"kpi_east", "kpi_east2"}),
        ("perf", {"kpi_east", "kpi_east2"}),
        ("vp1", {"kpi_east", "kpi_east2"}),
        ("head_sales", {"kpi_east", "kpi_east2"}),
        ("vp2", set()),
        ("head_prod", set()),
        ("emp_east", {"kpi_east"}),
        ("emp_prod", set()),
    ],
)
def test_tree_scope_per_role(world, goal_world, role, sees_kpis):
    nodes = by_key(goal_world, tree_for(world, goal_world, role))
    assert {k for k in nodes if k.startswith("kpi")} == sees_kpis
    assert {"obj_revenue", "dg_sales", "dg_downtime", "obj_cert"} <= set(nodes)


def test_other_company_gets_an_empty_tree_and_a_404(world, goal_world, client_for):
    assert tree_for(world, goal_world, "other_gm").nodes == {}
    url = reverse("goals:tree", kwargs={"pk": goal_world.strategy_map.pk})
    assert client_for("other_gm").get(url).status_code == 404


def test_a_roll_up_combines_what_the_viewer_may_see(world, goal_world):
    # dg_sales from children: the head sees both KPIs (75 %), emp_east only their own (50 %)
    head = by_key(goal_world, tree_for(world, goal_world, "head_sales"))
    emp = by_key(goal_world, tree_for(world, goal_world, "emp_east"))
    assert head["dg_sales"].from_children.value == D("0.75")
    assert emp["dg_sales"].from_children.value == D("0.5")
    assert head["dg_sales"].progress.value == emp["dg_sales"].progress.value == D("0.5")


def test_a_proposed_kpi_shows_its_progress_but_stays_out_of_the_roll_up(world, goal_world):
    # kpi_east2 (100 %) becomes a proposal: dg_sales from children = kpi_east alone = 50 %
    Goal.objects.filter(pk=goal_world.kpi_east2.pk).update(status=Goal.Status.PROPOSED)
    nodes = by_key(goal_world, tree_for(world, goal_world, "head_sales"))
    assert nodes["kpi_east2"].progress.value == 1
    assert nodes["dg_sales"].from_children.value == D("0.5")


def test_department_filter_and_drill_down(world, goal_world):
    sales = tree_for(world, goal_world, "vp1", department=world.departments["sales"])
    assert [n.goal.pk for n in sales.roots] == [goal_world.dg_sales.pk]
    assert {c.goal.pk for c in sales.roots[0].children} == {
        goal_world.kpi_east.pk,
        goal_world.kpi_east2.pk,
    }
    rnd = tree_for(world, goal_world, "gm", department=world.departments["rnd"])
    assert [n.goal.pk for n in rnd.roots] == [goal_world.dg_rnd.pk]
    drilled = tree_for(world, goal_world, "gm", root=goal_world.obj_retention.pk)
    assert [n.goal.pk for n in drilled.walk()] == [
        goal_world.obj_retention.pk,
        goal_world.dg_downtime.pk,
    ]


def test_goal_chain_runs_from_the_objective_to_the_kpi(world, goal_world):
    chain = selectors.goal_chain(user=world.users["emp_east"], goal=goal_world.kpi_east)
    assert [g.pk for g in chain] == [
        goal_world.obj_revenue.pk,
        goal_world.dg_sales.pk,
        goal_world.kpi_east.pk,
    ]
    chains = selectors.goal_chains(
        user=world.users["gm"], goals=[goal_world.kpi_east2, goal_world.dg_rnd]
    )
    assert [g.pk for g in chains[goal_world.dg_rnd.pk]] == [
        goal_world.obj_cycle.pk,
        goal_world.dg_rnd.pk,
    ]


def test_goal_progress_for_one_goal(world, goal_world):
    node = selectors.goal_progress(user=world.users["gm"], goal=goal_world.dg_sales, today=MID)
    assert node.progress.value == D("0.5")
    assert selectors.goal_progress(user=world.users["vp2"], goal=goal_world.kpi_east) is None


# --- the page -------------------------------------------------------------------------------


def test_tree_page_shows_nodes_with_owner_progress_pace_and_links(world, goal_world, client_for):
    url = reverse("goals:tree", kwargs={"pk": goal_world.strategy_map.pk})
    html = client_for("vp1").get(url).content.decode()
    assert reverse("goals:goal_detail", kwargs={"pk": goal_world.kpi_east.pk}) in html
    assert f'data-goal="{goal_world.kpi_east2.pk}"' in html
    assert "周销售" in html  # head_sales owns dg_sales
    assert "57.1%" in html
    html2 = client_for("vp2").get(url).content.decode()
    assert f'data-goal="{goal_world.kpi_east.pk}"' not in html2
    assert f'data-goal="{goal_world.dg_sales.pk}"' in html2


def test_tree_page_invalid_department_is_a_form_error_with_no_rows(world, goal_world, client_for):
    url = reverse("goals:tree", kwargs={"pk": goal_world.strategy_map.pk})
    # emp_prod may see only their own department's card: sales is out of their sight
    response = client_for("emp_prod").get(url, {"department": world.departments["sales"].pk})
    html = response.content.decode()
    assert 'data-field-error="department"' in html
    assert "data-goal=" not in html
    response = client_for("gm").get(url, {"department": "x"})
    assert "data-goal=" not in response.content.decode()
    response = client_for("vp2").get(url, {"root": goal_world.kpi_east.pk})  # invisible goal
    assert "data-goal=" not in response.content.decode()


def test_tree_page_drill_down_as_htmx_partial(world, goal_world, client_for):
    url = reverse("goals:tree", kwargs={"pk": goal_world.strategy_map.pk})
    response = client_for("gm").get(
        url, {"root": goal_world.dg_sales.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert f'data-goal="{goal_world.kpi_east.pk}"' in html
    assert f'data-goal="{goal_world.obj_revenue.pk}"' not in html


def _add_goals(world, goal_world, n):
    """n more department goals under obj_revenue, each with an individual KPI of emp_east."""
    smap = goal_world.strategy_map
    for i in range(n):
        dg = Goal.objects.create(
            company=world.company,
            strategy_map=smap,
            level=Goal.Level.DEPARTMENT,
            parent=goal_world.obj_revenue,
            department=world.departments["sales"],
            owner=world.employees["head_sales"],
            title=f"部门目标 {i}",
            target=D(10),
            actual=D(i % 10),
            start_date=smap.period_start,
            deadline=smap.period_end,
        )
        Goal.objects.create(
            company=world.company,
            strategy_map=smap,
            level=Goal.Level.INDIVIDUAL,
            parent=dg,
            department=world.departments["sales_east"],
            owner=world.employees["emp_east"],
            title=f"个人KPI {i}",
            target=D(5),
            actual=D(i % 5),
            start_date=smap.period_start,
            deadline=smap.period_end,
        )


@pytest.mark.parametrize("role", ["gm", "vp1", "emp_east"])
def test_tree_page_query_count_does_not_grow_with_goals(world, goal_world, client_for, role):
    url = reverse("goals:tree", kwargs={"pk": goal_world.strategy_map.pk})
    client = client_for(role)
    client.get(url)  # warm up (session, language)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    _add_goals(world, goal_world, 40)
    assert count() == small
    assert small <= 13  # pace in working days: the company calendar (one query)


def test_a_big_tree_opens_two_levels_and_loads_the_rest_on_demand(
    world, goal_world, client_for, monkeypatch
):
    from renshi.goals import views_map

    monkeypatch.setattr(views_map, "TREE_FULL_LIMIT", 5)  # the seeds' tree has 10 goals
    url = reverse("goals:tree", kwargs={"pk": goal_world.strategy_map.pk})
    html = client_for("gm").get(url).content.decode()
    assert f'data-goal="{goal_world.dg_sales.pk}"' in html
    assert f'data-goal="{goal_world.kpi_east.pk}"' not in html
    assert f'data-expand="{goal_world.dg_sales.pk}"' in html
    assert f'href="?root={goal_world.dg_sales.pk}"' in html  # works without JavaScript too
    expanded = client_for("gm").get(
        url, {"root": goal_world.dg_sales.pk}, headers={"HX-Request": "true"}
    )
    assert f'data-goal="{goal_world.kpi_east.pk}"' in expanded.content.decode()
