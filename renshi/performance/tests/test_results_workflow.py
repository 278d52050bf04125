"""Publication, close, reopen, acknowledgement and improvement plans: every legal and illegal
step on the services, the pages and the API; denied and refused steps change nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.notifications.models import Notification
from renshi.performance import services_results as sr
from renshi.performance.models import Appeal, ImprovementPlan, Plan, Scorecard

from .matrix_results import results_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Service messages are matched in English (pages are checked in their zh-hans default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


P, S = Plan.Status, Scorecard.Status


def _plan(pw):
    return Plan.objects.get(pk=pw.plan.pk)


def _snapshot(pw):
    plan = _plan(pw)
    return (
        plan.status,
        plan.version,
        plan.published_at,
        tuple(Scorecard.objects.filter(plan=plan).order_by("pk").values_list("status", "version")),
    )


# --- publish ------------------------------------------------------------------------------------


def test_publish_refuses_and_lists_cards_not_evaluated(world, client_for):
    pw = results_world(world)
    Scorecard.objects.filter(pk=pw.cards["emp_prod"].pk).update(status=S.SELF_EVALUATED)
    before = _snapshot(pw)
    with pytest.raises(sr.NotReadyError) as info:
        sr.plan_publish_results(actor=world.users["perf"], plan=pw.plan, version=1)
    assert [c.employee.name for c in info.value.cards] == ["褚工人"]
    page = client_for("perf").post(
        reverse("performance:results_publish", kwargs={"pk": pw.plan.pk}), {"version": 1}
    )
    assert page.status_code == 409
    assert "褚工人" in page.content.decode() and 'data-testid="pending-cards"' in (
        page.content.decode()
    )
    api = client_for("perf").post(
        reverse("api:performance-results-publish", kwargs={"pk": pw.plan.pk}),
        {"version": 1},
        content_type="application/json",
    )
    assert api.status_code == 409 and "褚工人" in api.json()["error"]["message"]
    assert _snapshot(pw) == before


def test_publish_scores_moves_every_card_and_notifies(world):
    pw = results_world(world)
    plan = sr.plan_publish_results(actor=world.users["perf"], plan=pw.plan, version=1)
    assert plan.status == P.PUBLISHED and plan.published_at is not None and plan.version == 2
    cards = list(Scorecard.objects.filter(plan=plan))
    assert {c.status for c in cards} == {S.PUBLISHED}
    assert all(c.published_at == plan.published_at and c.version == 2 for c in cards)
    assert AuditLog.objects.filter(
        object_id=str(pw.cards["emp_east"].pk), changes__status__after=S.PUBLISHED
    ).exists()
    assert AuditLog.objects.filter(object_id=str(plan.pk), changes__status__after="published")
    notified = set(
        Notification.objects.filter(event="performance.results_published").values_list(
            "recipient_id", flat=True
        )
    )
    assert notified == {world.users[k].pk for k in ("emp_east", "emp_east2", "emp_prod")}
    # replayed: the workflow refuses, nothing changes
    before = _snapshot(pw)
    with pytest.raises(TransitionError):
        sr.plan_publish_results(actor=world.users["perf"], plan=pw.plan, version=2)
    assert _snapshot(pw) == before


def test_publish_stale_and_by_others(world):
    pw = results_world(world)
    before = _snapshot(pw)
    with pytest.raises(ConflictError):
        sr.plan_publish_results(actor=world.users["perf"], plan=pw.plan, version=7)
    for key in ("hrvp", "gm", "vp1", "head_east"):
        with pytest.raises(PermissionDenied):
            sr.plan_publish_results(actor=world.users[key], plan=pw.plan, version=1)
    assert _snapshot(pw) == before


@pytest.mark.parametrize("status", [P.TRACKING, P.MANAGER_EVALUATION, P.PUBLISHED, P.CLOSED])
def test_publish_from_other_stages_is_refused(world, status):
    pw = results_world(world, plan_status=status)
    before = _snapshot(pw)
    with pytest.raises(TransitionError):
        sr.plan_publish_results(actor=world.users["perf"], plan=pw.plan, version=1)
    assert _snapshot(pw) == before


def test_publish_page_and_api(world, client_for):
    pw = results_world(world)
    response = client_for("perf").post(
        reverse("performance:results_publish", kwargs={"pk": pw.plan.pk}), {"version": 1}
    )
    assert response.status_code == 302 and _plan(pw).status == P.PUBLISHED
    replay = client_for("perf").post(
        reverse("performance:results_publish", kwargs={"pk": pw.plan.pk}), {"version": 2}
    )
    assert replay.status_code == 409
    api = client_for("perf").post(
        reverse("api:performance-results-publish", kwargs={"pk": pw.plan.pk}),
        {"version": 2},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "transition"


# --- close --------------------------------------------------------------------------------------


def test_close_waits_for_the_window_and_open_appeals(world, client_for):
    pw = results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )
    before = _snapshot(pw)
    with pytest.raises(TransitionError, match="appeal window"):
        sr.plan_close(actor=world.users["perf"], plan=pw.plan, version=1)
    page = client_for("perf").post(
        reverse("performance:results_close", kwargs={"pk": pw.plan.pk}), {"version": 1}
    )
    assert page.status_code == 409
    Plan.objects.filter(pk=pw.plan.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=30)
    )
    appeal = Appeal.objects.create(
        company=world.company,
        scorecard=pw.cards["emp_east"],
        reason="x",
        raised_by=world.users["emp_east"],
    )
    with translation.override("en"), pytest.raises(TransitionError, match="still open"):
        sr.plan_close(actor=world.users["perf"], plan=pw.plan, version=1)
    api = client_for("perf").post(
        reverse("api:performance-results-close", kwargs={"pk": pw.plan.pk}),
        {"version": 1},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert _snapshot(pw)[:2] == before[:2]
    Appeal.objects.filter(pk=appeal.pk).update(status=Appeal.Status.REJECTED)
    with pytest.raises(PermissionDenied):
        sr.plan_close(actor=world.users["hrvp"], plan=pw.plan, version=1)
    plan = sr.plan_close(actor=world.users["perf"], plan=pw.plan, version=1)
    assert plan.status == P.CLOSED and plan.closed_at is not None
    with pytest.raises(TransitionError):
        sr.plan_close(actor=world.users["perf"], plan=pw.plan, version=2)


def test_a_closed_plan_is_locked(world):
    pw = results_world(world, plan_status=P.CLOSED, card_status=S.PUBLISHED, published_days_ago=30)
    card = pw.cards["emp_east"]
    prod = pw.cards["emp_prod"]
    calls = [
        lambda: sr.scorecard_acknowledge(actor=world.users["emp_east"], scorecard=card, version=1),
        lambda: sr.appeal_create(
            actor=world.users["emp_east"], scorecard=card, reason="x", version=1
        ),
        lambda: sr.improvement_plan_save(
            actor=world.users["vp2"],
            scorecard=prod,
            goals="a",
            actions="b",
            review_date=datetime.date(2026, 6, 30),
        ),
    ]
    before = _snapshot(pw)
    for call in calls:
        with pytest.raises(TransitionError, match="closed"):
            call()
    assert _snapshot(pw) == before
    assert not ImprovementPlan.objects.exists() and not Appeal.objects.exists()


# --- reopen -------------------------------------------------------------------------------------


def test_reopen_by_the_hr_vp_with_a_reason(world, client_for):
    pw = results_world(world, plan_status=P.CLOSED, card_status=S.PUBLISHED, published_days_ago=30)
    Scorecard.objects.filter(pk=pw.cards["emp_east"].pk).update(status=S.ACKNOWLEDGED)
    before = _snapshot(pw)
    with pytest.raises(PermissionDenied):
        sr.plan_reopen(actor=world.users["perf"], plan=pw.plan, version=1, reason="x")
    with pytest.raises(ValidationError):
        sr.plan_reopen(actor=world.users["hrvp"], plan=pw.plan, version=1, reason=" ")
    page = client_for("hrvp").post(
        reverse("performance:results_reopen", kwargs={"pk": pw.plan.pk}),
        {"version": 1, "reason": ""},
    )
    assert page.status_code == 422
    api = client_for("hrvp").post(
        reverse("api:performance-results-reopen", kwargs={"pk": pw.plan.pk}),
        {"version": 1},
        content_type="application/json",
    )
    assert api.status_code == 400
    with pytest.raises(ConflictError):
        sr.plan_reopen(actor=world.users["hrvp"], plan=pw.plan, version=5, reason="x")
    assert _snapshot(pw) == before
    plan = sr.plan_reopen(
        actor=world.users["hrvp"], plan=pw.plan, version=1, reason="申诉复核发现数据错误"
    )
    assert plan.status == P.CALIBRATION and plan.closed_at is None
    assert set(Scorecard.objects.filter(plan=plan).values_list("status", flat=True)) == {
        S.EVALUATED
    }
    event = AuditLog.objects.get(object_id=str(plan.pk), message="results reopened")
    assert event.changes["reason"] == "申诉复核发现数据错误" and event.changes["scorecards"] == 3
    # replayed: not closed any more
    with pytest.raises(TransitionError):
        sr.plan_reopen(actor=world.users["hrvp"], plan=pw.plan, version=2, reason="x")
    # calibration works again, and publication
    card = sr.scorecard_calibrate(
        actor=world.users["hrvp"],
        scorecard=pw.cards["emp_prod"],
        grade="pass",
        reason="复核",
        version=Scorecard.objects.get(pk=pw.cards["emp_prod"].pk).version,
    )
    assert card.final_grade == "pass"
    plan = sr.plan_publish_results(actor=world.users["perf"], plan=plan, version=plan.version)
    assert plan.status == P.PUBLISHED


@pytest.mark.parametrize("status", [P.CALIBRATION, P.PUBLISHED])
def test_reopen_only_from_closed(world, status):
    pw = results_world(world, plan_status=status)
    before = _snapshot(pw)
    with pytest.raises(TransitionError):
        sr.plan_reopen(actor=world.users["hrvp"], plan=pw.plan, version=1, reason="x")
    assert _snapshot(pw) == before


# --- acknowledge --------------------------------------------------------------------------------


def test_acknowledge_own_published_card(world, client_for):
    pw = results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )
    card = pw.cards["emp_east"]
    with pytest.raises(PermissionDenied):
        sr.scorecard_acknowledge(actor=world.users["head_east"], scorecard=card, version=1)
    with pytest.raises(ConflictError):
        sr.scorecard_acknowledge(actor=world.users["emp_east"], scorecard=card, version=9)
    url = reverse("performance:results_acknowledge", kwargs={"pk": card.pk})
    response = client_for("emp_east").post(url, {"version": 1})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == S.ACKNOWLEDGED and card.acknowledged_at is not None
    replay = client_for("emp_east").post(url, {"version": card.version})
    assert replay.status_code == 409
    api = client_for("emp_east").post(
        reverse("api:performance-results-acknowledge", kwargs={"pk": card.pk}),
        {"version": card.version},
        content_type="application/json",
    )
    assert api.status_code == 409
    # acknowledged cards cannot be appealed
    with pytest.raises(TransitionError):
        sr.appeal_create(
            actor=world.users["emp_east"], scorecard=card, reason="x", version=card.version
        )


def test_acknowledge_api(world, client_for):
    pw = results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )
    card = pw.cards["emp_east2"]
    api = client_for("emp_east2").post(
        reverse("api:performance-results-acknowledge", kwargs={"pk": card.pk}),
        {"version": 1},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["status"] == S.ACKNOWLEDGED


def test_report_hidden_from_the_employee_before_publication(world, client_for):
    pw = results_world(world)
    url = reverse("performance:results_report", kwargs={"pk": pw.cards["emp_east"].pk})
    assert client_for("emp_east").get(url).status_code == 403
    assert client_for("head_east").get(url).status_code == 200
    api = reverse("api:performance-results-report", kwargs={"pk": pw.cards["emp_east"].pk})
    assert client_for("emp_east").get(api).status_code == 403


# --- improvement plan ---------------------------------------------------------------------------


def test_improvement_plan_for_below_pass(world, client_for):
    pw = results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )
    prod, east = pw.cards["emp_prod"], pw.cards["emp_east"]
    data = {
        "goals": "次品率降到 2%",
        "actions": "每周复盘",
        "review_date": datetime.date(2026, 6, 30),
    }
    with pytest.raises(PermissionDenied):  # performance manager: not a head
        sr.improvement_plan_save(actor=world.users["perf"], scorecard=prod, **data)
    with pytest.raises(ValidationError):  # excellent: no improvement plan
        sr.improvement_plan_save(actor=world.users["vp1"], scorecard=east, **data)
    with pytest.raises(ValidationError):  # review inside the period
        sr.improvement_plan_save(
            actor=world.users["vp2"],
            scorecard=prod,
            **{**data, "review_date": datetime.date(2026, 3, 1)},
        )
    plan = sr.improvement_plan_save(actor=world.users["vp2"], scorecard=prod, **data)
    assert plan.created_by == world.users["vp2"]
    assert Notification.objects.filter(
        event="performance.improvement_plan", recipient=world.users["emp_prod"]
    ).exists()
    with pytest.raises(ConflictError):  # an update needs the version read
        sr.improvement_plan_save(actor=world.users["vp2"], scorecard=prod, **data)
    plan = sr.improvement_plan_save(
        actor=world.users["vp2"], scorecard=prod, version=1, **{**data, "actions": "师傅带教"}
    )
    assert plan.actions == "师傅带教" and plan.version == 2
    page = client_for("gm").post(
        reverse("performance:results_improvement", kwargs={"pk": prod.pk}),
        {"goals": "x", "actions": "y", "review_date": "2026-07-01", "version": 1},
    )
    assert page.status_code == 409
    report = client_for("emp_prod").get(
        reverse("performance:results_report", kwargs={"pk": prod.pk})
    )
    assert "师傅带教" in report.content.decode()


def test_own_card_no_improvement_plan(world):
    pw = results_world(
        world, plan_status=P.PUBLISHED, card_status=S.PUBLISHED, published_days_ago=1
    )
    card = Scorecard.objects.create(
        company=world.company,
        plan=pw.plan,
        employee=world.employees["head_east"],
        department=world.departments["sales_east"],
    )
    Scorecard.objects.filter(pk=card.pk).update(status=S.PUBLISHED, grade="fail")
    with pytest.raises(PermissionDenied):
        sr.improvement_plan_save(
            actor=world.users["head_east"],
            scorecard=card,
            goals="a",
            actions="b",
            review_date=datetime.date(2026, 6, 30),
        )
