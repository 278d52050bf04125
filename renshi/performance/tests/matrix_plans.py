"""Permission-matrix rows of the plans part (pages and API).

Reading the rows: the library is read by everyone of the company and edited by the plan office
(performance manager, HR VP); plans are drafted by the performance manager, edited by the plan
office while in draft; a plan in progress is visible to the company-wide roles and to the VPs,
heads and employees of the covered departments; other_gm (another company) gets 404. Rows
that need a plan build it inside the role's rolled-back transaction (``_plan``).
"""

from __future__ import annotations

from renshi.performance.library import library_seed
from renshi.performance.models import IndicatorTemplate, Plan, PlanDepartment, PlanIndicator
from renshi.performance.testing import build_plan_world
from tests.matrix_support import Row, expect

P = Plan.Status
EVERYONE = expect(200, anon=302)
OFFICE_GET = expect(403, anon=302, perf=200, hrvp=200)
OFFICE_POST = expect(403, anon=302, perf=302, hrvp=302)
ACME_TEMPLATE_GET = expect(403, anon=302, perf=200, hrvp=200, other_gm=404)
ACME_TEMPLATE_POST = expect(403, anon=302, perf=302, hrvp=302, other_gm=404)
# a draft: the plan office edits, the GM sees it (403), nobody else sees it (404)
DRAFT_GET = expect(404, anon=302, perf=200, hrvp=200, gm=403)
DRAFT_POST = expect(404, anon=302, perf=302, hrvp=302, gm=403)
RUNNING_GET = expect(200, anon=302, other_gm=404)
API_EVERYONE = expect(200, anon=401)
API_OFFICE_POST = expect(403, anon=401, perf=201, hrvp=201)


def _plan(w, status=P.TRACKING) -> Plan:
    plan = Plan.objects.filter(company=w.company, name="2026Q1 绩效").first()
    if plan is None:
        plan = build_plan_world(w, plan_status=status).plan
        # an indicator no scorecard uses yet (the fixture's are on its scorecards)
        PlanIndicator.objects.create(
            company=w.company, plan=plan, name="学习能力", category="competency",
            rule={"kind": "rating", "direction": "higher", "scale_max": 5},
        )  # fmt: skip
    return plan


def _plan_pk(status=P.TRACKING):
    return lambda w: {"pk": _plan(w, status).pk}


def _draft_state(w):
    plan = _plan(w, P.DRAFT)
    plan.refresh_from_db()
    return (
        plan.name,
        plan.status,
        plan.version,
        tuple(PlanIndicator.objects.filter(plan=plan).values_list("name", "default_weight")),
    )


def _ind_kwargs(w):
    plan = _plan(w, P.DRAFT)
    return {"pk": plan.pk, "ind": PlanIndicator.objects.get(plan=plan, name="学习能力").pk}


def _template(w) -> IndicatorTemplate:
    template = IndicatorTemplate.objects.filter(company=w.company, name="销售额").first()
    if template is None:
        library_seed(company=w.company)
        template = IndicatorTemplate.objects.get(company=w.company, name="销售额")
    return template


def _template_state(w):
    _template(w)  # seeded before the snapshot
    return tuple(
        IndicatorTemplate.objects.filter(company=w.company)
        .order_by("id")
        .values_list("name", "active", "version")
    )


def _plans_state(w):
    _plan(w)  # built before the snapshot
    return tuple(Plan.objects.order_by("id").values_list("name", "status", "version"))


def _part_kwargs(w):
    plan = _plan(w, P.VP_REVIEW)
    part = PlanDepartment.objects.get(plan=plan, department=w.departments["sales"])
    return {"pk": plan.pk, "part": part.pk}


def _parts_state(w):
    plan = _plan(w, P.VP_REVIEW)
    return (
        Plan.objects.get(pk=plan.pk).status,
        tuple(PlanDepartment.objects.filter(plan=plan).order_by("id").values_list("review")),
    )


TEMPLATE_POST = {
    "name": "回款率",
    "category": "results",
    "department_type": "sales",
    "direction": "higher",
    "data_source": "manual",
    "rule_kind": "ratio",
    "inverse": "ratio",
    "cap": "1.2",
    "default_weight": "20",
}
INDICATOR_POST = {
    "name": "沟通",
    "category": "competency",
    "direction": "higher",
    "data_source": "manual",
    "rule_kind": "rating",
    "scale_max": "5",
    "default_weight": "40",
}


def _with_version(data, status=P.DRAFT):
    return lambda w: {**data, "version": _plan(w, status).version}


ROWS = [
    # library
    Row("performance:library_list", EVERYONE),
    Row("performance:library_create", expect(403, anon=302, perf=200, hrvp=200)),
    Row(
        "performance:library_create",
        OFFICE_POST,
        method="POST",
        data=lambda w: TEMPLATE_POST,
        state=_template_state,
    ),
    Row("performance:library_seed", OFFICE_POST, method="POST", state=_template_state),
    Row(
        "performance:library_edit",
        ACME_TEMPLATE_GET,
        kwargs=lambda w: {"pk": _template(w).pk},
    ),
    Row(
        "performance:library_edit",
        ACME_TEMPLATE_POST,
        kwargs=lambda w: {"pk": _template(w).pk},
        method="POST",
        data=lambda w: {**TEMPLATE_POST, "name": "销售额（新）", "version": _template(w).version},
        state=_template_state,
    ),
    Row(
        "performance:library_set_active",
        ACME_TEMPLATE_POST,
        kwargs=lambda w: {"pk": _template(w).pk},
        method="POST",
        data=lambda w: {"active": "0", "version": _template(w).version},
        state=_template_state,
    ),
    # plans
    Row("performance:plan_list", EVERYONE),
    Row("performance:plan_list", EVERYONE, query="?status=tracking", kwargs=None),
    Row("performance:plan_create", expect(403, anon=302, perf=200)),
    Row(
        "performance:plan_create",
        expect(403, anon=302, perf=302),
        method="POST",
        data=lambda w: {
            "period_kind": "quarter",
            "year": "2026",
            "number": "3",
            "departments": [w.departments["production"].pk],
            "company_level": "on",
        },
        state=_plans_state,
    ),
    Row("performance:plan_detail", RUNNING_GET, kwargs=_plan_pk()),
    Row("performance:plan_detail", DRAFT_GET | {"gm": 200}, kwargs=_plan_pk(P.DRAFT)),
    Row("performance:plan_review", RUNNING_GET, kwargs=_plan_pk()),
    Row(
        "performance:plan_copy",
        expect(403, anon=302, perf=302, other_gm=404),
        kwargs=_plan_pk(),
        method="POST",
        state=_plans_state,
    ),
    Row("performance:plan_design", DRAFT_GET, kwargs=_plan_pk(P.DRAFT)),
    Row(
        "performance:plan_design",
        DRAFT_POST,
        kwargs=_plan_pk(P.DRAFT),
        method="POST",
        data=lambda w: {
            "name": "2026Q1 绩效（改）",
            "departments": [
                w.departments["sales_east"].pk,
                w.departments["production"].pk,
                w.departments["sales"].pk,
            ],
            "results_share": "80",
            "competency_share": "20",
            "grade_bands": "excellent 优秀 90\ngood 良好 80\npass 合格 70\nfail 不合格",
            "weight_360": "0",
            "appeal_days": "7",
            "version": _plan(w, P.DRAFT).version,
        },
        state=_draft_state,
    ),
    Row("performance:plan_indicator_create", DRAFT_GET, kwargs=_plan_pk(P.DRAFT)),
    Row(
        "performance:plan_indicator_create",
        DRAFT_POST,
        kwargs=_plan_pk(P.DRAFT),
        method="POST",
        data=_with_version({**INDICATOR_POST, "name": "责任心"}),
        state=_draft_state,
    ),
    Row(
        "performance:plan_indicator_library",
        DRAFT_POST,
        kwargs=_plan_pk(P.DRAFT),
        method="POST",
        data=lambda w: {"templates": [_template(w).pk], "version": _plan(w, P.DRAFT).version},
        state=_draft_state,
    ),
    Row("performance:plan_indicator_edit", DRAFT_GET, kwargs=_ind_kwargs),
    Row(
        "performance:plan_indicator_edit",
        DRAFT_POST,
        kwargs=_ind_kwargs,
        method="POST",
        data=_with_version(INDICATOR_POST),
        state=_draft_state,
    ),
    Row(
        "performance:plan_indicator_remove",
        DRAFT_POST,
        kwargs=_ind_kwargs,
        method="POST",
        data=_with_version({}),
        state=_draft_state,
    ),
    Row(
        "performance:plan_transition",
        expect(404, anon=302, perf=302, hrvp=403, gm=403),
        kwargs=_plan_pk(P.DRAFT),
        method="POST",
        data=_with_version({"step": "submit"}),
        state=_draft_state,
        note="submit: the performance manager only",
    ),
    Row(
        "performance:plan_part_review",
        expect(
            403,
            anon=302,
            vp1=302,
            head_sales=404,
            head_east=404,
            emp_east=404,
            emp_prod=404,
            other_gm=404,
        ),
        kwargs=_part_kwargs,
        method="POST",
        data=lambda w: {"decision": "approve", "version": _plan(w, P.VP_REVIEW).version},
        state=_parts_state,
        note="only the VP supervising sales decides its part",
    ),
]


def _api_template_post(w):
    return {"name": "回款率", "category": "results", "rule": {"kind": "ratio"}}


ROWS += [
    Row("api:performance-library-list", API_EVERYONE),
    Row(
        "api:performance-library-list",
        expect(403, anon=401, perf=201, hrvp=201),
        method="POST",
        json=True,
        data=_api_template_post,
        state=_template_state,
    ),
    Row(
        "api:performance-library-detail",
        expect(200, anon=401, other_gm=404),
        kwargs=lambda w: {"pk": _template(w).pk},
    ),
    Row(
        "api:performance-library-detail",
        expect(403, anon=401, perf=200, hrvp=200, other_gm=404),
        kwargs=lambda w: {"pk": _template(w).pk},
        method="PATCH",
        json=True,
        data=lambda w: {"default_weight": "55", "version": _template(w).version},
        state=_template_state,
    ),
    Row(
        "api:performance-library-detail",
        expect(403, anon=401, perf=204, hrvp=204, other_gm=404),
        kwargs=lambda w: {"pk": _template(w).pk},
        method="DELETE",
        headers={"If-Match": '"1"'},
        state=_template_state,
    ),
    Row("api:performance-plans-list", API_EVERYONE),
    Row(
        "api:performance-plans-list",
        expect(403, anon=401, perf=201),
        method="POST",
        json=True,
        data=lambda w: {
            "period_kind": "quarter",
            "period_start": "2026-07-01",
            "departments": [w.departments["production"].pk],
        },
        state=_plans_state,
    ),
    Row("api:performance-plans-detail", expect(200, anon=401, other_gm=404), kwargs=_plan_pk()),
    Row(
        "api:performance-plans-detail",
        expect(404, anon=401, perf=200, hrvp=200, gm=403),
        kwargs=_plan_pk(P.DRAFT),
        method="PATCH",
        json=True,
        data=_with_version({"name": "2026Q1 绩效（改）"}),
        state=_draft_state,
    ),
    Row(
        "api:performance-plans-copy",
        expect(403, anon=401, perf=201, other_gm=404),
        kwargs=_plan_pk(),
        method="POST",
        json=True,
        state=_plans_state,
    ),
    Row(
        "api:performance-plans-transition",
        expect(404, anon=401, perf=200, hrvp=403, gm=403),
        kwargs=_plan_pk(P.DRAFT),
        method="POST",
        json=True,
        data=_with_version({"step": "submit"}),
        state=_draft_state,
    ),
    Row(
        "api:performance-plans-part-review",
        expect(
            403,
            anon=401,
            vp1=200,
            head_sales=404,
            head_east=404,
            emp_east=404,
            emp_prod=404,
            other_gm=404,
        ),
        kwargs=_part_kwargs,
        method="POST",
        json=True,
        data=lambda w: {"decision": "approve", "version": _plan(w, P.VP_REVIEW).version},
        state=_parts_state,
    ),
]
