"""Permission-matrix rows of the scorecard pages and API (renshi/performance/views_cards.py,
api/views_cards.py).

Each row builds the plan world inside the role's rolled-back transaction (found by name when
``state`` built it already) at the stage the row needs. Reading the rows: the card is
emp_east's (sales_east): the employee, the heads and VPs whose scope holds sales_east (vp1,
head_sales, head_east; the GM heads exec, above everything) and the plan office (HR VP,
performance manager) see it; vp2 and emp_prod get 404; other_gm (another company) 404.
Assigning and sending: CHANGE on the card (heads, VPs, plan office). Confirming, objecting,
self-evaluating: the employee only. Evaluating: the evaluator or a head/VP of the department
(not the plan office, never the employee).
"""

from __future__ import annotations

from renshi.performance.models import Plan, PlanDepartment, Scorecard, ScorecardItem
from renshi.performance.testing import build_plan_world
from tests.matrix_support import Row, expect

PLAN_NAME = "2026Q1 绩效"
P, S = Plan.Status, Scorecard.Status


def _world(w, plan_status, card_status):
    plan = Plan.objects.filter(company=w.company, name=PLAN_NAME).first()
    if plan is None:
        plan = build_plan_world(w, plan_status=plan_status, card_status=card_status).plan
    return plan


def _card(w, plan_status, card_status, employee="emp_east") -> Scorecard:
    plan = _world(w, plan_status, card_status)
    return Scorecard.objects.get(plan=plan, employee=w.employees[employee])


def _item(w, plan_status, card_status, indicator="销售额") -> ScorecardItem:
    card = _card(w, plan_status, card_status)
    return ScorecardItem.objects.get(scorecard=card, indicator__name=indicator)


def card_kwargs(plan_status, card_status):
    return lambda w: {"pk": _card(w, plan_status, card_status).pk}


def plan_kwargs(plan_status, card_status):
    return lambda w: {"plan_pk": _world(w, plan_status, card_status).pk}


def cards_state(plan_status, card_status):
    def state(w):
        plan = _world(w, plan_status, card_status)
        cards = tuple(
            Scorecard.objects.filter(plan=plan)
            .order_by("id")
            .values_list("status", "version", "objection", "self_comment", "manager_comment")
        )
        items = tuple(
            ScorecardItem.objects.filter(scorecard__plan=plan)
            .order_by("id")
            .values_list("weight", "target", "actual", "rating", "version")
        )
        comments = plan.scorecards.filter(items__comments__isnull=False).count()
        parts = tuple(
            PlanDepartment.objects.filter(plan=plan)
            .order_by("id")
            .values_list("assignments_submitted_at", flat=True)
        )
        return cards, items, comments, parts

    return state


CARD_VIEW = expect(200, anon=302, vp2=404, emp_prod=404, other_gm=404)
GRID_VIEW = expect(200, anon=302, emp_east=403, emp_prod=403, other_gm=404)
ASSIGNERS_POST = expect(302, anon=302, vp2=404, emp_east=403, emp_prod=404, other_gm=404)
OWNER_POST = expect(403, anon=302, emp_east=302, vp2=404, emp_prod=404, other_gm=404)
OWNER_GET = expect(403, anon=302, emp_east=200, vp2=404, emp_prod=404, other_gm=404)
EVALUATORS_GET = expect(
    200, anon=302, hrvp=403, perf=403, emp_east=403, vp2=404, emp_prod=404, other_gm=404
)
EVALUATORS_POST = expect(
    302, anon=302, hrvp=403, perf=403, emp_east=403, vp2=404, emp_prod=404, other_gm=404
)


def _grid_post(w):
    plan = _world(w, P.ASSIGNING, S.DRAFT)
    card = _card(w, P.ASSIGNING, S.DRAFT)
    item = _item(w, P.ASSIGNING, S.DRAFT)
    return {
        "mode": "assign",
        "save": str(card.pk),
        f"v-{card.pk}": str(card.version),
        f"w-{card.pk}-{item.indicator_id}": "60",
        f"t-{card.pk}-{item.indicator_id}": "12",
        "plan": plan.pk,
    }


def _actuals_post(w):
    card = _card(w, P.TRACKING, S.CONFIRMED)
    item = _item(w, P.TRACKING, S.CONFIRMED)
    return {f"v-{card.pk}": str(card.version), f"a-{card.pk}-{item.indicator_id}": "5"}


def _evaluation_post(w):
    card = _card(w, P.MANAGER_EVALUATION, S.SELF_EVALUATED)
    data = {"version": str(card.version), "submit": "1", "manager_comment": "好"}
    for item in ScorecardItem.objects.filter(scorecard=card, rating__isnull=True):
        if (item.indicator.rule or {}).get("kind") == "rating":
            data[f"rating-{item.pk}"] = "3"
    return data


def _submit_kwargs(w):
    plan = _world(w, P.ASSIGNING, S.CONFIRMED)
    return {"plan_pk": plan.pk, "department_pk": w.departments["sales_east"].pk}


ROWS = [
    Row("performance:my_scorecards", expect(200, anon=302)),
    Row(
        "performance:team",
        expect(
            403, anon=302, gm=200, vp1=200, vp2=200, head_sales=200, head_east=200, other_gm=200
        ),
    ),
    Row("performance:grid", GRID_VIEW, kwargs=plan_kwargs(P.ASSIGNING, S.DRAFT)),
    Row(
        "performance:grid",
        GRID_VIEW | {"vp2": 200},
        kwargs=plan_kwargs(P.TRACKING, S.CONFIRMED),
        query="?mode=actuals",
    ),
    Row(
        "performance:grid",
        expect(302, anon=302, vp2=404, emp_east=403, emp_prod=403, other_gm=404),
        kwargs=plan_kwargs(P.ASSIGNING, S.DRAFT),
        method="POST",
        data=_grid_post,
        state=cards_state(P.ASSIGNING, S.DRAFT),
        note="vp2 sees the plan (production) but not emp_east's card: 404 from the service",
    ),
    Row(
        "performance:grid_send",
        expect(302, anon=302, emp_east=403, emp_prod=403, other_gm=404),
        kwargs=plan_kwargs(P.ASSIGNING, S.DRAFT),
        method="POST",
        data=lambda w: {"all": "1"},
        state=cards_state(P.ASSIGNING, S.DRAFT),
        note="each assigner sends the draft cards of their own scope (vp2: production)",
    ),
    Row(
        "performance:department_submit",
        expect(302, anon=302, vp2=404, emp_east=403, emp_prod=403, other_gm=404),
        kwargs=_submit_kwargs,
        method="POST",
        data=lambda w: {},
        state=cards_state(P.ASSIGNING, S.CONFIRMED),
    ),
    Row("performance:scorecard_detail", CARD_VIEW, kwargs=card_kwargs(P.TRACKING, S.CONFIRMED)),
    Row(
        "performance:scorecard_step",
        ASSIGNERS_POST,
        kwargs=card_kwargs(P.ASSIGNING, S.DRAFT),
        method="POST",
        data=lambda w: {"step": "send", "version": "1"},
        state=cards_state(P.ASSIGNING, S.DRAFT),
    ),
    Row(
        "performance:scorecard_step",
        OWNER_POST,
        kwargs=card_kwargs(P.ASSIGNING, S.SENT),
        method="POST",
        data=lambda w: {"step": "confirm", "version": "1"},
        state=cards_state(P.ASSIGNING, S.SENT),
        query="?confirm",
    ),
    Row(
        "performance:scorecard_actuals",
        expect(302, anon=302, vp2=404, emp_prod=404, other_gm=404),
        kwargs=card_kwargs(P.TRACKING, S.CONFIRMED),
        method="POST",
        data=_actuals_post,
        state=cards_state(P.TRACKING, S.CONFIRMED),
    ),
    Row(
        "performance:scorecard_self_evaluation",
        OWNER_GET,
        kwargs=card_kwargs(P.SELF_EVALUATION, S.CONFIRMED),
    ),
    Row(
        "performance:scorecard_self_evaluation",
        OWNER_POST,
        kwargs=card_kwargs(P.SELF_EVALUATION, S.CONFIRMED),
        method="POST",
        data=lambda w: {"version": "1", "submit": "1", "self_comment": "完成"},
        state=cards_state(P.SELF_EVALUATION, S.CONFIRMED),
    ),
    Row(
        "performance:scorecard_evaluation",
        EVALUATORS_GET,
        kwargs=card_kwargs(P.MANAGER_EVALUATION, S.SELF_EVALUATED),
    ),
    Row(
        "performance:scorecard_evaluation",
        EVALUATORS_POST,
        kwargs=card_kwargs(P.MANAGER_EVALUATION, S.SELF_EVALUATED),
        method="POST",
        data=_evaluation_post,
        state=cards_state(P.MANAGER_EVALUATION, S.SELF_EVALUATED),
    ),
    Row(
        "performance:item_comment",
        expect(302, anon=302, vp2=404, emp_prod=404, other_gm=404),
        kwargs=lambda w: {"pk": _item(w, P.TRACKING, S.CONFIRMED).pk},
        method="POST",
        data=lambda w: {"body": "进展如何?"},
        state=cards_state(P.TRACKING, S.CONFIRMED),
    ),
]


# --- API -------------------------------------------------------------------------------------------

ANON = 401
API_CARD_VIEW = expect(200, anon=ANON, vp2=404, emp_prod=404, other_gm=404)
API_ASSIGNERS = expect(200, anon=ANON, vp2=404, emp_east=403, emp_prod=404, other_gm=404)
API_OWNER = expect(403, anon=ANON, emp_east=200, vp2=404, emp_prod=404, other_gm=404)
API_EVALUATORS = expect(
    200, anon=ANON, hrvp=403, perf=403, emp_east=403, vp2=404, emp_prod=404, other_gm=404
)


def _api_items(w):
    item = _item(w, P.ASSIGNING, S.DRAFT)
    return {"version": 1, "items": {str(item.indicator_id): {"weight": "60", "target": "12"}}}


def _api_batch(w):
    card = _card(w, P.TRACKING, S.CONFIRMED)
    item = _item(w, P.TRACKING, S.CONFIRMED)
    return {
        "mode": "actuals",
        "rows": [
            {"scorecard": card.pk, "version": 1, "items": {str(item.indicator_id): {"actual": "5"}}}
        ],
    }


def _api_evaluate(w):
    card = _card(w, P.MANAGER_EVALUATION, S.SELF_EVALUATED)
    items = {
        str(i.pk): {"rating": "4"}
        for i in ScorecardItem.objects.filter(scorecard=card).select_related("indicator")
        if (i.indicator.rule or {}).get("kind") == "rating"
    }
    return {"version": 1, "manager_comment": "好", "items": items}


ROWS += [
    Row(
        "api:performance-scorecards-list",
        expect(200, anon=ANON),
        kwargs=lambda w: (_world(w, P.TRACKING, S.CONFIRMED), {})[1],
    ),
    Row(
        "api:performance-scorecards-detail",
        API_CARD_VIEW,
        kwargs=card_kwargs(P.TRACKING, S.CONFIRMED),
    ),
    Row(
        "api:performance-scorecards-items",
        API_ASSIGNERS,
        kwargs=card_kwargs(P.ASSIGNING, S.DRAFT),
        method="PATCH",
        json=True,
        data=_api_items,
        state=cards_state(P.ASSIGNING, S.DRAFT),
    ),
    Row(
        "api:performance-scorecards-items-batch",
        expect(200, anon=ANON, vp2=404, emp_prod=404, other_gm=404),
        method="POST",
        json=True,
        data=_api_batch,
        state=cards_state(P.TRACKING, S.CONFIRMED),
    ),
    Row(
        "api:performance-scorecards-send",
        API_ASSIGNERS,
        kwargs=card_kwargs(P.ASSIGNING, S.DRAFT),
        method="POST",
        json=True,
        data=lambda w: {"version": 1},
        state=cards_state(P.ASSIGNING, S.DRAFT),
    ),
    Row(
        "api:performance-scorecards-confirm",
        API_OWNER,
        kwargs=card_kwargs(P.ASSIGNING, S.SENT),
        method="POST",
        json=True,
        data=lambda w: {"version": 1},
        state=cards_state(P.ASSIGNING, S.SENT),
    ),
    Row(
        "api:performance-scorecards-object",
        API_OWNER,
        kwargs=card_kwargs(P.ASSIGNING, S.SENT),
        method="POST",
        json=True,
        data=lambda w: {"version": 1, "reason": "目标太高"},
        state=cards_state(P.ASSIGNING, S.SENT),
    ),
    Row(
        "api:performance-scorecards-self-evaluate",
        API_OWNER,
        kwargs=card_kwargs(P.SELF_EVALUATION, S.CONFIRMED),
        method="POST",
        json=True,
        data=lambda w: {"version": 1, "self_comment": "完成"},
        state=cards_state(P.SELF_EVALUATION, S.CONFIRMED),
    ),
    Row(
        "api:performance-scorecards-evaluate",
        API_EVALUATORS,
        kwargs=card_kwargs(P.MANAGER_EVALUATION, S.SELF_EVALUATED),
        method="POST",
        json=True,
        data=_api_evaluate,
        state=cards_state(P.MANAGER_EVALUATION, S.SELF_EVALUATED),
    ),
    Row(
        "api:performance-item-comments",
        API_CARD_VIEW,
        kwargs=lambda w: {"pk": _item(w, P.TRACKING, S.CONFIRMED).pk},
    ),
    Row(
        "api:performance-item-comments",
        expect(201, anon=ANON, vp2=404, emp_prod=404, other_gm=404),
        kwargs=lambda w: {"pk": _item(w, P.TRACKING, S.CONFIRMED).pk},
        method="POST",
        json=True,
        data=lambda w: {"body": "进展如何?"},
        state=cards_state(P.TRACKING, S.CONFIRMED),
    ),
    Row(
        "api:performance-department-submit",
        expect(200, anon=ANON, vp2=404, emp_east=403, emp_prod=404, other_gm=404),
        kwargs=_submit_kwargs,
        method="POST",
        json=True,
        data=lambda w: {},
        state=cards_state(P.ASSIGNING, S.CONFIRMED),
    ),
]
