"""Scorecard services: every legal and illegal step, who may take it, the plan stage, stale
versions, weights that do not total 100, the department's submission, threads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.notifications.models import Notification
from renshi.performance import services_cards as services
from renshi.performance.models import ItemComment, Plan, PlanDepartment, Scorecard, ScorecardItem
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db
P, S = Plan.Status, Scorecard.Status


def _pw(world, plan_status, card_status):
    return build_plan_world(world, plan_status=plan_status, card_status=card_status)


def _card(pw, key="emp_east") -> Scorecard:
    return Scorecard.objects.select_related("plan").get(pk=pw.cards[key].pk)


def _snapshot(card: Scorecard):
    card.refresh_from_db()
    items = tuple(
        ScorecardItem.objects.filter(scorecard=card)
        .order_by("id")
        .values_list("weight", "target", "actual", "rating", "version")
    )
    return card.status, card.version, card.objection, items


# --- send / confirm / object --------------------------------------------------------------------


def test_send_confirm_and_notify(world):
    pw = _pw(world, P.ASSIGNING, S.DRAFT)
    card = _card(pw)
    card = services.scorecard_send(actor=world.users["head_east"], scorecard=card, version=1)
    assert card.status == S.SENT and card.version == 2
    assert Notification.objects.filter(
        recipient=world.users["emp_east"], event="performance.scorecard_sent"
    ).exists()
    assert AuditLog.objects.filter(object_id=str(card.pk), changes__status__isnull=False).exists()
    card = services.scorecard_confirm(actor=world.users["emp_east"], scorecard=card, version=2)
    assert card.status == S.CONFIRMED
    assert Notification.objects.filter(
        recipient=world.users["head_east"], event="performance.scorecard_confirmed"
    ).exists()


def test_object_then_resend(world):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    card = _card(pw)
    with pytest.raises(ValidationError):
        services.scorecard_object(
            actor=world.users["emp_east"], scorecard=card, version=1, reason=""
        )
    assert _card(pw).status == S.SENT
    card = services.scorecard_object(
        actor=world.users["emp_east"], scorecard=card, version=1, reason="目标太高"
    )
    assert card.status == S.OBJECTED and card.objection == "目标太高"
    assert Notification.objects.filter(
        recipient=world.users["head_east"], event="performance.scorecard_objected"
    ).exists()
    card = services.scorecard_send(actor=world.users["head_east"], scorecard=card, version=2)
    assert card.status == S.SENT


@pytest.mark.parametrize(
    ("card_status", "step", "actor"),
    [
        (S.DRAFT, "confirm", "emp_east"),
        (S.DRAFT, "object", "emp_east"),
        (S.CONFIRMED, "send", "head_east"),
        (S.CONFIRMED, "confirm", "emp_east"),  # replayed confirmation
        (S.SENT, "send", "head_east"),  # replayed send
        (S.OBJECTED, "confirm", "emp_east"),
    ],
)
def test_illegal_steps_change_nothing(world, card_status, step, actor):
    pw = _pw(world, P.ASSIGNING, card_status)
    card = _card(pw)
    before = _snapshot(card)
    with pytest.raises(TransitionError):
        services.scorecard_step(
            actor=world.users[actor], scorecard=card, step=step, version=1, reason="x"
        )
    assert _snapshot(card) == before


@pytest.mark.parametrize("plan_status", [P.TRACKING, P.VP_REVIEW, P.SELF_EVALUATION])
def test_send_needs_the_assigning_stage(world, plan_status):
    pw = _pw(world, plan_status, S.DRAFT)
    card = _card(pw)
    with pytest.raises(TransitionError):
        services.scorecard_send(actor=world.users["head_east"], scorecard=card, version=1)
    assert _card(pw).status == S.DRAFT


@pytest.mark.parametrize(
    ("step", "actor", "error"),
    [
        ("send", "emp_east", PermissionDenied),  # the employee sends nothing
        ("send", "head_prod", Http404),  # another department
        ("send", "vp2", Http404),  # another VP
    ],
)
def test_who_may_send(world, step, actor, error):
    pw = _pw(world, P.ASSIGNING, S.DRAFT)
    card = _card(pw)
    before = _snapshot(card)
    with pytest.raises(error):
        services.scorecard_step(actor=world.users[actor], scorecard=card, step=step, version=1)
    assert _snapshot(card) == before


@pytest.mark.parametrize("actor", ["head_east", "vp1", "perf"])
def test_only_the_employee_confirms(world, actor):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    card = _card(pw)
    with pytest.raises(PermissionDenied):
        services.scorecard_confirm(actor=world.users[actor], scorecard=card, version=1)
    assert _card(pw).status == S.SENT


def test_stale_step_conflicts(world):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    card = _card(pw)
    Scorecard.objects.filter(pk=card.pk).update(version=5)
    with pytest.raises(ConflictError):
        services.scorecard_confirm(actor=world.users["emp_east"], scorecard=card, version=4)
    assert _card(pw).status == S.SENT


def test_send_refuses_weights_not_100(world):
    pw = _pw(world, P.ASSIGNING, S.DRAFT)
    card = _card(pw)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(weight=50)
    with pytest.raises(ValidationError) as exc:
        services.scorecard_send(actor=world.users["head_east"], scorecard=card, version=1)
    assert "90" in " ".join(exc.value.messages)
    assert _card(pw).status == S.DRAFT


def test_batch_send_names_every_problem_and_sends_nothing(world):
    pw = _pw(world, P.ASSIGNING, S.DRAFT)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(target=None)
    with pytest.raises(ValidationError) as exc:
        services.scorecards_send(actor=world.users["head_east"], plan=pw.plan)
    assert "郑员工" in " ".join(exc.value.messages)
    assert not Scorecard.objects.filter(plan=pw.plan, status=S.SENT).exists()
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(target=10)
    sent = services.scorecards_send(actor=world.users["head_east"], plan=pw.plan)
    # head_east's scope: sales_east (emp_east, emp_east2); production is not theirs
    assert {c.employee.name for c in sent} == {"郑员工", "冯员工"}
    assert Scorecard.objects.get(pk=pw.cards["emp_prod"].pk).status == S.DRAFT
    assert Notification.objects.filter(event="performance.scorecard_sent").count() == 2


# --- assignment ---------------------------------------------------------------------------------


def test_items_update_batch_and_stale_row(world):
    pw = _pw(world, P.ASSIGNING, S.DRAFT)
    east, east2 = pw.cards["emp_east"], pw.cards["emp_east2"]
    sales, customers = pw.indicators["sales"].pk, pw.indicators["customers"].pk
    services.scorecard_items_update(
        actor=world.users["head_east"],
        rows=[
            {
                "scorecard": east.pk,
                "version": 1,
                "items": {sales: {"weight": "70", "target": "12"}},
            },
            {"scorecard": east2.pk, "version": 1, "items": {customers: {"weight": "30"}}},
        ],
    )
    item = ScorecardItem.objects.get(scorecard=east, indicator_id=sales)
    assert (item.weight, item.target, item.version) == (Decimal(70), Decimal(12), 2)
    assert Scorecard.objects.get(pk=east.pk).version == 2
    assert AuditLog.objects.filter(object_id=str(item.pk), action="update").exists()
    # a stale row refuses the whole batch
    before = _snapshot(Scorecard.objects.get(pk=east2.pk))
    with pytest.raises(ConflictError):
        services.scorecard_items_update(
            actor=world.users["head_east"],
            rows=[
                {"scorecard": east2.pk, "version": 2, "items": {sales: {"weight": "40"}}},
                {"scorecard": east.pk, "version": 1, "items": {sales: {"weight": "60"}}},
            ],
        )
    assert _snapshot(Scorecard.objects.get(pk=east2.pk)) == before


def test_items_update_refused_to_employee_and_after_sending(world):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    card = pw.cards["emp_east"]
    rows = [
        {"scorecard": card.pk, "version": 1, "items": {pw.indicators["sales"].pk: {"weight": "1"}}}
    ]
    with pytest.raises(PermissionDenied):
        services.scorecard_items_update(actor=world.users["emp_east"], rows=rows)
    with pytest.raises(TransitionError):
        services.scorecard_items_update(actor=world.users["head_east"], rows=rows)
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk).weight == 60


def test_items_update_invalid_value_keyed_by_cell(world):
    pw = _pw(world, P.ASSIGNING, S.DRAFT)
    card, sales = pw.cards["emp_east"], pw.indicators["sales"].pk
    with pytest.raises(ValidationError) as exc:
        services.scorecard_items_update(
            actor=world.users["head_east"],
            rows=[{"scorecard": card.pk, "version": 1, "items": {sales: {"weight": "abc"}}}],
        )
    assert f"{card.pk}-{sales}-weight" in exc.value.message_dict


# --- self-evaluation and evaluation -------------------------------------------------------------


def test_self_evaluation_then_evaluation_scores(world):
    pw = _pw(world, P.SELF_EVALUATION, S.CONFIRMED)
    card = _card(pw)
    sales = pw.items[("emp_east", "sales")]
    card = services.scorecard_self_evaluate(
        actor=world.users["emp_east"],
        scorecard=card,
        version=1,
        self_comment="完成了",
        items={sales.pk: {"actual": "10", "self_comment": "达标", "evidence": "https://crm/x"}},
    )
    assert card.status == S.SELF_EVALUATED
    sales.refresh_from_db()
    assert sales.actual == 10 and sales.evidence == "https://crm/x"
    Plan.objects.filter(pk=pw.plan.pk).update(status=P.MANAGER_EVALUATION)
    ratings = {
        pw.items[("emp_east", "teamwork")].pk: {"rating": "3", "manager_comment": "好"},
        pw.items[("emp_east", "communication")].pk: {"rating": "4"},
    }
    card = services.scorecard_evaluate(
        actor=world.users["head_east"],
        scorecard=_card(pw),
        version=card.version,
        manager_comment="不错",
        items=ratings,
    )
    assert card.status == S.EVALUATED
    assert card.score is not None and card.trace and card.scored_at is not None


def test_evaluation_needs_every_rating_and_a_level(world):
    pw = _pw(world, P.MANAGER_EVALUATION, S.SELF_EVALUATED)
    card = _card(pw)
    teamwork = pw.items[("emp_east", "teamwork")].pk
    with pytest.raises(ValidationError):
        services.scorecard_evaluate(
            actor=world.users["head_east"],
            scorecard=card,
            version=1,
            items={teamwork: {"rating": "7"}},
        )
    with pytest.raises(ValidationError):
        services.scorecard_evaluate(
            actor=world.users["head_east"],
            scorecard=card,
            version=1,
            items={teamwork: {"rating": "3"}},
        )
    assert _card(pw).status == S.SELF_EVALUATED


def test_nobody_evaluates_their_own_card(world):
    """head_east on their own card, recorded as their own evaluator, in their own department."""
    pw = _pw(world, P.MANAGER_EVALUATION, S.SELF_EVALUATED)
    own = Scorecard.objects.create(
        company=world.company,
        plan=pw.plan,
        employee=world.employees["head_east"],
        department=world.departments["sales_east"],
        evaluator=world.employees["head_east"],
    )
    Scorecard.objects.filter(pk=own.pk).update(status=S.SELF_EVALUATED)
    with pytest.raises(PermissionDenied):
        services.scorecard_evaluate(actor=world.users["head_east"], scorecard=own, version=1)
    assert Scorecard.objects.get(pk=own.pk).status == S.SELF_EVALUATED
    # and the employee does not evaluate themself either
    with pytest.raises(PermissionDenied):
        services.scorecard_evaluate(actor=world.users["emp_east"], scorecard=_card(pw), version=1)


def test_manager_cannot_self_evaluate_for_the_employee(world):
    pw = _pw(world, P.SELF_EVALUATION, S.CONFIRMED)
    with pytest.raises(PermissionDenied):
        services.scorecard_self_evaluate(
            actor=world.users["head_east"], scorecard=_card(pw), version=1
        )
    assert _card(pw).status == S.CONFIRMED


@pytest.mark.parametrize(
    ("plan_status", "card_status", "step", "actor"),
    [
        (P.TRACKING, S.CONFIRMED, "self_evaluate", "emp_east"),  # not open yet
        (P.SELF_EVALUATION, S.CONFIRMED, "evaluate", "head_east"),  # not open yet
        (P.MANAGER_EVALUATION, S.EVALUATED, "evaluate", "head_east"),  # replayed
        (P.SELF_EVALUATION, S.SELF_EVALUATED, "self_evaluate", "emp_east"),  # replayed
        (P.MANAGER_EVALUATION, S.SENT, "evaluate", "head_east"),  # never confirmed
    ],
)
def test_evaluation_steps_need_stage_and_state(world, plan_status, card_status, step, actor):
    pw = _pw(world, plan_status, card_status)
    card = _card(pw)
    before = _snapshot(card)
    with pytest.raises(TransitionError):
        services.scorecard_step(actor=world.users[actor], scorecard=card, step=step, version=1)
    assert _snapshot(card) == before


# --- actuals -------------------------------------------------------------------------------------


def test_actuals_typed_only_for_manual_items(world):
    pw = _pw(world, P.TRACKING, S.CONFIRMED)
    card = pw.cards["emp_east"]
    sales, customers = pw.indicators["sales"].pk, pw.indicators["customers"].pk
    services.scorecard_actuals_update(
        actor=world.users["emp_east"],
        rows=[{"scorecard": card.pk, "version": 1, "items": {sales: {"actual": "6"}}}],
    )
    item = ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk)
    assert item.actual == 6 and item.actual_source == "typed"
    with pytest.raises(ValidationError):
        services.scorecard_actuals_update(
            actor=world.users["head_east"],
            rows=[{"scorecard": card.pk, "version": 2, "items": {customers: {"actual": "3"}}}],
        )
    with pytest.raises(ConflictError):
        services.scorecard_actuals_update(
            actor=world.users["head_east"],
            rows=[{"scorecard": card.pk, "version": 1, "items": {sales: {"actual": "7"}}}],
        )
    with pytest.raises(Http404):
        services.scorecard_actuals_update(
            actor=world.users["emp_prod"],
            rows=[{"scorecard": card.pk, "version": 2, "items": {sales: {"actual": "7"}}}],
        )


# --- department submission ------------------------------------------------------------------------


def test_department_submit_requires_confirmed_cards(world):
    pw = _pw(world, P.ASSIGNING, S.SENT)
    east = world.departments["sales_east"]
    with pytest.raises(ValidationError) as exc:
        services.plan_department_submit(
            actor=world.users["head_east"], plan=pw.plan, department=east
        )
    assert "郑员工" in " ".join(exc.value.messages)
    Scorecard.objects.filter(plan=pw.plan).update(status=S.CONFIRMED)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(weight=10)
    with pytest.raises(ValidationError):  # weights
        services.plan_department_submit(
            actor=world.users["head_east"], plan=pw.plan, department=east
        )
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(weight=60)
    with pytest.raises(PermissionDenied):  # sees the plan, not this department
        services.plan_department_submit(
            actor=world.users["head_prod"], plan=pw.plan, department=east
        )
    part = services.plan_department_submit(
        actor=world.users["head_east"], plan=pw.plan, department=east
    )
    assert part.assignments_submitted_at is not None
    assert Notification.objects.filter(
        recipient=world.users["perf"], event="performance.department_submitted"
    ).exists()
    with pytest.raises(TransitionError):
        services.plan_department_submit(
            actor=world.users["head_east"], plan=pw.plan, department=east
        )
    assert (
        PlanDepartment.objects.get(pk=part.pk).assignments_submitted_at
        == part.assignments_submitted_at
    )


# --- threads ------------------------------------------------------------------------------------------


def test_item_thread_notifies_and_mentions(world):
    pw = _pw(world, P.TRACKING, S.CONFIRMED)
    item = pw.items[("emp_east", "sales")]
    services.item_comment_add(actor=world.users["emp_east"], item=item, body="进度落后 @vp1")
    assert ItemComment.objects.filter(item=item).count() == 1
    assert Notification.objects.filter(
        recipient=world.users["head_east"], event="feedback.comment"
    ).exists()
    # an employee cannot reach a VP they cannot see by mentioning them
    assert not Notification.objects.filter(recipient=world.users["vp1"]).exists()
    services.item_comment_add(actor=world.users["vp1"], item=item, body="@head_sales 看一下")
    assert Notification.objects.filter(
        recipient=world.users["head_sales"], event="feedback.mention"
    ).exists()
    assert Notification.objects.filter(
        recipient=world.users["emp_east"], event="feedback.comment"
    ).exists()
    with pytest.raises(Http404):
        services.item_comment_add(actor=world.users["emp_prod"], item=item, body="hi")
