"""Permission-matrix rows of the 360 pages, the 360 API and the actuals import.

The plan "2026Q1 绩效" is built inside the role's rolled-back transaction when absent, in
self-evaluation, with a 360 review (anonymous); emp_east's scorecard has three raters
(emp_east2, emp_prod, head_prod) and emp_east is asked to rate emp_east2.

Who: raters are chosen by the performance manager and heads whose headed subtree holds the
scorecard — the GM heads the root department (总经办), so they count as a head of everyone;
the HR VP, VPs and the employee see the scorecard but may not choose (403); people who do not
see it get 404. A request is its rater's alone (404 for everybody else).
"""

from __future__ import annotations

from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from renshi.core import excel
from renshi.performance import imports
from renshi.performance.models import Answer360, Plan, Rater360, ScorecardItem
from renshi.performance.testing import build_plan_world
from tests.matrix_support import Row, expect

PLAN_NAME = "2026Q1 绩效"
QUESTIONS = [{"key": "teamwork", "text": "团队合作"}, {"key": "communication", "text": "沟通"}]
ANON = 401

CHOOSERS = {"gm": 200, "perf": 200, "head_sales": 200, "head_east": 200}
CARD_SEEN = {"hrvp": 403, "vp1": 403, "emp_east": 403}
CARD_GET = expect(404, anon=302, **CHOOSERS, **CARD_SEEN)
CARD_POST = expect(404, anon=302, **dict.fromkeys(CHOOSERS, 302), **CARD_SEEN)
PLAN_CHOOSERS = expect(403, anon=302, other_gm=404, **CHOOSERS)  # plan visible to all of acme
API_CARD_GET = expect(404, anon=ANON, **CHOOSERS, **CARD_SEEN)
API_CARD_POST = expect(404, anon=ANON, **dict.fromkeys(CHOOSERS, 201), **CARD_SEEN)
AGGREGATE = expect(
    404, anon=302, gm=200, hrvp=200, perf=200, head_sales=200, head_east=200, vp1=403, emp_east=403
)
API_AGGREGATE = {**AGGREGATE, "anon": ANON}


def _plan(w):
    plan = Plan.objects.filter(company=w.company, name=PLAN_NAME).first()
    if plan is None:
        pw = build_plan_world(w, plan_status=Plan.Status.SELF_EVALUATION)
        Plan.objects.filter(pk=pw.plan.pk).update(
            weight_360=20, questions_360=QUESTIONS, anonymous_360=True
        )
        card = pw.cards["emp_east"]
        for key, relation in (("emp_east2", "peer"), ("emp_prod", "cross"), ("head_prod", "cross")):
            Rater360.objects.create(
                company=w.company, scorecard=card, rater=w.employees[key], relation=relation
            )
        Rater360.objects.create(
            company=w.company,
            scorecard=pw.cards["emp_east2"],
            rater=w.employees["emp_east"],
            relation="peer",
        )
        plan = Plan.objects.get(pk=pw.plan.pk)
    return plan


def _card_pk(w, emp="emp_east"):
    return _plan(w).scorecards.get(employee=w.employees[emp]).pk


def _plan_kwargs(w):
    return {"pk": _plan(w).pk}


def _card_kwargs(w):
    return {"pk": _card_pk(w)}


def _rater_kwargs(w):
    _plan(w)
    return {"pk": Rater360.objects.get(rater=w.employees["emp_east2"]).pk}


def _request_kwargs(w):
    _plan(w)
    return {"pk": Rater360.objects.get(rater=w.employees["emp_east"]).pk}


def _raters_state(w):
    _plan(w)
    return sorted(Rater360.objects.values_list("scorecard_id", "rater_id", "answered_at"))


def _answers_state(w):
    return (_raters_state(w), Answer360.objects.count())


def _actuals_state(w):
    _plan(w)
    return sorted(ScorecardItem.objects.values_list("pk", "actual", "version"))


def _add_rater(w):
    return {"raters": [w.employees["head_rnd"].pk]}


def _answer(w):
    return {"q_teamwork": "4", "q_communication": "5", "comment": ""}


def _file(w):
    _plan(w)
    data = excel.write_workbook(
        [
            excel.SheetSpec(
                title="s",
                header=["工号 employee_no", "姓名 name", "指标 indicator", "实际值 actual"],
                rows=[(w.employees["emp_east"].employee_no, "", "销售额", 12)],
            )
        ]
    )
    return {"file": SimpleUploadedFile("actuals.xlsx", data)}


def _payload(w):
    """A dry run of head_east's: only head_east may commit it (others: 422, nothing written)."""
    plan = _plan(w)
    user = w.users["head_east"]
    check = imports.validate_rows(
        actor=user,
        plan=plan,
        rows=[imports.ParsedRow(2, w.employees["emp_east"].employee_no, "销售额", "12")],
    )
    return {"payload": imports.payload_sign(actor=user, plan=plan, filename="a.xlsx", check=check)}


def _tampered(w):
    return {"payload": signing.dumps({"plan": 0}, salt="x")}


ROWS = [
    # pages
    Row("performance:r360_home", expect(200, anon=302)),
    Row("performance:r360_cards", PLAN_CHOOSERS, kwargs=_plan_kwargs),
    Row("performance:r360_raters", CARD_GET, kwargs=_card_kwargs),
    Row("performance:r360_raters", CARD_GET, kwargs=_card_kwargs, query="?q=褚", note="search"),
    Row(
        "performance:r360_raters",
        CARD_POST,
        kwargs=_card_kwargs,
        method="POST",
        data=_add_rater,
        state=_raters_state,
    ),
    Row(
        "performance:r360_rater_remove",
        expect(404, anon=302, **dict.fromkeys(CHOOSERS, 422), **CARD_SEEN),
        kwargs=_rater_kwargs,
        method="POST",
        data=lambda w: {},
        state=_raters_state,
        note="answering is open: removal refused even for choosers",
    ),
    Row("performance:r360_answer", expect(404, anon=302, emp_east=200), kwargs=_request_kwargs),
    Row(
        "performance:r360_answer",
        expect(404, anon=302, emp_east=302),
        kwargs=_request_kwargs,
        method="POST",
        data=_answer,
        state=_answers_state,
    ),
    Row("performance:r360_aggregate", AGGREGATE, kwargs=_card_kwargs),
    # actuals import
    Row("performance:actuals_import", PLAN_CHOOSERS, kwargs=_plan_kwargs),
    Row(
        "performance:actuals_import",
        PLAN_CHOOSERS,
        kwargs=_plan_kwargs,
        method="POST",
        data=_file,
        state=_actuals_state,
        note="the dry run writes nothing",
    ),
    Row(
        "performance:actuals_template",
        PLAN_CHOOSERS,
        kwargs=_plan_kwargs,
        query="?department=sales_east",
    ),
    Row(
        "performance:actuals_commit",
        expect(403, anon=302, other_gm=404, gm=422, perf=422, head_sales=422, head_east=302),
        kwargs=_plan_kwargs,
        method="POST",
        data=_payload,
        state=_actuals_state,
    ),
    Row(
        "performance:actuals_commit",
        expect(403, anon=302, other_gm=404, gm=422, perf=422, head_sales=422, head_east=422),
        kwargs=_plan_kwargs,
        method="POST",
        data=_tampered,
        state=_actuals_state,
        note="tampered payload",
    ),
    # API
    Row("api:performance-r360-raters", API_CARD_GET, kwargs=_card_kwargs),
    Row(
        "api:performance-r360-raters",
        API_CARD_POST,
        kwargs=_card_kwargs,
        method="POST",
        json=True,
        data=_add_rater,
        state=_raters_state,
    ),
    Row("api:performance-r360-requests", expect(200, anon=ANON)),
    Row(
        "api:performance-r360-answer",
        expect(404, anon=ANON, emp_east=200),
        kwargs=_request_kwargs,
    ),
    Row(
        "api:performance-r360-answer",
        expect(404, anon=ANON, emp_east=201),
        kwargs=_request_kwargs,
        method="POST",
        json=True,
        data=lambda w: {"ratings": {"teamwork": 4, "communication": 5}},
        state=_answers_state,
    ),
    Row("api:performance-r360-aggregate", API_AGGREGATE, kwargs=_card_kwargs),
]
