"""Goal pages per role: my goals with chains, proposing, the goal page, create/edit/actual,
workflow steps, comments (htmx), the change log and the SMART report; query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.goals import services
from renshi.goals.models import Goal, GoalComment
from renshi.goals.testing import END, START

pytestmark = pytest.mark.django_db

D = Decimal


def html(response) -> str:
    return response.content.decode()


def count_queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


def detail_url(goal) -> str:
    return reverse("goals:goal_detail", kwargs={"pk": goal.pk})


def block(body: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"(.*?)</(ol|ul|table|div)>', body, re.S)
    assert match, testid
    return match.group(1)


def propose(world, goal_world, user="emp_east", title="大客户拜访"):
    return services.goal_propose(
        actor=world.users[user],
        strategy_map=goal_world.strategy_map,
        parent=goal_world.dg_sales,
        title=title,
        measure="拜访次数",
        unit="次",
        baseline=D(0),
        target=D(20),
    )


# --- my goals ---------------------------------------------------------------------------------


def test_my_goals_shows_each_kpi_under_its_chain(client_for, goal_world):
    body = html(client_for("emp_east").get(reverse("goals:my_goals")))
    chain = block(body, "chain")
    assert goal_world.obj_revenue.title in chain
    assert goal_world.dg_sales.title in chain
    assert chain.index(goal_world.obj_revenue.title) < chain.index(goal_world.dg_sales.title)
    assert detail_url(goal_world.kpi_east) in body
    assert "50.0%" in body  # kpi_east: (6 − 0) / (12 − 0), from the engine
    assert goal_world.kpi_east2.title not in chain


def test_my_goals_for_someone_without_goals(client_for, goal_world):
    body = html(client_for("emp_prod").get(reverse("goals:my_goals")))
    assert 'data-testid="no-goals"' in body
    assert 'data-testid="propose"' in body


def test_my_goals_query_count_does_not_grow_with_goals(client_for, world, goal_world):
    client = client_for("emp_east")
    url = reverse("goals:my_goals")
    client.get(url)
    few, _ = count_queries(client, url)
    for i in range(8):
        propose(world, goal_world, title=f"提案 {i}")
    many, response = count_queries(client, url)
    assert "提案 7" in html(response)
    assert many == few


def test_propose_a_key_result(client_for, world, goal_world):
    client = client_for("emp_east")
    response = client.post(
        reverse("goals:my_goals"),
        {
            "parent": goal_world.dg_downtime.pk,  # another department's goal: OKR alignment
            "title": "客户回访",
            "measure": "回访次数",
            "unit": "次",
            "direction": "higher",
            "baseline": "0",
            "target": "30",
            "weight": "1",
        },
    )
    assert response.status_code == 302
    goal = Goal.objects.get(title="客户回访")
    assert goal.status == Goal.Status.PROPOSED
    assert goal.owner == world.employees["emp_east"]
    assert goal.start_date == START and goal.deadline == END
    assert 'data-testid="status"' in html(client.get(reverse("goals:my_goals")))


def test_propose_refuses_a_parent_out_of_sight(client_for, goal_world):
    count = Goal.objects.count()
    response = client_for("emp_prod").post(
        reverse("goals:my_goals"), {"parent": goal_world.kpi_east.pk, "title": "x", "weight": "1"}
    )
    assert response.status_code == 422
    assert Goal.objects.count() == count


# --- goal page --------------------------------------------------------------------------------


def test_goal_page_shows_progress_trace_chain_children_and_smart(client_for, goal_world):
    body = html(client_for("vp1").get(detail_url(goal_world.dg_sales)))
    assert goal_world.obj_revenue.title in block(body, "chain")
    trace = block(body, "trace")
    assert "(65 − 50) / (80 − 50)" in trace  # the engine's own-progress step
    children = block(body, "children")
    assert goal_world.kpi_east.get_absolute_url() in children
    assert goal_world.kpi_east2.get_absolute_url() in children
    assert "data-smart-ok" in body
    assert reverse("goals:goal_changes", kwargs={"pk": goal_world.dg_sales.pk}) in body
    assert 'data-testid="edit-goal"' in body


def test_goal_page_shows_only_visible_children(client_for, goal_world):
    body = html(client_for("emp_east").get(detail_url(goal_world.dg_sales)))
    children = block(body, "children")
    assert goal_world.kpi_east.get_absolute_url() in children
    assert goal_world.kpi_east2.get_absolute_url() not in children
    assert 'data-testid="edit-goal"' not in body
    assert reverse("goals:goal_changes", kwargs={"pk": goal_world.dg_sales.pk}) not in body


def test_goal_page_shows_smart_problems(client_for, goal_world):
    Goal.objects.filter(pk=goal_world.dg_prod.pk).update(unit="")
    body = html(client_for("gm").get(detail_url(goal_world.dg_prod)))
    assert 'data-smart-code="unit_missing"' in body


def test_goal_page_query_count_does_not_grow_with_children(client_for, world, goal_world):
    client = client_for("head_east")
    url = detail_url(goal_world.dg_sales)
    client.get(url)
    few, _ = count_queries(client, url)
    for i in range(6):
        propose(world, goal_world, title=f"提案 {i}")
        services.comment_add(actor=world.users["head_sales"], goal=goal_world.dg_sales, body="x")
    many, _ = count_queries(client, url)
    assert many == few


def test_workflow_buttons_per_viewer(client_for, world, goal_world):
    goal = propose(world, goal_world)
    manager = html(client_for("head_east").get(detail_url(goal)))
    assert 'data-action="approve"' in manager and 'data-action="return"' in manager
    owner = html(client_for("emp_east").get(detail_url(goal)))
    assert 'data-testid="workflow"' not in owner
    assert 'data-testid="edit-goal"' in owner  # the owner edits their proposal
    hr = html(client_for("hrvp").get(detail_url(goal)))
    assert 'data-testid="workflow"' not in hr


# --- workflow ---------------------------------------------------------------------------------


def test_approve_then_replay_is_a_conflict(client_for, world, goal_world):
    goal = propose(world, goal_world)
    client = client_for("head_east")
    url = reverse("goals:goal_transition", kwargs={"pk": goal.pk})
    response = client.post(url, {"action": "approve", "version": goal.version})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    version = goal.version
    replay = client_for("head_sales").post(url, {"action": "approve"})
    assert replay.status_code == 409
    assert 'data-testid="transition-error"' in html(replay)
    goal.refresh_from_db()
    assert (goal.status, goal.version) == (Goal.Status.ACTIVE, version)


def test_return_needs_a_reason(client_for, world, goal_world):
    goal = propose(world, goal_world)
    url = reverse("goals:goal_transition", kwargs={"pk": goal.pk})
    response = client_for("head_east").post(url, {"action": "return", "reason": ""})
    assert response.status_code == 422
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED
    response = client_for("head_east").post(url, {"action": "return", "reason": "目标偏低"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == Goal.Status.RETURNED
    owner_page = html(client_for("emp_east").get(detail_url(goal)))
    assert "目标偏低" in owner_page
    assert 'data-action="resubmit"' in owner_page


def test_owner_cannot_approve_own_proposal(client_for, world, goal_world):
    goal = propose(world, goal_world)
    url = reverse("goals:goal_transition", kwargs={"pk": goal.pk})
    assert client_for("emp_east").post(url, {"action": "approve"}).status_code == 403
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED


def test_stale_version_on_a_step_is_a_conflict(client_for, world, goal_world):
    goal = propose(world, goal_world)
    url = reverse("goals:goal_transition", kwargs={"pk": goal.pk})
    response = client_for("head_east").post(url, {"action": "approve", "version": goal.version - 1})
    assert response.status_code == 409
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED


# --- create and edit --------------------------------------------------------------------------


def test_create_a_kpi_from_the_department_goal(client_for, world, goal_world):
    client = client_for("head_east")
    create = reverse("goals:goal_create", kwargs={"map_pk": goal_world.strategy_map.pk})
    form = client.get(f"{create}?level=individual&parent={goal_world.dg_sales.pk}")
    assert form.status_code == 200
    assert f'<option value="{goal_world.dg_sales.pk}" selected>' in html(form)
    response = client.post(
        f"{create}?level=individual",
        {
            "title": "回款额",
            "parent": goal_world.dg_sales.pk,
            "owner": world.employees["emp_east2"].employee_no,
            "measure": "回款额",
            "unit": "万元",
            "direction": "higher",
            "baseline": "0",
            "target": "50",
            "weight": "2",
            "start_date": "2026-01-01",
            "deadline": "2026-12-31",
        },
    )
    assert response.status_code == 302
    goal = Goal.objects.get(title="回款额")
    assert response["Location"] == goal.get_absolute_url()
    assert (goal.level, goal.status, goal.weight) == ("individual", "active", D(2))
    assert goal.department == world.departments["sales_east"]


def test_create_form_offers_only_departments_in_scope(client_for, goal_world):
    create = reverse("goals:goal_create", kwargs={"map_pk": goal_world.strategy_map.pk})
    body = html(client_for("vp2").get(f"{create}?level=department"))
    assert "生产部" in body and "研发部" in body
    assert "销售部 (sales)" not in body


def test_objectives_are_for_map_editors(client_for, goal_world):
    create = reverse("goals:goal_create", kwargs={"map_pk": goal_world.strategy_map.pk})
    assert client_for("vp1").get(f"{create}?level=company").status_code == 403
    assert client_for("perf").get(f"{create}?level=company").status_code == 200
    assert client_for("perf").get(f"{create}?level=nonsense").status_code == 404


def _edit_post(goal, **overrides):
    data = {
        "title": goal.title,
        "parent": goal.parent_id,
        "department": goal.department_id,
        "owner": goal.owner.employee_no,
        "measure": goal.measure,
        "unit": goal.unit,
        "direction": goal.direction,
        "baseline": goal.baseline,
        "target": goal.target,
        "weight": goal.weight,
        "start_date": "2026-01-01",
        "deadline": "2026-12-31",
        "version": goal.version,
    }
    data.update(overrides)
    return data


def test_edit_and_stale_version_conflict(client_for, world, goal_world):
    goal = goal_world.dg_sales
    url = reverse("goals:goal_edit", kwargs={"pk": goal.pk})
    page = client_for("vp1").get(url)
    assert 'data-testid="smart"' in html(page)
    stale = goal.version
    response = client_for("vp1").post(url, _edit_post(goal, target="90"))
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.target == D(90)
    response = client_for("gm").post(url, _edit_post(goal, target="70", version=stale))
    assert response.status_code == 409
    assert "data-form-errors" in html(response)
    goal.refresh_from_db()
    assert goal.target == D(90)


def test_owner_records_the_actual_but_cannot_edit(client_for, goal_world):
    goal = goal_world.kpi_east
    url = reverse("goals:goal_edit", kwargs={"pk": goal.pk})
    client = client_for("emp_east")
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="actual"' in html(page) and 'name="target"' not in html(page)
    assert client.post(url, _edit_post(goal, target="1")).status_code == 403
    response = client.post(url, {"part": "actual", "actual": "8", "version": goal.version})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.actual, goal.target) == (D(8), D(12))


# --- comments and change log ------------------------------------------------------------------


def test_comment_with_htmx_returns_the_block(client_for, goal_world):
    url = reverse("goals:goal_comment", kwargs={"pk": goal_world.kpi_east.pk})
    response = client_for("emp_east").post(
        url, {"body": "本月拜访 3 家"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = html(response)
    assert "本月拜访 3 家" in body
    assert "<html" not in body
    assert GoalComment.objects.filter(goal=goal_world.kpi_east).count() == 1
    empty = client_for("emp_east").post(url, {"body": ""}, headers={"HX-Request": "true"})
    assert empty.status_code == 422
    assert GoalComment.objects.count() == 1


def test_change_log_lists_the_goals_changes(client_for, world, goal_world):
    goal = goal_world.dg_sales
    services.goal_update(actor=world.users["vp1"], goal=goal, version=goal.version, target=D(95))
    response = client_for("vp1").get(reverse("goals:goal_changes", kwargs={"pk": goal.pk}))
    assert response.status_code == 200
    assert "95" in html(response)


# --- SMART report -----------------------------------------------------------------------------


def test_smart_report_page_lists_problems_in_constant_queries(client_for, world, goal_world):
    client = client_for("perf")
    url = reverse("goals:smart_report", kwargs={"pk": goal_world.strategy_map.pk})
    body = html(client.get(url))
    assert 'data-testid="smart-clean"' in body

    def add(n, start):
        for i in range(start, start + n):
            Goal.objects.create(
                company=world.company,
                strategy_map=goal_world.strategy_map,
                level=Goal.Level.DEPARTMENT,
                department=world.departments["sales"],
                title=f"未对齐 {i}",
                start_date=START,
                deadline=END,
            )

    add(2, 0)
    few, response = count_queries(client, url)
    assert 'data-smart-code="no_parent"' in html(response)
    add(20, 2)
    many, response = count_queries(client, url)
    assert html(response).count("<tr data-goal=") == 22
    assert many == few


def test_numbers_show_without_trailing_zeros_or_exponents(client_for, world, goal_world):
    goal = goal_world.dg_prod
    Goal.objects.filter(pk=goal.pk).update(weight=D(10), baseline=D("1.5"))
    body = html(client_for("gm").get(detail_url(goal)))
    target = re.search(r'data-testid="target">([^<]*)<', body).group(1)
    assert target == "1000"
    assert "1E+1" not in body and "1.5000" not in body


def test_a_goal_out_of_ones_reach_is_a_form_error(client_for, world, goal_world):
    """head_east may create department goals for sales_east, not one they are responsible
    for themselves (they would not be able to edit it): the form says so, nothing is saved."""
    count = Goal.objects.count()
    create = reverse("goals:goal_create", kwargs={"map_pk": goal_world.strategy_map.pk})
    response = client_for("head_east").post(
        f"{create}?level=department",
        {
            "title": "华东营收",
            "parent": goal_world.dg_sales.pk,
            "department": world.departments["sales_east"].pk,
            "owner": world.employees["head_east"].employee_no,
            "measure": "营收",
            "unit": "万元",
            "direction": "higher",
            "target": "30",
            "weight": "1",
            "start_date": "2026-01-01",
            "deadline": "2026-12-31",
        },
    )
    assert response.status_code == 422
    assert "data-form-errors" in html(response)
    assert Goal.objects.count() == count
