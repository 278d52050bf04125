"""target_suggest / target_accept / target_override: the suggestion state machine."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from renshi.core.concurrency import ConflictError
from renshi.core.models import AuditLog
from renshi.goals.models import Goal, TargetSuggestion
from renshi.goals.services_targets import target_accept, target_override, target_suggest

pytestmark = pytest.mark.django_db

SEED_SPLIT = {"parent_target": "18", "people": "6", "period": "quarter", "per": "month"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def suggest(world, goal_world, who="head_east", goal="kpi_east", **inputs):
    return target_suggest(
        actor=world.users[who],
        goal=goal_world.goals[goal],
        method="share",
        inputs=inputs or {**SEED_SPLIT, "places": "0"},
    )


def goal_state(goal):
    goal.refresh_from_db()
    return (goal.target, goal.version)


def test_suggest_stores_a_pending_suggestion_with_its_derivation(world, goal_world):
    s = suggest(world, goal_world)
    assert s.decision == TargetSuggestion.Decision.PENDING
    assert s.value == Decimal(1)
    assert s.inputs["people"] == 6
    assert s.derivation[0] == "Share: 18 per quarter ÷ 6 people = 3 per person per quarter"
    assert s.derivation[-1] == "Suggested target: 1 per month"
    assert s.company_id == world.company.pk
    assert s.created_by == world.users["head_east"]
    # suggesting does not touch the goal
    assert goal_state(goal_world.kpi_east) == (Decimal(12), 1)


def test_history_on_a_lower_is_better_goal_stretches_down(world, goal_world):
    s = target_suggest(
        actor=world.users["vp2"],
        goal=goal_world.dg_downtime,
        method="history",
        inputs={"actuals": "2, 1.8, 1.6", "stretch": "10", "places": "2"},
    )
    assert s.value == Decimal("1.62")
    assert s.inputs["lower_is_better"] is True


def test_suggest_with_invalid_inputs_stores_nothing(world, goal_world):
    with pytest.raises(ValidationError):
        target_suggest(
            actor=world.users["gm"],
            goal=goal_world.kpi_east,
            method="pipeline",
            inputs={"prospects": "many"},
        )
    assert not TargetSuggestion.objects.exists()


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("emp_east", PermissionDenied),  # the owner sees it but does not set their own target
        ("hrvp", PermissionDenied),
        ("vp2", PermissionDenied),  # sees? no: kpi_east is outside vp2's people → 404
        ("emp_prod", Http404),
        ("other_gm", Http404),
    ],
)
def test_suggest_denied(world, goal_world, who, error):
    expected = Http404 if who == "vp2" else error
    with pytest.raises(expected):
        suggest(world, goal_world, who=who)
    assert not TargetSuggestion.objects.exists()


def test_accept_sets_the_target_through_a_versioned_update(world, goal_world):
    s = suggest(world, goal_world)
    result = target_accept(actor=world.users["head_east"], suggestion=s, goal_version=1)
    assert result.decision == TargetSuggestion.Decision.ACCEPTED
    assert result.chosen_value == Decimal(1)
    assert result.decided_by == world.users["head_east"]
    assert goal_state(goal_world.kpi_east) == (Decimal(1), 2)
    events = AuditLog.objects.filter(
        object_id=str(goal_world.kpi_east.pk), message="target suggestion accepted"
    )
    assert events.count() == 1
    update = AuditLog.objects.filter(
        object_id=str(goal_world.kpi_east.pk),
        content_type__model="goal",
        action=AuditLog.Action.UPDATE,
    ).get()
    assert update.changes["target"] == {"before": "12.0000", "after": "1.0000"}


def test_decided_once_replay_refused(world, goal_world):
    s = suggest(world, goal_world)
    target_accept(actor=world.users["head_east"], suggestion=s, goal_version=1)
    with pytest.raises(ValidationError):
        target_accept(actor=world.users["head_east"], suggestion=s, goal_version=2)
    with pytest.raises(ValidationError):
        target_override(
            actor=world.users["head_east"],
            suggestion=s,
            value=Decimal(5),
            reason="later",
            goal_version=2,
        )
    s.refresh_from_db()
    assert s.decision == TargetSuggestion.Decision.ACCEPTED
    assert goal_state(goal_world.kpi_east) == (Decimal(1), 2)


def test_stale_goal_version_conflicts_and_changes_nothing(world, goal_world):
    s = suggest(world, goal_world)
    Goal.objects.filter(pk=goal_world.kpi_east.pk).update(version=5)  # someone edited it
    with pytest.raises(ConflictError) as info:
        target_accept(actor=world.users["head_east"], suggestion=s, goal_version=1)
    assert info.value.current_version == 5
    s.refresh_from_db()
    assert s.decision == TargetSuggestion.Decision.PENDING
    assert goal_state(goal_world.kpi_east) == (Decimal(12), 5)


def test_override_needs_a_reason(world, goal_world):
    s = suggest(world, goal_world)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as info:
            target_override(
                actor=world.users["head_east"],
                suggestion=s,
                value=Decimal(2),
                reason=reason,
                goal_version=1,
            )
        assert "reason" in info.value.message_dict
    s.refresh_from_db()
    assert s.decision == TargetSuggestion.Decision.PENDING
    assert goal_state(goal_world.kpi_east) == (Decimal(12), 1)


def test_override_records_value_and_reason(world, goal_world):
    s = suggest(world, goal_world)
    result = target_override(
        actor=world.users["vp1"],
        suggestion=s,
        value=Decimal(2),
        reason="新区域，客户基数大",
        goal_version=1,
    )
    assert result.decision == TargetSuggestion.Decision.OVERRIDDEN
    assert (result.value, result.chosen_value, result.reason) == (
        Decimal(1),
        Decimal(2),
        "新区域，客户基数大",
    )
    assert goal_state(goal_world.kpi_east) == (Decimal(2), 2)


@pytest.mark.parametrize("who", ["emp_east", "hrvp", "emp_prod", "other_gm", "vp2"])
def test_denied_roles_decide_nothing(world, goal_world, who):
    s = suggest(world, goal_world)
    with pytest.raises((PermissionDenied, Http404)):
        target_accept(actor=world.users[who], suggestion=s, goal_version=1)
    with pytest.raises((PermissionDenied, Http404)):
        target_override(
            actor=world.users[who], suggestion=s, value=Decimal(3), reason="x", goal_version=1
        )
    s.refresh_from_db()
    assert s.decision == TargetSuggestion.Decision.PENDING
    assert goal_state(goal_world.kpi_east) == (Decimal(12), 1)
