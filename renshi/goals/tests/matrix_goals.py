"""Permission-matrix rows of the goal pages (renshi/goals/views.py).

The matrix runs on ``world`` only; the seeds' map (renshi.goals.testing) is built inside each
role's rolled-back transaction the first time a row needs it. Reading the rows: kpi_east is
emp_east's KPI in sales_east (head head_east, under head_sales and vp1); vp2 and emp_prod cannot
see it (404); the HR VP sees it but edits no goals (403); objectives and department goals are
visible to everyone in acme; other_gm (GM of another company) gets 404 for all of acme.
"""

from __future__ import annotations

from renshi.goals.models import Goal, GoalComment, StrategyMap
from renshi.goals.testing import END, START, build_goal_world
from tests.matrix_support import Row, expect

MAP_NAME = "2026 战略"
KEYS = {  # goal key → (title, owner key) in renshi.goals.testing
    "obj_revenue": ("营收增长 35%", "gm"),
    "dg_sales": ("销售部营收", "head_sales"),
    "kpi_east": ("新客户数", "emp_east"),
}
PROPOSAL = "大客户拜访"


def _map(w) -> StrategyMap:
    smap = StrategyMap.objects.filter(company=w.company, name=MAP_NAME).first()
    if smap is None:
        smap = build_goal_world(w).strategy_map
    return smap


def _goal(w, key: str) -> Goal:
    title, owner = KEYS[key]
    return Goal.objects.get(strategy_map=_map(w), title=title, owner=w.employees[owner])


def _proposal(w) -> Goal:
    """emp_east's proposed key result under the sales department goal."""
    found = Goal.objects.filter(strategy_map=_map(w), title=PROPOSAL).first()
    if found is not None:
        return found
    parent = _goal(w, "dg_sales")
    return Goal.objects.create(
        company=w.company,
        strategy_map=parent.strategy_map,
        level=Goal.Level.INDIVIDUAL,
        parent=parent,
        title=PROPOSAL,
        owner=w.employees["emp_east"],
        department=w.departments["sales_east"],
        measure="拜访次数",
        unit="次",
        baseline=0,
        target=20,
        start_date=START,
        deadline=END,
        status=Goal.Status.PROPOSED,
    )


def _pk(key):
    return lambda w: {"pk": _goal(w, key).pk}


def _state(key):
    def state(w):
        g = _goal(w, key)
        return (g.title, g.status, g.target, g.actual, g.version)

    return state


def _proposal_state(w):
    g = _proposal(w)
    return (g.status, g.version)


def _goal_count(w):
    _map(w)
    return Goal.objects.filter(company=w.company).count()


def _goal_post(key, **overrides):
    def data(w):
        g = _goal(w, key)
        body = {
            "title": g.title,
            "parent": g.parent_id or "",
            "owner": g.owner.employee_no if g.owner else "",
            "description": "",
            "measure": g.measure,
            "unit": g.unit,
            "direction": g.direction,
            "baseline": g.baseline,
            "target": "13",
            "range_low": "",
            "range_high": "",
            "weight": "1",
            "start_date": "2026-01-01",
            "deadline": "2026-12-31",
            "version": g.version,
        }
        body.update(overrides)
        return body

    return data


def _new_kpi_post(w):
    return {
        "title": "回款额",
        "parent": _goal(w, "dg_sales").pk,
        "owner": w.employees["emp_east2"].employee_no,
        "measure": "回款额",
        "unit": "万元",
        "direction": "higher",
        "baseline": "0",
        "target": "50",
        "weight": "1",
        "start_date": "2026-01-01",
        "deadline": "2026-12-31",
    }


def _propose_post(w):
    return {
        "parent": _goal(w, "dg_sales").pk,
        "title": "老客户复购",
        "measure": "复购客户数",
        "unit": "个",
        "direction": "higher",
        "baseline": "0",
        "target": "5",
        "weight": "1",
    }


def _map_pk(w):
    return {"map_pk": _map(w).pk}


ACME_PEOPLE = expect(200, anon=302, other_gm=404)
KPI_VIEW = expect(
    404,
    anon=302,
    gm=200,
    hrvp=200,
    perf=200,
    vp1=200,
    head_sales=200,
    head_east=200,
    emp_east=200,
)
# the KPI's editors (GM, performance manager, scope over sales_east), never the owner
KPI_EDITORS_POST = expect(
    404,
    anon=302,
    gm=302,
    perf=302,
    vp1=302,
    head_sales=302,
    head_east=302,
    hrvp=403,
    emp_east=403,
)

ROWS = [
    # my goals and proposing a key result (everyone in acme; other_gm sees no acme goal)
    Row("goals:my_goals", expect(200, anon=302)),
    Row(
        "goals:my_goals",
        expect(302, other_gm=422),
        method="POST",
        data=_propose_post,
        state=_goal_count,
    ),
    # goal page
    Row("goals:goal_detail", KPI_VIEW, kwargs=_pk("kpi_east")),
    Row("goals:goal_detail", ACME_PEOPLE, kwargs=_pk("obj_revenue")),
    # create: objectives by map editors; KPIs by people with a scope (the form) ...
    Row(
        "goals:goal_create",
        expect(403, anon=302, gm=200, perf=200, other_gm=404),
        kwargs=_map_pk,
        query="?level=company",
    ),
    Row(
        "goals:goal_create",
        expect(
            403,
            anon=302,
            gm=200,
            perf=200,
            vp1=200,
            vp2=200,
            head_sales=200,
            head_east=200,
            other_gm=404,
        ),
        kwargs=_map_pk,
        query="?level=individual",
    ),
    # ... and only for people in their scope (emp_east2 is not visible to vp2: 422)
    Row(
        "goals:goal_create",
        {**KPI_EDITORS_POST, "vp2": 422, "emp_prod": 403, "emp_east": 403},
        kwargs=_map_pk,
        query="?level=individual",
        method="POST",
        data=_new_kpi_post,
        state=_goal_count,
    ),
    # edit: editors; the owner of an active KPI gets the "record the actual" form
    Row("goals:goal_edit", {**KPI_VIEW, "hrvp": 403}, kwargs=_pk("kpi_east")),
    Row(
        "goals:goal_edit",
        KPI_EDITORS_POST,
        kwargs=_pk("kpi_east"),
        method="POST",
        data=_goal_post("kpi_east"),
        state=_state("kpi_east"),
    ),
    Row(
        "goals:goal_edit",
        {**KPI_EDITORS_POST, "emp_east": 302},
        kwargs=_pk("kpi_east"),
        method="POST",
        data=lambda w: {"part": "actual", "actual": "9", "version": _goal(w, "kpi_east").version},
        state=_state("kpi_east"),
    ),
    # workflow: approve a proposal (never the owner; HR VP sees it, may not approve)
    Row(
        "goals:goal_transition",
        KPI_EDITORS_POST,
        kwargs=lambda w: {"pk": _proposal(w).pk},
        method="POST",
        data=lambda w: {"action": "approve", "version": _proposal(w).version},
        state=_proposal_state,
    ),
    # an illegal step (return an active goal) is 409 for those who may take it, nothing changes
    Row(
        "goals:goal_transition",
        {
            **KPI_EDITORS_POST,
            "gm": 409,
            "perf": 409,
            "vp1": 409,
            "head_sales": 409,
            "head_east": 409,
        },
        kwargs=_pk("kpi_east"),
        method="POST",
        data=lambda w: {"action": "return", "reason": "x"},
        state=_state("kpi_east"),
    ),
    # close a department goal: its editors (not head_sales, who owns it)
    Row(
        "goals:goal_transition",
        expect(403, anon=302, gm=302, perf=302, vp1=302, other_gm=404),
        kwargs=_pk("dg_sales"),
        method="POST",
        data=lambda w: {"action": "close", "version": _goal(w, "dg_sales").version},
        state=_state("dg_sales"),
    ),
    # comments: the owner and the KPI's editors
    Row(
        "goals:goal_comment",
        {**KPI_EDITORS_POST, "emp_east": 302},
        kwargs=_pk("kpi_east"),
        method="POST",
        data=lambda w: {"body": "本月进展"},
        state=lambda w: GoalComment.objects.filter(goal=_goal(w, "kpi_east")).count(),
    ),
    # change log: people with a management scope who may see the goal
    Row("goals:goal_changes", {**KPI_VIEW, "emp_east": 403}, kwargs=_pk("kpi_east")),
    # SMART report: performance manager, GM, HR VP
    Row(
        "goals:smart_report",
        expect(403, anon=302, gm=200, hrvp=200, perf=200, other_gm=404),
        kwargs=lambda w: {"pk": _map(w).pk},
    ),
]
