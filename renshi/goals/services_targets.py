"""Target suggestions: compute one with its derivation, then accept it or override it.

A suggestion is a small state machine: ``pending`` → ``accepted`` | ``overridden``, once.
Only ``target_accept`` and ``target_override`` write ``decision``; a decided suggestion
refuses a second decision (a replayed request changes nothing). Deciding sets the goal's
target through a versioned update: the caller sends the goal version it read, a stale one
raises ``ConflictError`` and nothing is written. The suggestion stays as the explanation of
the goal's target (method, inputs, derivation, warnings, who chose what and why).

Every call re-checks inside its transaction that the actor may change the goal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.audit import audit_event
from renshi.core.concurrency import bump_version

from . import targets
from .models import Goal, TargetSuggestion

MAX_REASON = 2000


def _locked_goal(actor: Any, goal: Goal) -> Goal:
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    access.ensure(actor, access.CHANGE, goal)
    if goal.status == Goal.Status.CLOSED:
        raise ValidationError(_("This goal is closed and cannot be changed."))
    return goal


@transaction.atomic
def target_suggest(
    *, actor: Any, goal: Goal, method: str, inputs: dict[str, Any]
) -> TargetSuggestion:
    """Compute a target for ``goal`` by ``method`` from typed ``inputs`` and store it pending.

    For a lower-is-better goal the history method stretches downwards unless the inputs say
    otherwise."""
    goal = _locked_goal(actor, goal)
    raw = dict(inputs)
    if (
        method == targets.HISTORY
        and "lower_is_better" not in raw
        and goal.direction == Goal.Direction.LOWER
    ):
        raw["lower_is_better"] = True
    result, cleaned = targets.compute(method, raw)
    suggestion = TargetSuggestion(
        company_id=goal.company_id,
        goal=goal,
        method=method,
        inputs=cleaned,
        value=result.value,
        derivation=list(result.derivation),
        warnings=list(result.warnings),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    suggestion.full_clean(exclude=["warnings"])  # an empty list is a valid "no warnings"
    suggestion.save()
    return suggestion


def _locked_pending(actor: Any, suggestion: TargetSuggestion) -> tuple[TargetSuggestion, Goal]:
    suggestion = TargetSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    goal = _locked_goal(actor, suggestion.goal)
    if suggestion.decision != TargetSuggestion.Decision.PENDING:
        raise ValidationError(
            _("This suggestion was already decided (%(decision)s).")
            % {"decision": suggestion.get_decision_display()}
        )
    return suggestion, goal


def _set_target(goal: Goal, value: Decimal, goal_version: int | None) -> None:
    goal.target = value
    goal.full_clean()
    bump_version(goal, expected_version=goal_version)
    goal.save()


def _decide(
    *,
    actor: Any,
    suggestion: TargetSuggestion,
    goal: Goal,
    decision: str,
    value: Decimal,
    reason: str,
) -> TargetSuggestion:
    suggestion.decision = decision
    suggestion.chosen_value = value
    suggestion.reason = reason
    suggestion.decided_by = actor if getattr(actor, "pk", None) else None
    suggestion.save()
    audit_event(
        goal,
        f"target suggestion {decision}",
        {
            "suggestion": suggestion.pk,
            "method": suggestion.method,
            "suggested": str(suggestion.value),
            "chosen": str(value),
            "reason": reason,
        },
    )
    # the change must leave the goal inside the actor's scope
    access.ensure(actor, access.CHANGE, goal)
    return suggestion


@transaction.atomic
def target_accept(
    *, actor: Any, suggestion: TargetSuggestion, goal_version: int | None
) -> TargetSuggestion:
    """Take the suggested value as the goal's target."""
    suggestion, goal = _locked_pending(actor, suggestion)
    _set_target(goal, suggestion.value, goal_version)
    return _decide(
        actor=actor,
        suggestion=suggestion,
        goal=goal,
        decision=TargetSuggestion.Decision.ACCEPTED,
        value=suggestion.value,
        reason="",
    )


@transaction.atomic
def target_override(
    *,
    actor: Any,
    suggestion: TargetSuggestion,
    value: Decimal,
    reason: str,
    goal_version: int | None,
) -> TargetSuggestion:
    """Set another target than the suggested one; the reason is required and recorded."""
    suggestion, goal = _locked_pending(actor, suggestion)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the suggested target is overridden.")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [_("At most %(max)s characters.") % {"max": MAX_REASON}]
    if value is None:
        errors["value"] = [_("This field is required.")]
    else:
        value = Decimal(value)
        if not value.is_finite() or abs(value) >= Decimal(10) ** 13:
            errors["value"] = [_("Enter a number.")]
    if errors:
        raise ValidationError(errors)
    value = targets.round_to(value, targets.MAX_PLACES)
    _set_target(goal, value, goal_version)
    return _decide(
        actor=actor,
        suggestion=suggestion,
        goal=goal,
        decision=TargetSuggestion.Decision.OVERRIDDEN,
        value=value,
        reason=reason,
    )
