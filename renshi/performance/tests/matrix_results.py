"""Permission-matrix rows of the results part (renshi/performance/urls_results.py and
api/urls_results.py), and the results world the results tests share.

The plan world (renshi/performance/testing.py) is built inside each role's rolled-back
transaction by ``state`` or the URL kwargs (``_plan`` finds it when built already). Cards:
emp_east and emp_east2 (sales_east, vp1's), emp_prod (production, vp2's). Filled and scored:
emp_east 106.4 excellent, emp_east2 72.6 pass, emp_prod 47 fail.

Reading the rows: results pages need a management scope (employees 403), out of scope 404;
calibration — the HR VP and the supervising VP (vp1 for emp_east); publish/close and appeals —
the performance manager; reopen — the HR VP; acknowledge/appeal — the employee themself;
improvement plan — a head/VP whose scope holds the department (gm heads exec, vp2 production).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from renshi.performance.models import Appeal, ImprovementPlan, Plan, Scorecard, ScorecardItem
from renshi.performance.services_scoring import plan_score_all
from renshi.performance.testing import build_plan_world
from tests.matrix_support import Row, expect

PLAN_NAME = "2026Q1 绩效"
P, S = Plan.Status, Scorecard.Status

FILL = {
    "emp_east": ({"sales": 12, "customers": 5}, {"teamwork": 4, "communication": 3}),
    "emp_east2": ({"sales": 8, "customers": 3}, {"teamwork": 3, "communication": 3}),
    "emp_prod": ({"defects": 4}, {"teamwork": 2, "communication": 2}),
}


def fill_results(pw) -> None:
    """Actuals and ratings of the three cards, then score the plan."""
    for emp, (actuals, ratings) in FILL.items():
        for key, value in actuals.items():
            ScorecardItem.objects.filter(pk=pw.items[(emp, key)].pk).update(actual=Decimal(value))
        for key, value in ratings.items():
            ScorecardItem.objects.filter(pk=pw.items[(emp, key)].pk).update(rating=Decimal(value))
    plan_score_all(plan=pw.plan)
    for card in pw.cards.values():
        card.refresh_from_db()


def results_world(
    world,
    *,
    plan_status: str = P.CALIBRATION,
    card_status: str = S.EVALUATED,
    published_days_ago: int | None = None,
):
    """The plan world at a results stage, filled and scored."""
    pw = build_plan_world(world, plan_status=plan_status, card_status=card_status)
    fill_results(pw)
    if published_days_ago is not None:
        when = timezone.now() - datetime.timedelta(days=published_days_ago)
        Plan.objects.filter(pk=pw.plan.pk).update(published_at=when)
        Scorecard.objects.filter(plan=pw.plan).update(published_at=when)
        pw.plan.refresh_from_db()
    return pw


# --- rows ---------------------------------------------------------------------------------------


def _plan(w, plan_status=P.CALIBRATION, card_status=S.EVALUATED, days=None) -> Plan:
    plan = Plan.objects.filter(company=w.company, name=PLAN_NAME).first()
    if plan is None:
        plan = results_world(
            w, plan_status=plan_status, card_status=card_status, published_days_ago=days
        ).plan
    return plan


def _card(w, emp="emp_east", **kwargs) -> Scorecard:
    plan = _plan(w, **kwargs)
    return Scorecard.objects.get(plan=plan, employee=w.employees[emp])


CALIBRATION = {"plan_status": P.CALIBRATION, "card_status": S.EVALUATED}
PUBLISHED = {"plan_status": P.PUBLISHED, "card_status": S.PUBLISHED, "days": 1}
PUBLISHED_OLD = {"plan_status": P.PUBLISHED, "card_status": S.PUBLISHED, "days": 30}
CLOSED = {"plan_status": P.CLOSED, "card_status": S.PUBLISHED, "days": 30}


def _plan_kwargs(stage):
    return lambda w: {"pk": _plan(w, **stage).pk}


def _card_kwargs(stage, emp="emp_east"):
    return lambda w: {"pk": _card(w, emp, **stage).pk}


def _plan_state(stage):
    def state(w):
        plan = _plan(w, **stage)
        plan.refresh_from_db()
        return (
            plan.status,
            plan.version,
            tuple(
                Scorecard.objects.filter(plan=plan).order_by("pk").values_list("status", "version")
            ),
        )

    return state


def _card_state(stage, emp="emp_east"):
    def state(w):
        card = _card(w, emp, **stage)
        card.refresh_from_db()
        return (
            card.status,
            card.version,
            card.calibrated_grade,
            card.score,
            Appeal.objects.filter(scorecard=card).count(),
            ImprovementPlan.objects.filter(scorecard=card).count(),
        )

    return state


def _appeal(w) -> Appeal:
    card = _card(w, **PUBLISHED)
    appeal = Appeal.objects.filter(scorecard=card).first()
    if appeal is None:
        Scorecard.objects.filter(pk=card.pk).update(status=S.APPEALED)
        appeal = Appeal.objects.create(
            company=w.company,
            scorecard=card,
            reason="销售额少算了一单",
            raised_by=w.users["emp_east"],
        )
    return appeal


def _appeal_state(w):
    appeal = _appeal(w)
    appeal.refresh_from_db()
    card = Scorecard.objects.get(pk=appeal.scorecard_id)
    return (appeal.status, appeal.version, appeal.response, card.status, card.score)


def _calibrate_data(prefix=True):
    def data(w):
        card = _card(w, **CALIBRATION)
        p = f"c{card.pk}-" if prefix else ""
        return {
            f"{p}grade": "good",
            f"{p}reason": "团队贡献突出但业绩有水分",
            f"{p}version": card.version,
        }

    return data


def _version_data(stage, reason=None):
    def data(w):
        body = {"version": _plan(w, **stage).version}
        if reason:
            body["reason"] = reason
        return body

    return data


def _card_version(stage, emp="emp_east", **extra):
    def data(w):
        return {"version": _card(w, emp, **stage).version, **extra}

    return data


def _appeal_data(w):
    appeal = _appeal(w)
    return {"action": "reject", "reason": "数据核对无误", "version": appeal.version}


def _improvement_data(w):
    return {
        "goals": "次品率降到 2% 以内",
        "actions": "每周质量复盘，师傅带教",
        "review_date": "2026-06-30",
        "version": 0,
    }


IMPROVERS = {"vp1": 404, "head_sales": 404, "head_east": 404, "emp_east": 404, "other_gm": 404}
MANAGERS = expect(200, anon=302, emp_east=403, emp_prod=403, other_gm=404)
ALL = expect(200, anon=302)
CARD_VIEWERS = {"vp2": 404, "emp_prod": 404, "other_gm": 404}
PLAN_POST_DENIED = {"anon": 302, "other_gm": 404}
API_PLAN_DENIED = {"anon": 401, "other_gm": 404}

ROWS = [
    Row("performance:results_index", expect(200, anon=302, emp_east=403, emp_prod=403)),
    Row("performance:results_mine", ALL),
    Row("performance:results_plan", MANAGERS, kwargs=_plan_kwargs(PUBLISHED)),
    Row(
        "performance:results_plan",
        MANAGERS,
        kwargs=_plan_kwargs(PUBLISHED),
        query="?sort=name&min_score=80",
    ),
    Row("performance:results_export", MANAGERS, kwargs=_plan_kwargs(PUBLISHED)),
    Row("performance:results_calibration", MANAGERS, kwargs=_plan_kwargs(CALIBRATION)),
    Row(
        "performance:results_calibrate",
        expect(403, anon=302, hrvp=302, vp1=302, vp2=404, emp_prod=404, other_gm=404),
        kwargs=_card_kwargs(CALIBRATION),
        method="POST",
        data=_calibrate_data(),
        state=_card_state(CALIBRATION),
    ),
    Row(
        "performance:results_publish",
        expect(403, perf=302, **PLAN_POST_DENIED),
        kwargs=_plan_kwargs(CALIBRATION),
        method="POST",
        data=_version_data(CALIBRATION),
        state=_plan_state(CALIBRATION),
    ),
    Row(
        "performance:results_close",
        expect(403, perf=302, **PLAN_POST_DENIED),
        kwargs=_plan_kwargs(PUBLISHED_OLD),
        method="POST",
        data=_version_data(PUBLISHED_OLD),
        state=_plan_state(PUBLISHED_OLD),
    ),
    Row(
        "performance:results_reopen",
        expect(403, hrvp=302, **PLAN_POST_DENIED),
        kwargs=_plan_kwargs(CLOSED),
        method="POST",
        data=_version_data(CLOSED, reason="申诉复核发现数据错误"),
        state=_plan_state(CLOSED),
    ),
    Row(
        "performance:results_report",
        expect(200, anon=302, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
    ),
    Row(
        "performance:results_report_pdf",
        expect(200, anon=302, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
    ),
    Row(
        "performance:results_acknowledge",
        expect(403, anon=302, emp_east=302, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
        method="POST",
        data=_card_version(PUBLISHED),
        state=_card_state(PUBLISHED),
    ),
    Row(
        "performance:results_appeal",
        expect(403, anon=302, emp_east=200, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
    ),
    Row(
        "performance:results_appeal",
        expect(403, anon=302, emp_east=302, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
        method="POST",
        data=_card_version(PUBLISHED, reason="新客户数漏记两家"),
        state=_card_state(PUBLISHED),
    ),
    Row("performance:results_appeals", expect(403, anon=302, perf=200)),
    Row(
        "performance:results_appeal_handle",
        expect(403, anon=302, perf=200, **CARD_VIEWERS),
        kwargs=lambda w: {"pk": _appeal(w).pk},
    ),
    Row(
        "performance:results_appeal_handle",
        expect(403, anon=302, perf=302, **CARD_VIEWERS),
        kwargs=lambda w: {"pk": _appeal(w).pk},
        method="POST",
        data=_appeal_data,
        state=_appeal_state,
    ),
    Row(
        "performance:results_improvement",
        expect(403, anon=302, gm=200, vp2=200, **IMPROVERS),
        kwargs=_card_kwargs(PUBLISHED, "emp_prod"),
    ),
    Row(
        "performance:results_improvement",
        expect(403, anon=302, gm=302, vp2=302, **IMPROVERS),
        kwargs=_card_kwargs(PUBLISHED, "emp_prod"),
        method="POST",
        data=_improvement_data,
        state=_card_state(PUBLISHED, "emp_prod"),
    ),
    # --- API ---
    Row(
        "api:performance-results-list",
        expect(200, emp_east=403, emp_prod=403, **API_PLAN_DENIED),
        kwargs=_plan_kwargs(PUBLISHED),
    ),
    Row(
        "api:performance-results-report",
        expect(200, anon=401, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
    ),
    Row(
        "api:performance-results-calibrate",
        expect(403, anon=401, hrvp=200, vp1=200, vp2=404, emp_prod=404, other_gm=404),
        kwargs=_card_kwargs(CALIBRATION),
        method="POST",
        json=True,
        data=_calibrate_data(prefix=False),
        state=_card_state(CALIBRATION),
    ),
    Row(
        "api:performance-results-publish",
        expect(403, perf=200, **API_PLAN_DENIED),
        kwargs=_plan_kwargs(CALIBRATION),
        method="POST",
        json=True,
        data=_version_data(CALIBRATION),
        state=_plan_state(CALIBRATION),
    ),
    Row(
        "api:performance-results-close",
        expect(403, perf=200, **API_PLAN_DENIED),
        kwargs=_plan_kwargs(PUBLISHED_OLD),
        method="POST",
        json=True,
        data=_version_data(PUBLISHED_OLD),
        state=_plan_state(PUBLISHED_OLD),
    ),
    Row(
        "api:performance-results-reopen",
        expect(403, hrvp=200, **API_PLAN_DENIED),
        kwargs=_plan_kwargs(CLOSED),
        method="POST",
        json=True,
        data=_version_data(CLOSED, reason="申诉复核发现数据错误"),
        state=_plan_state(CLOSED),
    ),
    Row(
        "api:performance-results-acknowledge",
        expect(403, anon=401, emp_east=200, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
        method="POST",
        json=True,
        data=_card_version(PUBLISHED),
        state=_card_state(PUBLISHED),
    ),
    Row(
        "api:performance-results-appeal",
        expect(403, anon=401, emp_east=201, **CARD_VIEWERS),
        kwargs=_card_kwargs(PUBLISHED),
        method="POST",
        json=True,
        data=_card_version(PUBLISHED, reason="新客户数漏记两家"),
        state=_card_state(PUBLISHED),
    ),
    Row(
        "api:performance-results-appeal-handle",
        expect(403, anon=401, perf=200, **CARD_VIEWERS),
        kwargs=lambda w: {"pk": _appeal(w).pk},
        method="POST",
        json=True,
        data=_appeal_data,
        state=_appeal_state,
    ),
    Row(
        "api:performance-results-improvement",
        expect(403, anon=401, gm=200, vp2=200, **IMPROVERS),
        kwargs=_card_kwargs(PUBLISHED, "emp_prod"),
        method="POST",
        json=True,
        data=_improvement_data,
        state=_card_state(PUBLISHED, "emp_prod"),
    ),
]
