"""The plan approval chain through the services: every legal step, the illegal and replayed
ones, self-approval, stale versions, scorecards created on publication (constant queries)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from renshi.core.concurrency import ConflictError
from renshi.core.workflow import TransitionError
from renshi.notifications.models import Notification
from renshi.org.models import Role
from renshi.org.services import role_assign
from renshi.performance import services_plans as sp
from renshi.performance.library import library_seed
from renshi.performance.models import (
    IndicatorTemplate,
    Plan,
    PlanComment,
    PlanDepartment,
    PlanIndicator,
    Scorecard,
    ScorecardItem,
)

pytestmark = pytest.mark.django_db
P = Plan.Status
R = PlanDepartment.Review


def make_plan(world, *, company_level=True, keys=("sales", "sales_east", "production")):
    library_seed(company=world.company)
    templates = list(
        IndicatorTemplate.objects.filter(
            company=world.company, department_type__in=["", "sales", "production"]
        )
    )
    return sp.plan_create(
        actor=world.users["perf"],
        period_kind="quarter",
        period_start=datetime.date(2026, 4, 1),
        departments=[world.departments[k] for k in keys],
        company_level=company_level,
        templates=templates,
    )


def step(world, plan, who, name, comment=""):
    plan.refresh_from_db()
    result = sp.plan_transition(
        actor=world.users[who], plan=plan, step=name, version=plan.version, comment=comment
    )
    plan.refresh_from_db()
    return result


def review(world, plan, who, dept, decision="approve", comment=""):
    plan.refresh_from_db()
    part = PlanDepartment.objects.get(plan=plan, department=world.departments[dept])
    return sp.plan_part_review(
        actor=world.users[who], part=part, decision=decision, version=plan.version, comment=comment
    )


def notified(world, who, event):
    return Notification.objects.filter(recipient=world.users[who], event=event).exists()


def test_create_places_library_templates(world):
    plan = make_plan(world)
    assert plan.status == P.DRAFT
    assert plan.period_end == datetime.date(2026, 6, 30)
    assert plan.name.startswith("2026Q2")
    assert plan.parts.count() == 3
    sales = PlanIndicator.objects.filter(plan=plan, name="销售额")
    # sales / sales_east are of type "sales" (code), so the sales KPIs go to each of them
    assert {i.department_id for i in sales} == {world.sales.pk, world.sales_east.pk}
    teamwork = PlanIndicator.objects.get(plan=plan, name="团队合作")
    assert teamwork.department_id is None and teamwork.category == "competency"


def test_full_chain_company_level(world):
    plan = make_plan(world)
    step(world, plan, "perf", "submit")
    assert plan.status == P.HR_REVIEW and plan.submitted_by == world.users["perf"]
    assert notified(world, "hrvp", "performance.plan_submitted")
    step(world, plan, "hrvp", "hr_approve")
    assert plan.status == P.VP_REVIEW
    reviews = dict(PlanDepartment.objects.filter(plan=plan).values_list("department_id", "review"))
    assert reviews == {
        world.sales.pk: R.PENDING,
        world.sales_east.pk: R.PENDING,
        world.production.pk: R.PENDING,
    }
    assert notified(world, "vp1", "performance.plan_hr_approved")
    assert notified(world, "vp2", "performance.plan_hr_approved")
    # vp1 may not decide production's part
    with pytest.raises(PermissionDenied):
        review(world, plan, "vp1", "production")
    review(world, plan, "vp1", "sales")
    review(world, plan, "vp1", "sales_east")
    plan.refresh_from_db()
    assert plan.status == P.VP_REVIEW
    # replay: an approved part cannot be approved again
    with pytest.raises(TransitionError):
        review(world, plan, "vp1", "sales")
    review(world, plan, "vp2", "production")
    plan.refresh_from_db()
    assert plan.status == P.GM_FILING
    assert notified(world, "gm", "performance.plan_to_gm")
    step(world, plan, "gm", "gm_file")
    plan.refresh_from_db()
    assert plan.status == P.ASSIGNING
    cards = {c.employee_id: c for c in Scorecard.objects.filter(plan=plan)}
    e = world.employees
    expected = {"head_sales", "head_east", "emp_east", "emp_east2", "head_prod", "emp_prod"}
    assert set(cards) == {e[k].pk for k in expected}
    assert cards[e["emp_east"].pk].evaluator_id == e["head_east"].pk
    assert cards[e["head_east"].pk].evaluator_id == e["head_sales"].pk  # their manager
    assert cards[e["emp_east"].pk].department_id == world.sales_east.pk
    names = set(
        ScorecardItem.objects.filter(scorecard=cards[e["emp_prod"].pk]).values_list(
            "indicator__name", flat=True
        )
    )
    assert {"产量", "次品率", "团队合作"} <= names and "销售额" not in names
    assert notified(world, "head_east", "performance.plan_published")
    # start refused until every department submitted its assignments
    with pytest.raises(ValidationError) as exc:
        step(world, plan, "perf", "start")
    assert "销售部" in " ".join(exc.value.messages)
    PlanDepartment.objects.filter(plan=plan).update(assignments_submitted_at=timezone.now())
    step(world, plan, "perf", "start")
    assert plan.status == P.TRACKING
    step(world, plan, "perf", "open_self_evaluation")
    assert notified(world, "emp_east", "performance.plan_self_evaluation")
    step(world, plan, "perf", "open_manager_evaluation")
    assert notified(world, "head_east", "performance.plan_manager_evaluation")
    step(world, plan, "perf", "open_calibration")
    assert plan.status == P.CALIBRATION


def test_not_company_level_publishes_after_parts(world):
    plan = make_plan(world, company_level=False)
    step(world, plan, "perf", "submit")
    step(world, plan, "hrvp", "hr_approve")
    review(world, plan, "vp1", "sales")
    review(world, plan, "vp1", "sales_east")
    review(world, plan, "vp2", "production")
    plan.refresh_from_db()
    assert plan.status == P.ASSIGNING
    assert Scorecard.objects.filter(plan=plan).count() == 6


def test_parts_without_vp_are_not_needed(world):
    plan = make_plan(world, keys=("exec",))
    step(world, plan, "perf", "submit")
    step(world, plan, "hrvp", "hr_approve")
    plan.refresh_from_db()
    # exec has no supervising VP: nothing to wait for, straight to the GM
    assert plan.status == P.GM_FILING
    assert PlanDepartment.objects.get(plan=plan).review == R.NOT_NEEDED


def test_returns_need_reason_and_reset_parts(world):
    plan = make_plan(world)
    step(world, plan, "perf", "submit")
    with pytest.raises(ValidationError):
        step(world, plan, "hrvp", "hr_return")
    step(world, plan, "hrvp", "hr_return", comment="权重不对")
    assert plan.status == P.DRAFT
    assert PlanComment.objects.filter(plan=plan, step="hr_return", body="权重不对").exists()
    assert notified(world, "perf", "performance.plan_returned")
    step(world, plan, "perf", "submit")
    step(world, plan, "hrvp", "hr_approve")
    review(world, plan, "vp1", "sales")
    review(world, plan, "vp2", "production", decision="return", comment="次品率目标太松")
    plan.refresh_from_db()
    assert plan.status == P.DRAFT
    assert set(PlanDepartment.objects.filter(plan=plan).values_list("review", flat=True)) == {
        R.PENDING
    }
    comment = PlanComment.objects.get(plan=plan, step="vp_return")
    assert comment.department == world.production


def test_gm_return(world):
    plan = make_plan(world, keys=("exec",))
    step(world, plan, "perf", "submit")
    step(world, plan, "hrvp", "hr_approve")
    step(world, plan, "gm", "gm_return", comment="再议")
    assert plan.status == P.DRAFT


@pytest.mark.parametrize(
    "status,bad_steps",
    [
        (P.DRAFT, ["hr_approve", "hr_return", "gm_file", "start", "open_calibration"]),
        (P.HR_REVIEW, ["submit", "gm_file", "start"]),
        (P.ASSIGNING, ["submit", "hr_approve", "open_self_evaluation", "open_calibration"]),
        (P.TRACKING, ["start", "open_manager_evaluation", "open_calibration"]),
    ],
)
def test_illegal_steps_change_nothing(world, status, bad_steps):
    plan = make_plan(world)
    Plan.objects.filter(pk=plan.pk).update(status=status)
    for name in bad_steps:
        who = {"hr_approve": "hrvp", "hr_return": "hrvp", "gm_file": "gm"}.get(name, "perf")
        plan.refresh_from_db()
        before = (plan.status, plan.version)
        with pytest.raises(TransitionError):
            step(world, plan, who, name, comment="x")
        plan.refresh_from_db()
        assert (plan.status, plan.version) == before


def test_unknown_and_foreign_steps(world):
    plan = make_plan(world)
    for name in ("publish_results", "close", "reopen", "to_gm", "publish", "nonsense"):
        with pytest.raises(TransitionError):
            step(world, plan, "perf", name)


def test_wrong_roles_refused(world):
    plan = make_plan(world)
    with pytest.raises(PermissionDenied):
        step(world, plan, "hrvp", "submit")
    step(world, plan, "perf", "submit")
    for who in ("perf", "gm"):
        with pytest.raises(PermissionDenied):
            step(world, plan, who, "hr_approve")
    # a VP cannot see a plan in HR review: 404
    from django.http import Http404

    with pytest.raises(Http404):
        step(world, plan, "vp1", "hr_approve")


def test_nobody_approves_their_own_plan(world):
    role_assign(actor=None, employee=world.employees["perf"], role=Role.HR_VP)
    role_assign(actor=None, employee=world.employees["perf"], role=Role.GENERAL_MANAGER)
    plan = make_plan(world, keys=("exec",))
    step(world, plan, "perf", "submit")
    with pytest.raises(PermissionDenied):
        step(world, plan, "perf", "hr_approve")
    plan.refresh_from_db()
    assert plan.status == P.HR_REVIEW
    step(world, plan, "hrvp", "hr_approve")
    plan.refresh_from_db()
    assert plan.status == P.GM_FILING
    with pytest.raises(PermissionDenied):
        step(world, plan, "perf", "gm_file")
    step(world, plan, "gm", "gm_file")
    assert plan.status == P.ASSIGNING


def test_stale_version_refused(world):
    plan = make_plan(world)
    stale = plan.version
    sp.plan_update(actor=world.users["perf"], plan=plan, version=stale, name="改名")
    with pytest.raises(ConflictError):
        sp.plan_transition(actor=world.users["perf"], plan=plan, step="submit", version=stale)
    plan.refresh_from_db()
    assert plan.status == P.DRAFT
    with pytest.raises(ConflictError):
        sp.plan_update(actor=world.users["perf"], plan=plan, version=stale, name="又改")


def test_submit_needs_departments_and_indicators(world):
    plan = sp.plan_create(
        actor=world.users["perf"],
        period_kind="month",
        period_start=datetime.date(2026, 5, 1),
        departments=[world.production],
    )
    with pytest.raises(ValidationError):
        step(world, plan, "perf", "submit")
    plan.refresh_from_db()
    assert plan.status == P.DRAFT


def test_hr_vp_edits_during_review_are_diffed(world):
    from renshi.core.context import actor_context
    from renshi.performance.selectors_plans import review_changes

    plan = make_plan(world)
    with actor_context(actor=world.users["perf"], channel="web"):
        step(world, plan, "perf", "submit")
    plan.refresh_from_db()
    with actor_context(actor=world.users["hrvp"], channel="web"):
        sp.plan_update(
            actor=world.users["hrvp"], plan=plan, version=plan.version,
            results_share=80, competency_share=20,
        )  # fmt: skip
        ind = PlanIndicator.objects.filter(plan=plan, name="产量").first()
        plan.refresh_from_db()
        sp.plan_indicator_update(
            actor=world.users["hrvp"], indicator=ind, version=plan.version, default_weight=70
        )
    # the performance manager may not edit during review
    plan.refresh_from_db()
    with pytest.raises(PermissionDenied):
        sp.plan_update(actor=world.users["perf"], plan=plan, version=plan.version, name="x")
    changes = review_changes(user=world.users["hrvp"], plan=plan)
    fields = {c.name for row in changes.plan_rows for c in row.changes}
    assert {"results_share", "competency_share"} <= fields
    ind_fields = {c.name for row in changes.indicator_rows for c in row.changes}
    assert "default_weight" in ind_fields


def test_copy_from_last_period(world):
    plan = make_plan(world)
    plan.assign_deadline = datetime.date(2026, 4, 10)
    plan.save()
    copy = sp.plan_copy(actor=world.users["perf"], plan=plan)
    assert copy.status == P.DRAFT and copy.copied_from == plan
    assert copy.period_start == datetime.date(2026, 7, 1)
    assert copy.period_end == datetime.date(2026, 9, 30)
    assert copy.assign_deadline == datetime.date(2026, 7, 10)
    assert copy.name.startswith("2026Q3")
    assert copy.indicators.count() == plan.indicators.count()
    assert copy.parts.count() == 3


def test_publication_queries_constant(world):
    from renshi.org.models import Employee
    from renshi.org.services import employee_create

    def run(extra):
        plan = make_plan(world, company_level=False, keys=("production",))
        for i in range(extra):
            employee_create(
                actor=None, company=world.company, employee_no=f"X{plan.pk}{i:03d}",
                name=f"工人{i}", department=world.production, position=world.position,
                hire_date=datetime.date(2024, 1, 1), status=Employee.Status.REGULAR,
            )  # fmt: skip
        step(world, plan, "perf", "submit")
        step(world, plan, "hrvp", "hr_approve")
        plan.refresh_from_db()
        part = PlanDepartment.objects.get(plan=plan)
        with CaptureQueriesContext(connection) as ctx:
            sp.plan_part_review(
                actor=world.users["vp2"], part=part, decision="approve", version=plan.version
            )
        plan.refresh_from_db()
        assert plan.status == P.ASSIGNING
        return len(ctx.captured_queries)

    run(0)  # warm the caches (scope, content types)
    small = run(1)
    large = run(15)
    assert large == small
