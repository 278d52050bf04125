"""Writes of the goal cascade: create, edit, propose, the approval workflow, actuals, comments.

Every service is keyword-only and transactional, locks the row it changes, and re-checks the
actor's rights inside the transaction (``access.ensure``) before it commits — and, after an
edit, that the actor still has them on the result (nobody edits a goal out of their own reach).

Workflow of ``Goal.status`` (only these services change it)::

    (goal_create by an editor) ─────────────► active ──goal_close──► closed
    (goal_propose by the owner) ─► proposed ──goal_approve──► active
                                   proposed ──goal_return(reason)──► returned
                                   returned ──goal_resubmit──► proposed

* approve / return: someone with "approve" rights on the goal (editors in scope), never the
  owner — also not a GM or performance manager on their own goal, nor a person recorded as
  their own manager (approval follows scope and identity, never the ``manager`` field);
* resubmit: the owner; close: the goal's editors;
* an illegal or replayed transition raises ``TransitionError`` and changes nothing.

Edits: the goal's editors edit it while it is not closed; the owner edits their own goal while
it is proposed or returned (their proposal), never once it is active.
Actuals: editors record the actual of an active goal; the owner reports the actual of their own
active goal when no metric feeds it (``metric_key`` empty). The change log keeps who did it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.concurrency import bump_version
from renshi.org.models import Department, Employee
from renshi.org.scope import get_scope

from . import notifications
from .models import Goal, GoalComment, Perspective, StrategyMap

APPROVE = "approve"


class TransitionError(ValidationError):
    """A workflow step that is not allowed from the goal's current status (or was already
    taken: replaying an approval fails)."""


# Fields a client may set on create and change with goal_update. Never: company, strategy_map,
# level, status, version, actual (goal_record_actual), created_by.
EDITABLE_FIELDS = (
    "title",
    "description",
    "parent",
    "perspective",
    "department",
    "owner",
    "measure",
    "unit",
    "direction",
    "baseline",
    "target",
    "range_low",
    "range_high",
    "weight",
    "start_date",
    "deadline",
    "metric_key",
)
# what the owner may change in their own proposal (not who owns it, not where it sits)
PROPOSAL_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in ("owner", "department"))

ACTIONS = ("approve", "return", "resubmit", "close")


# --- helpers ----------------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    """The login user behind an actor, for ``created_by``/``author`` (None for keys)."""
    if getattr(actor, "api_key", None) is not None or not getattr(actor, "pk", None):
        return None
    return actor


def actor_employee_id(actor: Any) -> int | None:
    scope = get_scope(actor)
    if scope.is_api_key:
        return None
    return scope.employee_id


def _is_owner(actor: Any, goal: Goal) -> bool:
    employee_id = actor_employee_id(actor)
    return employee_id is not None and goal.owner_id == employee_id


def _visible(actor: Any, obj: Any) -> bool:
    return actor is None or access.can(actor, access.VIEW, obj)


def _check_parent(goal: Goal, actor: Any) -> None:
    """Same map, visible, not closed, of a level that can be served, and no cycle."""
    parent = goal.parent
    if parent is None:
        return
    if parent.strategy_map_id != goal.strategy_map_id:
        raise ValidationError({"parent": _("The goal it serves must be in the same strategy map.")})
    if not _visible(actor, parent):
        raise ValidationError({"parent": _("This goal is not visible to you.")})
    if parent.status == Goal.Status.CLOSED:
        raise ValidationError({"parent": _("A closed goal cannot be served by new goals.")})
    if parent.level == Goal.Level.INDIVIDUAL:
        raise ValidationError(
            {"parent": _("A goal serves a strategic objective or a department goal.")}
        )
    if goal.level == Goal.Level.DEPARTMENT and parent.level not in (
        Goal.Level.COMPANY,
        Goal.Level.DEPARTMENT,
    ):
        raise ValidationError({"parent": _("A department goal serves an objective.")})
    seen: set[int] = set()
    node: Goal | None = parent
    while node is not None:
        if goal.pk is not None and node.pk == goal.pk:
            raise ValidationError({"parent": _("A goal cannot serve itself or its own sub-goals.")})
        if node.pk in seen:  # a cycle that exists already: stop
            break
        seen.add(node.pk)
        node = node.parent


def _validate(goal: Goal, actor: Any) -> None:
    """The cascade's rules for one goal (the SMART check adds warnings; these are errors)."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    smap = goal.strategy_map
    level = goal.level
    if level not in Goal.Level.values:
        error("level", _("Unknown level."))
    if level == Goal.Level.COMPANY:
        if goal.parent_id is not None:
            error("parent", _("A strategic objective is the top of its chain: it serves no goal."))
        if smap.mode == StrategyMap.Mode.BSC and goal.perspective_id is None:
            error("perspective", _("A strategic objective of a scorecard needs a perspective."))
        if smap.mode == StrategyMap.Mode.OKR and goal.perspective_id is not None:
            error("perspective", _("An OKR map has no perspectives."))
    elif goal.perspective_id is not None:
        error("perspective", _("Only strategic objectives sit in a perspective."))
    if goal.perspective is not None and goal.perspective.strategy_map_id != smap.pk:
        error("perspective", _("This perspective belongs to another strategy map."))
    if level == Goal.Level.DEPARTMENT and goal.department_id is None:
        error("department", _("A department goal needs a department."))
    if level == Goal.Level.INDIVIDUAL:
        if goal.owner_id is None:
            error("owner", _("An individual KPI needs an owner."))
        else:
            goal.department_id = goal.owner.department_id
        if goal.parent_id is None:
            error("parent", _("An individual KPI serves a department goal or an objective."))
    if goal.owner is not None:
        if goal.owner.company_id != goal.company_id:
            error("owner", _("The owner works for another company."))
        elif goal.owner.status == Employee.Status.LEFT:
            error("owner", _("The owner has left the company."))
        elif not _visible(actor, goal.owner):
            error("owner", _("No employee with this number is visible to you."))
    if goal.department is not None:
        if goal.department.company_id != goal.company_id:
            error("department", _("This department belongs to another company."))
        elif not _visible(actor, goal.department):
            error("department", _("This department is not visible to you."))
    if goal.start_date and goal.deadline and goal.deadline < goal.start_date:
        error("deadline", _("The deadline cannot be before the start."))
    if goal.direction == Goal.Direction.RANGE:
        low, high = goal.range_low, goal.range_high
        if low is not None and high is not None and low > high:
            error("range_high", _("The upper end of the range is below the lower end."))
    if errors:
        raise ValidationError(errors)
    _check_parent(goal, actor)
    goal.full_clean(exclude=["created_by"])


def _require_open(goal: Goal) -> None:
    if goal.status == Goal.Status.CLOSED:
        raise TransitionError(_("This goal is closed and cannot be changed."))


def _locked(goal: Goal) -> Goal:
    return (
        Goal.objects.select_for_update(of=("self",))  # PostgreSQL: no lock on outer joins
        .select_related("strategy_map", "owner", "department", "parent", "perspective")
        .get(pk=goal.pk)
    )


def _new_goal(*, actor: Any, strategy_map: StrategyMap, status: str, **fields: Any) -> Goal:
    """An unsaved goal of the map with defaults: the map's period, weight 1, empty texts."""
    weight = fields.pop("weight")
    return Goal(
        company_id=strategy_map.company_id,
        strategy_map=strategy_map,
        title=(fields.pop("title") or "").strip(),
        measure=fields.pop("measure") or "",
        unit=fields.pop("unit") or "",
        description=fields.pop("description") or "",
        metric_key=fields.pop("metric_key") or "",
        weight=Decimal(1) if weight is None else weight,
        start_date=fields.pop("start_date") or strategy_map.period_start,
        deadline=fields.pop("deadline") or strategy_map.period_end,
        status=status,
        created_by=_user(actor),
        **fields,
    )


# --- create, propose, edit -----------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *,
    actor: Any,
    strategy_map: StrategyMap,
    level: str,
    title: str,
    parent: Goal | None = None,
    perspective: Perspective | None = None,
    department: Department | None = None,
    owner: Employee | None = None,
    measure: str = "",
    unit: str = "",
    direction: str = Goal.Direction.HIGHER,
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    range_low: Decimal | None = None,
    range_high: Decimal | None = None,
    weight: Decimal = Decimal(1),
    start_date: datetime.date | None = None,
    deadline: datetime.date | None = None,
    description: str = "",
    metric_key: str = "",
) -> Goal:
    """Create an active goal. The actor must end up with CHANGE rights on it (map editors for
    objectives; scope over the department — or the owner's department — otherwise).

    ``actor=None`` is the bootstrap path (demo, tests): no permission checks."""
    if actor is not None:
        access.ensure(actor, access.VIEW, strategy_map)
    goal = _new_goal(
        actor=actor,
        strategy_map=strategy_map,
        level=level,
        status=Goal.Status.ACTIVE,
        title=title,
        parent=parent,
        perspective=perspective,
        department=department,
        owner=owner,
        measure=measure,
        unit=unit,
        direction=direction,
        baseline=baseline,
        target=target,
        range_low=range_low,
        range_high=range_high,
        weight=weight,
        start_date=start_date,
        deadline=deadline,
        description=description,
        metric_key=metric_key,
    )
    _validate(goal, actor)
    goal.save()
    if actor is not None:
        access.ensure(actor, access.CHANGE, goal)
    return goal


@transaction.atomic
def goal_propose(
    *,
    actor: Any,
    strategy_map: StrategyMap,
    parent: Goal,
    title: str,
    measure: str = "",
    unit: str = "",
    direction: str = Goal.Direction.HIGHER,
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    range_low: Decimal | None = None,
    range_high: Decimal | None = None,
    weight: Decimal = Decimal(1),
    start_date: datetime.date | None = None,
    deadline: datetime.date | None = None,
    description: str = "",
    metric_key: str = "",
) -> Goal:
    """An employee proposes their OWN key result under a goal they can see (of any department:
    OKR alignment). Status ``proposed``, owner = the actor's employee record; someone with
    approve rights (their manager's scope) approves or returns it."""
    access.require_perm(actor, "goals.view")
    access.ensure(actor, access.VIEW, strategy_map)
    employee_id = actor_employee_id(actor)
    if employee_id is None:
        raise PermissionDenied
    owner = Employee.objects.select_related("department").get(pk=employee_id)
    if parent is None:
        raise ValidationError({"parent": _("Choose the goal your key result serves.")})
    goal = _new_goal(
        actor=actor,
        strategy_map=strategy_map,
        level=Goal.Level.INDIVIDUAL,
        status=Goal.Status.PROPOSED,
        title=title,
        parent=parent,
        perspective=None,
        department=owner.department,
        owner=owner,
        measure=measure,
        unit=unit,
        direction=direction,
        baseline=baseline,
        target=target,
        range_low=range_low,
        range_high=range_high,
        weight=weight,
        start_date=start_date,
        deadline=deadline,
        description=description,
        metric_key=metric_key,
    )
    _validate(goal, actor)
    goal.save()
    access.ensure(actor, access.VIEW, goal)
    notifications.goal_proposed(actor=actor, goal=goal)
    return goal


def can_edit(actor: Any, goal: Goal) -> bool:
    """May ``actor`` change the fields of ``goal`` (goal_update)?"""
    if goal.status == Goal.Status.CLOSED:
        return False
    if access.can(actor, access.CHANGE, goal):
        return True
    return _is_owner(actor, goal) and goal.status in (Goal.Status.PROPOSED, Goal.Status.RETURNED)


@transaction.atomic
def goal_update(*, actor: Any, goal: Goal, version: int | None, **changes: Any) -> Goal:
    """Change the allow-listed fields of a goal. ``version`` is the version the client read:
    a stale one raises ConflictError and nothing is written."""
    goal = _locked(goal)
    access.ensure(actor, access.VIEW, goal)
    _require_open(goal)
    editor = access.can(actor, access.CHANGE, goal)
    if not editor:
        owner_editing = _is_owner(actor, goal) and goal.status in (
            Goal.Status.PROPOSED,
            Goal.Status.RETURNED,
        )
        if not owner_editing:
            raise PermissionDenied
    allowed = EDITABLE_FIELDS if editor else PROPOSAL_FIELDS
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    for key, value in changes.items():
        if key in ("title", "description", "measure", "unit", "metric_key"):
            value = (value or "").strip()
        if key == "weight" and value is None:
            value = Decimal(1)
        setattr(goal, key, value)
    _validate(goal, actor)
    bump_version(goal, expected_version=version)
    goal.save()
    # the result must stay within the actor's reach (no editing a goal out of one's scope)
    if editor:
        access.ensure(actor, access.CHANGE, goal)
    else:
        access.ensure(actor, access.VIEW, goal)
    return goal


# --- workflow -------------------------------------------------------------------------------------


def _transition(
    *,
    actor: Any,
    goal: Goal,
    version: int | None,
    allowed_from: tuple[str, ...],
    to: str,
    check,
) -> Goal:
    goal = _locked(goal)
    access.ensure(actor, access.VIEW, goal)
    check(goal)
    if goal.status not in allowed_from:
        raise TransitionError(
            _("This step is not possible: the goal is %(status)s.")
            % {"status": goal.get_status_display()}
        )
    goal.status = to
    bump_version(goal, expected_version=version)
    goal.save()
    return goal


def _check_approver(actor: Any, goal: Goal) -> None:
    if _is_owner(actor, goal):
        raise PermissionDenied(_("Nobody approves their own goal."))
    access.ensure(actor, APPROVE, goal)


def _comment(goal: Goal, actor: Any, body: str) -> GoalComment:
    comment = GoalComment(company_id=goal.company_id, goal=goal, author=actor, body=body)
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def goal_approve(*, actor: Any, goal: Goal, version: int | None = None) -> Goal:
    """proposed → active, by someone with approve rights who is not the owner."""
    goal = _transition(
        actor=actor,
        goal=goal,
        version=version,
        allowed_from=(Goal.Status.PROPOSED,),
        to=Goal.Status.ACTIVE,
        check=lambda g: _check_approver(actor, g),
    )
    notifications.goal_decided(actor=actor, goal=goal, approved=True)
    return goal


@transaction.atomic
def goal_return(*, actor: Any, goal: Goal, reason: str, version: int | None = None) -> Goal:
    """proposed → returned with a reason (kept as a comment for the owner)."""
    reason = (reason or "").strip()
    goal = _transition(
        actor=actor,
        goal=goal,
        version=version,
        allowed_from=(Goal.Status.PROPOSED,),
        to=Goal.Status.RETURNED,
        check=lambda g: _check_approver(actor, g),
    )
    if not reason:
        raise ValidationError({"reason": _("Say why the goal is returned.")})
    _comment(goal, actor, _("Returned: %(reason)s") % {"reason": reason})
    notifications.goal_decided(actor=actor, goal=goal, approved=False, reason=reason)
    return goal


@transaction.atomic
def goal_resubmit(*, actor: Any, goal: Goal, version: int | None = None, comment: str = "") -> Goal:
    """returned → proposed, by the owner (after editing the proposal)."""

    def check(g: Goal) -> None:
        if not _is_owner(actor, g):
            raise PermissionDenied

    goal = _transition(
        actor=actor,
        goal=goal,
        version=version,
        allowed_from=(Goal.Status.RETURNED,),
        to=Goal.Status.PROPOSED,
        check=check,
    )
    comment = (comment or "").strip()
    if comment:
        _comment(goal, actor, comment)
    notifications.goal_proposed(actor=actor, goal=goal)
    return goal


@transaction.atomic
def goal_close(*, actor: Any, goal: Goal, version: int | None = None, reason: str = "") -> Goal:
    """active → closed, by the goal's editors."""
    goal = _transition(
        actor=actor,
        goal=goal,
        version=version,
        allowed_from=(Goal.Status.ACTIVE,),
        to=Goal.Status.CLOSED,
        check=lambda g: access.ensure(actor, access.CHANGE, g),
    )
    reason = (reason or "").strip()
    if reason:
        _comment(goal, actor, _("Closed: %(reason)s") % {"reason": reason})
    return goal


@transaction.atomic
def goal_transition(
    *, actor: Any, goal: Goal, action: str, version: int | None = None, reason: str = ""
) -> Goal:
    """Dispatch one of ACTIONS (the page's single transition endpoint)."""
    if action == "approve":
        return goal_approve(actor=actor, goal=goal, version=version)
    if action == "return":
        return goal_return(actor=actor, goal=goal, version=version, reason=reason)
    if action == "resubmit":
        return goal_resubmit(actor=actor, goal=goal, version=version, comment=reason)
    if action == "close":
        return goal_close(actor=actor, goal=goal, version=version, reason=reason)
    raise TransitionError(_("Unknown step."))


def available_actions(*, actor: Any, goal: Goal) -> list[str]:
    """The workflow steps ``actor`` may take on ``goal`` now (for the page's buttons; the
    services decide again when the step is taken)."""
    status = goal.status
    owner = _is_owner(actor, goal)
    actions = []
    if status == Goal.Status.PROPOSED and not owner and access.can(actor, APPROVE, goal):
        actions += ["approve", "return"]
    if status == Goal.Status.RETURNED and owner:
        actions.append("resubmit")
    if status == Goal.Status.ACTIVE and access.can(actor, access.CHANGE, goal):
        actions.append("close")
    return actions


# --- actuals and comments ---------------------------------------------------------------------------


def can_record_actual(actor: Any, goal: Goal) -> bool:
    """Actuals are recorded on active goals only (a proposal has nothing to measure yet)."""
    if goal.status != Goal.Status.ACTIVE:
        return False
    if access.can(actor, access.CHANGE, goal):
        return True
    return _is_owner(actor, goal) and goal.status == Goal.Status.ACTIVE and not goal.metric_key


@transaction.atomic
def goal_record_actual(
    *, actor: Any, goal: Goal, actual: Decimal | None, version: int | None
) -> Goal:
    """Record the current actual of an active goal (editors; or its owner when no metric feeds
    it). Progress and pace are computed from it, never typed in."""
    goal = _locked(goal)
    access.ensure(actor, access.VIEW, goal)
    _require_open(goal)
    if not can_record_actual(actor, goal):
        raise PermissionDenied
    goal.actual = actual
    goal.actual_at = timezone.now() if actual is not None else None
    goal.full_clean(exclude=["created_by"])
    bump_version(goal, expected_version=version)
    goal.save()
    return goal


def can_comment(actor: Any, goal: Goal) -> bool:
    return _is_owner(actor, goal) or access.can(actor, access.CHANGE, goal)


@transaction.atomic
def comment_add(*, actor: Any, goal: Goal, body: str) -> GoalComment:
    """A remark on a goal by its owner or anyone who may change it (their managers)."""
    goal = Goal.objects.get(pk=goal.pk)
    access.ensure(actor, access.VIEW, goal)
    if not can_comment(actor, goal):
        raise PermissionDenied
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    user = _user(actor)
    if user is None:
        raise PermissionDenied
    comment = _comment(goal, user, body)
    # the thread hears of it (owner, their heads, earlier writers, @mentions); the rows are
    # written in this transaction, e-mails and chat robots leave after commit
    notifications.goal_commented(actor=user, goal=goal, comment=comment)
    return comment
