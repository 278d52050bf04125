"""The plan workflow on pages and API: legal steps, illegal/replayed steps (409, nothing
changed), stale versions (409), self-approval refused, the review screen's diff, constant
queries for the lists, the stage-overdue alert."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renshi.org.models import Role
from renshi.org.services import role_assign
from renshi.performance import services_plans as sp
from renshi.performance.models import Plan, PlanDepartment, Scorecard
from renshi.performance.testing import build_plan_world

from .test_plans_services import make_plan

pytestmark = pytest.mark.django_db
P = Plan.Status


def page_step(client, plan, step, version=None, comment=""):
    plan.refresh_from_db()
    return client.post(
        reverse("performance:plan_transition", kwargs={"pk": plan.pk}),
        {"step": step, "version": plan.version if version is None else version, "comment": comment},
    )


def api_step(client, plan, step, version=None, comment=""):
    plan.refresh_from_db()
    return client.post(
        reverse("api:performance-plans-transition", kwargs={"pk": plan.pk}),
        data=json.dumps(
            {"step": step, "version": plan.version if version is None else version,
             "comment": comment}
        ),
        content_type="application/json",
    )  # fmt: skip


def api_part(client, plan, part, decision="approve", comment=""):
    plan.refresh_from_db()
    return client.post(
        reverse("api:performance-plans-part-review", kwargs={"pk": plan.pk, "part": part.pk}),
        data=json.dumps({"decision": decision, "version": plan.version, "comment": comment}),
        content_type="application/json",
    )


def test_chain_on_pages(world, client_for):
    plan = make_plan(world, keys=("production",))
    perf, hrvp, vp2, gm = (client_for(k) for k in ("perf", "hrvp", "vp2", "gm"))
    assert page_step(perf, plan, "submit").status_code == 302
    # replayed submit: 409, nothing changes
    plan.refresh_from_db()
    before = (plan.status, plan.version)
    response = page_step(perf, plan, "submit")
    assert response.status_code == 409
    assert 'data-testid="transition-error"' in response.content.decode()
    plan.refresh_from_db()
    assert (plan.status, plan.version) == before
    # the review screen shows the HR VP its buttons
    review = hrvp.get(reverse("performance:plan_review", kwargs={"pk": plan.pk}))
    assert review.status_code == 200 and b'data-step="hr_approve"' in review.content
    # return without a reason: 422, nothing changes
    assert page_step(hrvp, plan, "hr_return").status_code == 422
    assert page_step(hrvp, plan, "hr_approve").status_code == 302
    part = PlanDepartment.objects.get(plan=plan)
    plan.refresh_from_db()
    detail = vp2.get(reverse("performance:plan_review", kwargs={"pk": plan.pk}))
    assert b'data-testid="part-review"' in detail.content
    response = vp2.post(
        reverse("performance:plan_part_review", kwargs={"pk": plan.pk, "part": part.pk}),
        {"decision": "approve", "version": plan.version},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == P.GM_FILING
    assert page_step(gm, plan, "gm_file").status_code == 302
    plan.refresh_from_db()
    assert plan.status == P.ASSIGNING
    assert Scorecard.objects.filter(plan=plan).count() == 2  # head_prod, emp_prod
    # start refused with the list of departments (422), nothing changes
    response = page_step(perf, plan, "start")
    assert response.status_code == 422 and "生产部" in response.content.decode()


def test_stale_version_on_pages_and_api(world, client_for):
    plan = make_plan(world)
    perf = client_for("perf")
    stale = plan.version
    sp.plan_update(actor=world.users["perf"], plan=plan, version=stale, name="新名字")
    assert page_step(perf, plan, "submit", version=stale).status_code == 409
    response = api_step(perf, plan, "submit", version=stale)
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    plan.refresh_from_db()
    assert plan.status == P.DRAFT


def test_chain_on_api(world, client_for):
    plan = make_plan(world, keys=("sales", "production"), company_level=False)
    perf, hrvp, vp1, vp2 = (client_for(k) for k in ("perf", "hrvp", "vp1", "vp2"))
    response = api_step(perf, plan, "submit")
    assert response.status_code == 200 and response.json()["status"] == P.HR_REVIEW
    response = api_step(perf, plan, "submit")
    assert response.status_code == 409 and response.json()["error"]["code"] == "transition"
    assert api_step(vp1, plan, "hr_approve").status_code == 404  # not visible in HR review
    assert api_step(perf, plan, "hr_approve").status_code == 403
    assert api_step(hrvp, plan, "hr_approve").status_code == 200
    sales = PlanDepartment.objects.get(plan=plan, department=world.sales)
    production = PlanDepartment.objects.get(plan=plan, department=world.production)
    assert api_part(vp2, plan, sales).status_code == 403
    assert api_part(vp1, plan, sales).status_code == 200
    assert api_part(vp1, plan, sales).status_code == 409  # replayed
    response = api_part(vp2, plan, production)
    assert response.status_code == 200 and response.json()["status"] == P.ASSIGNING
    body = (
        client_for("perf")
        .get(reverse("api:performance-plans-detail", kwargs={"pk": plan.pk}))
        .json()
    )
    assert {p["review"] for p in body["parts"]} == {"approved"}
    assert body["steps"] == ["start"]  # offered; refused with the list until all submitted
    response = api_step(perf, plan, "start")
    assert response.status_code == 400
    for step in ("publish_results", "close", "reopen"):
        assert api_step(perf, plan, step).status_code == 409


def test_self_approval_refused_on_api(world, client_for):
    role_assign(actor=None, employee=world.employees["perf"], role=Role.HR_VP)
    plan = make_plan(world)
    perf = client_for("perf")
    assert api_step(perf, plan, "submit").status_code == 200
    response = api_step(perf, plan, "hr_approve")
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == P.HR_REVIEW


def test_api_create_update_and_copy(world, client_for):
    from renshi.performance.library import library_seed

    library_seed(company=world.company)
    perf = client_for("perf")
    response = perf.post(
        reverse("api:performance-plans-list"),
        data=json.dumps({
            "period_kind": "month", "period_start": "2026-05-01",
            "departments": [world.production.pk],
        }),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["period_end"] == "2026-05-31" and body["results_share"] == "70.00"
    response = perf.patch(
        reverse("api:performance-plans-detail", kwargs={"pk": body["id"]}),
        data=json.dumps({"results_share": "80", "competency_share": "20",
                         "distribution": {"excellent": 20, "good": 30, "pass": 40, "fail": 10},
                         "version": body["version"]}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["distribution"]["excellent"] == "20"
    response = perf.patch(
        reverse("api:performance-plans-detail", kwargs={"pk": body["id"]}),
        data=json.dumps({"results_share": "60", "version": body["version"]}),
        content_type="application/json",
    )
    assert response.status_code == 409
    response = perf.post(reverse("api:performance-plans-copy", kwargs={"pk": body["id"]}))
    assert response.status_code == 201
    assert response.json()["period_start"] == "2026-06-01"


def test_designer_preview_and_small_group_warning(world, client_for):
    plan = make_plan(world, keys=("production",))
    plan.refresh_from_db()
    sp.plan_update(
        actor=world.users["perf"], plan=plan, version=plan.version,
        distribution={"excellent": "20", "good": "30", "pass": "40", "fail": "10"},
    )  # fmt: skip
    response = client_for("perf").get(reverse("performance:plan_design", kwargs={"pk": plan.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="distribution"' in html and 'data-testid="small-group"' in html
    assert "style=" not in html and "<script>" not in html


def test_lists_constant_queries(world, client_for):
    perf = client_for("perf")
    make_plan(world)
    perf.get(reverse("performance:plan_list"))
    with CaptureQueriesContext(connection) as one:
        perf.get(reverse("performance:plan_list"))
    with CaptureQueriesContext(connection) as api_one:
        perf.get(reverse("api:performance-plans-list"))
    for _i in range(3):
        make_plan(world)
    with CaptureQueriesContext(connection) as many:
        perf.get(reverse("performance:plan_list"))
    with CaptureQueriesContext(connection) as api_many:
        perf.get(reverse("api:performance-plans-list"))
    assert len(many) == len(one)
    assert len(api_many) == len(api_one)


def test_stage_overdue_alert(world):
    from renshi.performance.hooks_plans import evaluate_stage_overdue

    pw = build_plan_world(world, plan_status=P.ASSIGNING)

    class Rule:
        company_id = world.company.pk

    today = datetime.date(2026, 1, 20)  # after the assignment deadline (01-10)
    findings = list(evaluate_stage_overdue(Rule, today))
    assert len(findings) == 3  # sales, sales_east, production have not submitted
    recipients = set().union(*(set(f.recipients) for f in findings))
    assert world.users["hrvp"].pk in recipients and world.users["head_east"].pk in recipients
    Plan.objects.filter(pk=pw.plan.pk).update(status=P.SELF_EVALUATION)
    Scorecard.objects.filter(employee=world.emp_prod).update(status="self_evaluated")
    findings = list(evaluate_stage_overdue(Rule, datetime.date(2026, 4, 6)))
    assert {f.employee_id for f in findings} == {world.emp_east.pk, world.emp_east2.pk}
    assert world.users["emp_east"].pk in set(findings[0].recipients) | set(findings[1].recipients)
    assert not list(evaluate_stage_overdue(Rule, datetime.date(2026, 4, 5)))  # on the deadline
