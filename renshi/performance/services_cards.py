"""Writes of scorecards (docs/performance-scorecards.md): the head's assignment of weights and
targets, the workflow steps (send, confirm, object, self-evaluate, evaluate), actuals during the
period, the feedback thread of each indicator and the department's submission.

Every service is keyword-only and transactional, locks what it changes, re-checks the actor's
right inside the transaction and checks the version the client read (a stale write raises
``ConflictError`` and nothing is written). Status moves only through ``workflows.SCORECARD``;
a step also needs the plan in the right stage (``TransitionError`` otherwise, nothing changed).

Who does what:
* assign (weights, targets, goals), send — people with CHANGE on the scorecard (the heads and
  VPs whose scope holds its department, and the plan office), never on their own scorecard;
* confirm, object, self-evaluate — the employee of the scorecard only;
* evaluate — the card's evaluator or a head/VP whose scope holds the department; never the
  employee themself (also not when recorded as their own manager or evaluator);
* actuals of manual indicators — the employee (tracking, self-evaluation) and the assigners
  (until the manager's evaluation is submitted); metric- and goal-fed items are computed
  (``actuals.py``) and never typed;
* the thread of an indicator — the employee and anyone who may assign or evaluate the card.

The card's ``version`` is the token for the card and all of its items: every typed write of an
item bumps its card's version (the grid saves a row = a card). Computed actuals do not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.audit import audit_bulk, audit_event, snapshot
from renshi.core.concurrency import ConflictError, bump_version
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.goals.models import Goal, TargetSuggestion
from renshi.goals.notifications import heads_of
from renshi.notifications.mentions import thread_notify
from renshi.notifications.services import Message, notification_send, notification_send_each
from renshi.org.models import Department, Employee
from renshi.org.scope import company_children, get_scope, subtree_ids

from . import scoring, services_scoring, workflows
from .hooks_cards import (
    EVENT_CONFIRMED,
    EVENT_DEPARTMENT_SUBMITTED,
    EVENT_EVALUATED,
    EVENT_OBJECTED,
    EVENT_SELF_EVALUATED,
    EVENT_SENT,
)
from .models import (
    Category,
    DataSource,
    ItemComment,
    Plan,
    PlanDepartment,
    PlanIndicator,
    Scorecard,
    ScorecardItem,
)
from .permissions import is_plan_office

P, S = Plan.Status, Scorecard.Status

ASSIGN_STAGES = frozenset({P.ASSIGNING})
EDITABLE_CARDS = frozenset({S.DRAFT, S.OBJECTED})
EMPLOYEE_ACTUAL_STAGES = frozenset({P.TRACKING, P.SELF_EVALUATION})
MANAGER_ACTUAL_STAGES = frozenset({P.TRACKING, P.SELF_EVALUATION, P.MANAGER_EVALUATION})
ACTUAL_CARDS = frozenset({S.CONFIRMED, S.SELF_EVALUATED})
STEP_STAGES = {
    "send": ASSIGN_STAGES,
    "confirm": ASSIGN_STAGES,
    "object": ASSIGN_STAGES,
    "self_evaluate": frozenset({P.SELF_EVALUATION}),
    "evaluate": frozenset({P.MANAGER_EVALUATION}),
}
HUNDRED = Decimal(100)
MAX_WEIGHT = Decimal(100)
MAX_VALUE = Decimal("99999999999999")  # 18 digits, 4 places
ASSIGN_FIELDS = ("weight", "target", "goal", "suggestion")
ITEM_TEXT_LIMIT = 4000


# --- helpers ----------------------------------------------------------------------------------


def actor_employee_id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    scope = get_scope(actor)
    return None if scope.is_api_key else scope.employee_id


def _user(actor: Any) -> Any:
    if getattr(actor, "api_key", None) is not None or not getattr(actor, "pk", None):
        return None
    return actor


def is_owner(actor: Any, card: Scorecard) -> bool:
    employee_id = actor_employee_id(actor)
    return employee_id is not None and card.employee_id == employee_id


def can_assign(actor: Any, card: Scorecard) -> bool:
    """May ``actor`` set weights/targets and send this card (the row policy's CHANGE)?"""
    return not is_owner(actor, card) and access.can(actor, access.CHANGE, card)


def can_evaluate(actor: Any, card: Scorecard) -> bool:
    """The card's evaluator or a head/VP whose scope holds its department — never the employee
    (whatever the ``manager``/``evaluator`` fields say)."""
    employee_id = actor_employee_id(actor)
    if employee_id is None or employee_id == card.employee_id:
        return False
    if card.evaluator_id == employee_id:
        return access.can(actor, access.VIEW, card)
    scope = get_scope(actor)
    return card.department_id in scope.department_ids


def can_comment(actor: Any, card: Scorecard) -> bool:
    return is_owner(actor, card) or can_assign(actor, card) or can_evaluate(actor, card)


def can_type_actual(actor: Any, card: Scorecard, plan: Plan) -> bool:
    if card.status not in ACTUAL_CARDS:
        return False
    if is_owner(actor, card):
        return plan.status in EMPLOYEE_ACTUAL_STAGES
    return plan.status in MANAGER_ACTUAL_STAGES and (
        can_assign(actor, card) or can_evaluate(actor, card)
    )


def _stage_error(plan: Plan) -> TransitionError:
    return TransitionError(
        _("Not possible while the plan is at the stage “%(stage)s”.")
        % {"stage": plan.get_status_display()},
        code="plan_stage",
    )


def _require_stage(plan: Plan, stages: Iterable[str]) -> None:
    if plan.status not in stages:
        raise _stage_error(plan)


def _check_version(card: Scorecard, version: int | None) -> None:
    """Compare with the locked row (select_for_update): a stale version conflicts."""
    if version is not None and card.version != version:
        raise ConflictError(current_version=card.version)


def _lock_card(actor: Any, scorecard: Scorecard | int) -> Scorecard:
    """The card, locked and re-read, visible to the actor (404 otherwise)."""
    pk = getattr(scorecard, "pk", scorecard)
    queryset = Scorecard.objects.select_for_update(of=("self",)).select_related(
        "plan", "employee", "department"
    )
    return access.get_object_or_404(queryset, actor, access.VIEW, pk=pk)


def _items_of(card: Scorecard) -> list[ScorecardItem]:
    return list(
        ScorecardItem.objects.filter(scorecard_id=card.pk)
        .select_related("indicator")
        .order_by("indicator__category", "indicator__order", "indicator_id")
    )


def is_rating(indicator: PlanIndicator) -> bool:
    return (indicator.rule or {}).get("kind") == scoring.RATING


def rating_levels(indicator: PlanIndicator) -> list[tuple[int, str]]:
    """The levels of a rating-scale indicator: the rule's anchors, else 1..scale_max."""
    rule = indicator.rule or {}
    anchors = [(int(level), str(text)) for level, text in rule.get("anchors") or ()]
    if anchors:
        return sorted(anchors)
    return [(n, str(n)) for n in range(1, int(rule.get("scale_max") or 5) + 1)]


def category_totals(items: Iterable[ScorecardItem]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for item in items:
        cat = item.indicator.category
        totals[cat] = totals.get(cat, Decimal(0)) + Decimal(item.weight or 0)
    return totals


def weight_problems(plan: Plan, items: Iterable[ScorecardItem]) -> dict[str, Decimal]:
    """Categories whose weights do not total 100: those the card uses, and those the plan's
    split gives a share (a plan with 30 % competency needs competency indicators)."""
    totals = category_totals(items)
    needed = set(totals)
    if Decimal(plan.results_share) > 0:
        needed.add(Category.RESULTS)
    if Decimal(plan.competency_share) > 0:
        needed.add(Category.COMPETENCY)
    return {
        cat: totals.get(cat, Decimal(0)) for cat in needed if totals.get(cat, Decimal(0)) != HUNDRED
    }


def card_problems(card: Scorecard, items: list[ScorecardItem]) -> list[str]:
    """Why a card cannot be sent (or a department submitted): weights ≠ 100, missing targets."""
    problems = []
    for cat, total in sorted(weight_problems(card.plan, items).items()):
        problems.append(
            _("%(category)s weights total %(total)s, not 100.")
            % {"category": Category(cat).label, "total": scoring.fmt(total)}
        )
    for item in items:
        if item.weight and not is_rating(item.indicator) and item.target is None:
            problems.append(_("%(indicator)s has no target.") % {"indicator": item.indicator.name})
    return problems


def _card_url(card: Scorecard) -> str:
    try:
        return reverse("performance:scorecard_detail", kwargs={"pk": card.pk})
    except NoReverseMatch:  # the pages are not wired (a URLconf without them)
        return ""


def _grid_url(part: PlanDepartment) -> str:
    try:
        url = reverse("performance:grid", kwargs={"plan_pk": part.plan_id})
    except NoReverseMatch:
        return ""
    return f"{url}?department={part.department_id}"


def _name(actor: Any) -> str:
    return actor.get_full_name() or actor.get_username() if actor is not None else ""


def _decimal(value: Any, field: str, *, low: Decimal | None, high: Decimal) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite() or abs(number) > high or (low is not None and number < low):
        raise ValidationError({field: _("This number is out of range.")})
    return number


def _text(value: Any, field: str) -> str:
    text = (value or "").strip()
    if len(text) > ITEM_TEXT_LIMIT:
        raise ValidationError({field: _("At most 4,000 characters.")})
    return text


# --- assignment (weights, targets, goals) --------------------------------------------------------


def _applies(indicator: PlanIndicator, card: Scorecard) -> bool:
    return (
        indicator.plan_id == card.plan_id
        and indicator.department_id in (None, card.department_id)
        and indicator.position_id in (None, card.employee.position_id)
    )


def _lock_cards(actor: Any, ids: list[int], action: str) -> dict[int, Scorecard]:
    """Lock the cards (one query) and check the actor's right on each (two queries): 404 for
    a card out of sight, 403 for one visible but not allowed."""
    cards = {
        c.pk: c
        for c in Scorecard.objects.select_for_update(of=("self",))
        .select_related("plan", "employee")
        .filter(pk__in=ids)
    }
    visible = set(
        access.restrict(Scorecard.objects.filter(pk__in=ids), actor, access.VIEW).values_list(
            "pk", flat=True
        )
    )
    allowed = visible
    if action != access.VIEW:
        allowed = set(
            access.restrict(Scorecard.objects.filter(pk__in=ids), actor, action).values_list(
                "pk", flat=True
            )
        )
    for pk in ids:
        if pk not in cards or pk not in visible:
            raise Http404
        if pk not in allowed:
            raise PermissionDenied
    return cards


def _goal_sources(actor: Any, changes: list[dict]) -> tuple[dict[int, Goal], dict[int, Any]]:
    """The goals and target suggestions named by the rows, visible to the actor (two queries)."""
    goal_ids = {c["goal"] for c in changes if c.get("goal")}
    suggestion_ids = {c["suggestion"] for c in changes if c.get("suggestion")}
    suggestions = {}
    if suggestion_ids:
        suggestions = {
            s.pk: s
            for s in access.restrict(TargetSuggestion, actor, access.VIEW)
            .filter(pk__in=suggestion_ids)
            .select_related("goal")
        }
        goal_ids |= {s.goal_id for s in suggestions.values()}
    goals = {}
    if goal_ids:
        goals = {g.pk: g for g in access.restrict(Goal, actor, access.VIEW).filter(pk__in=goal_ids)}
    return goals, suggestions


def _apply_assignment(
    item: ScorecardItem, change: dict, goals: dict[int, Goal], suggestions: dict[int, Any]
) -> bool:
    """Set weight/target/goal from one change; True when something changed."""
    before = (item.weight, item.target, item.goal_id, dict(item.target_source or {}))
    name = item.indicator.name
    if "weight" in change:
        weight = _decimal(change["weight"], "weight", low=Decimal(0), high=MAX_WEIGHT)
        item.weight = (weight or Decimal(0)).quantize(Decimal("0.01"))
    if change.get("suggestion"):
        suggestion = suggestions.get(change["suggestion"])
        if suggestion is None:
            raise ValidationError({"suggestion": _("No such target suggestion.")})
        item.goal_id = suggestion.goal_id
        item.target = (
            suggestion.chosen_value if suggestion.chosen_value is not None else suggestion.value
        )
        item.target_source = {"suggestion": suggestion.pk, "goal": suggestion.goal_id}
    elif "goal" in change:
        goal_id = change["goal"] or None
        if goal_id is not None:
            goal = goals.get(goal_id)
            if goal is None or goal.company_id != item.company_id:
                raise ValidationError({"goal": _("No such goal is visible to you.")})
            item.goal_id = goal.pk
            if "target" not in change or change["target"] in (None, ""):
                item.target = goal.target
                latest = goal_suggestion(goal, suggestions)
                item.target_source = (
                    {"suggestion": latest, "goal": goal.pk} if latest else {"goal": goal.pk}
                )
        else:
            item.goal_id = None
            item.target_source = {}
    if "target" in change and change["target"] not in (None, "") and not change.get("suggestion"):
        target = _decimal(change["target"], "target", low=None, high=MAX_VALUE)
        if target != item.target:
            item.target = target
            item.target_source = {}
    elif (
        "target" in change
        and change["target"] in (None, "")
        and not change.get("goal")
        and not change.get("suggestion")
    ):
        item.target = None
        item.target_source = {}
    if item.target is not None and is_rating(item.indicator):
        raise ValidationError(
            {"target": _("%(indicator)s is rated: it has no target.") % {"indicator": name}}
        )
    return before != (item.weight, item.target, item.goal_id, dict(item.target_source or {}))


def goal_suggestion(goal: Goal, known: dict[int, Any]) -> int | None:
    """The decided target suggestion behind a goal's target, if the rows named it."""
    for s in known.values():
        if s.goal_id == goal.pk and s.decision != TargetSuggestion.Decision.PENDING:
            return s.pk
    return None


@transaction.atomic
def scorecard_items_update(*, actor: Any, rows: list[dict]) -> list[Scorecard]:
    """Set weights, targets and linked goals on one or many scorecards at once (the grid's
    row save, "save all", the API batch). ``rows``: ``[{"scorecard": id, "version": int,
    "items": {indicator_id: {"weight": …, "target": …, "goal": id, "suggestion": id}}}]``
    — only the keys present change. A missing item of an applicable indicator is created.
    All or nothing: one stale row (ConflictError) or invalid value (ValidationError, keyed
    ``"<card>-<indicator>-<field>"``) and nothing is saved. Plan: assigning; card: draft or
    objected. Constant queries in the number of rows; audited in bulk."""
    ids = [int(r["scorecard"]) for r in rows]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("A scorecard appears twice."))
    cards = _lock_cards(actor, ids, access.CHANGE)
    me = actor_employee_id(actor)
    for card in cards.values():
        if card.employee_id == me:
            raise PermissionDenied(_("Nobody assigns their own scorecard."))
    items_by_card: dict[int, dict[int, ScorecardItem]] = defaultdict(dict)
    for item in ScorecardItem.objects.filter(scorecard_id__in=ids).select_related("indicator"):
        items_by_card[item.scorecard_id][item.indicator_id] = item
    plan_ids = {c.plan_id for c in cards.values()}
    indicators = {i.pk: i for i in PlanIndicator.objects.filter(plan_id__in=plan_ids)}
    all_changes = [ch for r in rows for ch in (r.get("items") or {}).values()]
    goals, suggestions = _goal_sources(actor, all_changes)

    errors: dict[str, list[str]] = {}
    to_update, to_create, changed_cards, befores, card_befores = [], [], [], {}, {}
    now = timezone.now()
    for row in rows:
        card = cards[int(row["scorecard"])]
        _require_stage(card.plan, ASSIGN_STAGES)
        if card.status not in EDITABLE_CARDS:
            raise TransitionError(
                _("%(name)s's scorecard is %(status)s: targets are fixed.")
                % {"name": card.employee.name, "status": card.get_status_display()},
                code="not_allowed",
            )
        card_changed = False
        for raw_id, change in (row.get("items") or {}).items():
            indicator = indicators.get(int(raw_id))
            if indicator is None or indicator.plan_id != card.plan_id:
                raise ValidationError(_("Unknown indicator."))
            item = items_by_card[card.pk].get(indicator.pk)
            new = item is None
            if new:
                if not _applies(indicator, card) or not change.get("weight"):
                    continue  # an empty cell of an indicator the card does not use
                item = ScorecardItem(
                    company_id=card.company_id,
                    scorecard=card,
                    indicator=indicator,
                    weight=Decimal(0),
                )
            else:
                befores[item.pk] = snapshot(item)
            try:
                did = _apply_assignment(item, change, goals, suggestions)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.setdefault(f"{card.pk}-{indicator.pk}-{field}", []).extend(messages)
                continue
            if not did:
                continue
            card_changed = True
            item.updated_at = now
            if new:
                to_create.append(item)
            else:
                item.version += 1
                to_update.append(item)
        if card_changed:
            # only a row that changes something must be current: "save all" of a page read
            # before someone else's edit conflicts exactly on the rows that differ
            _check_version(card, row.get("version"))
            card_befores[card.pk] = snapshot(card)
            card.version += 1
            card.updated_at = now
            changed_cards.append(card)
    if errors:
        raise ValidationError(errors)
    if to_update:
        ScorecardItem.objects.bulk_update(
            to_update,
            ["weight", "target", "target_source", "goal", "version", "updated_at"],
            batch_size=500,
        )
        audit_bulk(to_update, action=AuditLog.Action.UPDATE, befores=befores)
    if to_create:
        created = ScorecardItem.objects.bulk_create(to_create, batch_size=500)
        audit_bulk(created, action=AuditLog.Action.CREATE)
    if changed_cards:
        Scorecard.objects.bulk_update(changed_cards, ["version", "updated_at"], batch_size=500)
        audit_bulk(changed_cards, action=AuditLog.Action.UPDATE, befores=card_befores)
    return [cards[pk] for pk in ids]


# --- actuals typed during the period -------------------------------------------------------------


@transaction.atomic
def scorecard_actuals_update(*, actor: Any, rows: list[dict]) -> list[Scorecard]:
    """Type the actuals of manual indicators on one or many cards (the grid's actuals mode, the
    employee's scorecard page, the API). ``rows``: ``[{"scorecard": id, "version": int,
    "items": {indicator_id: {"actual": …}}}]``. Metric- and goal-fed items refuse typing.
    All or nothing; audited in bulk; the card's version bumps."""
    ids = [int(r["scorecard"]) for r in rows]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("A scorecard appears twice."))
    cards = _lock_cards(actor, ids, access.VIEW)
    for card in cards.values():
        if not is_owner(actor, card) and not (can_assign(actor, card) or can_evaluate(actor, card)):
            raise PermissionDenied
    items_by_card: dict[int, dict[int, ScorecardItem]] = defaultdict(dict)
    for item in ScorecardItem.objects.filter(scorecard_id__in=ids).select_related("indicator"):
        items_by_card[item.scorecard_id][item.indicator_id] = item
    errors: dict[str, list[str]] = {}
    to_update, changed_cards, befores, card_befores = [], [], {}, {}
    now = timezone.now()
    for row in rows:
        card = cards[int(row["scorecard"])]
        if card.status not in ACTUAL_CARDS:
            raise TransitionError(
                _("%(name)s's scorecard is %(status)s: actuals cannot be typed.")
                % {"name": card.employee.name, "status": card.get_status_display()},
                code="not_allowed",
            )
        if not can_type_actual(actor, card, card.plan):
            raise _stage_error(card.plan)
        card_changed = False
        for raw_id, change in (row.get("items") or {}).items():
            item = items_by_card[card.pk].get(int(raw_id))
            if item is None or "actual" not in change:
                continue
            key = f"{card.pk}-{item.indicator_id}-actual"
            try:
                actual = _decimal(change["actual"], "actual", low=None, high=MAX_VALUE)
            except ValidationError as exc:
                errors.setdefault(key, []).extend(exc.messages)
                continue
            if actual == item.actual:
                continue
            if item.indicator.data_source != DataSource.MANUAL or is_rating(item.indicator):
                errors.setdefault(key, []).append(
                    _("%(indicator)s is not typed in.") % {"indicator": item.indicator.name}
                )
                continue
            befores[item.pk] = snapshot(item)
            item.actual = actual
            item.actual_source = "typed" if actual is not None else ""
            item.actual_trace = (
                {"typed_by": _name(actor), "at": now.isoformat()} if actual is not None else {}
            )
            item.version += 1
            item.updated_at = now
            to_update.append(item)
            card_changed = True
        if card_changed:
            # only a row that changes something must be current: "save all" of a page read
            # before someone else's edit conflicts exactly on the rows that differ
            _check_version(card, row.get("version"))
            card_befores[card.pk] = snapshot(card)
            card.version += 1
            card.updated_at = now
            changed_cards.append(card)
    if errors:
        raise ValidationError(errors)
    if to_update:
        ScorecardItem.objects.bulk_update(
            to_update,
            ["actual", "actual_source", "actual_trace", "version", "updated_at"],
            batch_size=500,
        )
        audit_bulk(to_update, action=AuditLog.Action.UPDATE, befores=befores)
    if changed_cards:
        Scorecard.objects.bulk_update(changed_cards, ["version", "updated_at"], batch_size=500)
        audit_bulk(changed_cards, action=AuditLog.Action.UPDATE, befores=card_befores)
    return [cards[pk] for pk in ids]


# --- workflow steps ----------------------------------------------------------------------------


def _step(card: Scorecard, name: str, version: int | None, **extra: Any) -> None:
    """Plan stage, then the table (TransitionError), then the version (ConflictError), then
    the write (audited before → after)."""
    _require_stage(card.plan, STEP_STAGES[name])
    workflows.SCORECARD.target(card.status, name)  # raises before anything is written
    _check_version(card, version)
    for key, value in extra.items():
        setattr(card, key, value)
    bump_version(card, expected_version=card.version)
    workflows.SCORECARD.advance(card, name)
    card.save()


@transaction.atomic
def scorecard_send(*, actor: Any, scorecard: Scorecard, version: int | None) -> Scorecard:
    """draft/objected → sent by an assigner: weights total 100 per category and every results
    indicator has a target. The employee is told."""
    card = _lock_card(actor, scorecard)
    if is_owner(actor, card) or not can_assign(actor, card):
        raise PermissionDenied(_("Only the employee's managers send a scorecard."))
    _require_stage(card.plan, ASSIGN_STAGES)
    workflows.SCORECARD.target(card.status, "send")
    problems = card_problems(card, _items_of(card))
    if problems:
        raise ValidationError(" ".join(problems), code="weights")
    _step(card, "send", version, objection="")
    _notify_employees(actor, [card], EVENT_SENT)
    return card


@transaction.atomic
def scorecards_send(
    *, actor: Any, plan: Plan, scorecards: Iterable[int] | None = None, department=None
) -> list[Scorecard]:
    """Send many cards at once (the grid's "send to employees"): the given cards, or every
    draft/objected card of the plan the actor may assign (in ``department``'s subtree when
    given). Cards already sent or confirmed are skipped; one card with invalid weights or a
    missing target refuses the whole batch, naming each. Constant queries; audited in bulk."""
    plan = access.get_object_or_404(Plan, actor, access.VIEW, pk=plan.pk)
    _require_stage(plan, ASSIGN_STAGES)
    candidates = access.restrict(
        Scorecard.objects.filter(plan_id=plan.pk), actor, access.CHANGE
    ).exclude(employee_id=actor_employee_id(actor))
    if department is not None:
        candidates = candidates.filter(department_id__in=department_subtree(department))
    if scorecards is not None:
        wanted = [int(pk) for pk in scorecards]
        ids = set(candidates.filter(pk__in=wanted).values_list("pk", flat=True))
        if len(ids) != len(set(wanted)):
            raise Http404
        candidates = candidates.filter(pk__in=ids)
    cards = list(
        candidates.filter(status__in=EDITABLE_CARDS)
        .select_for_update(of=("self",))
        .select_related("plan", "employee")
    )
    items: dict[int, list[ScorecardItem]] = defaultdict(list)
    for item in ScorecardItem.objects.filter(scorecard__in=[c.pk for c in cards]).select_related(
        "indicator"
    ):
        items[item.scorecard_id].append(item)
    problems = []
    for card in cards:
        found = card_problems(card, items[card.pk])
        if found:
            problems.append(f"{card.employee.name}: {' '.join(found)}")
    if problems:
        raise ValidationError(problems, code="weights")
    if not cards:
        return []
    befores = {c.pk: snapshot(c) for c in cards}
    now = timezone.now()
    updated = Scorecard.objects.filter(
        pk__in=[c.pk for c in cards], status__in=EDITABLE_CARDS
    ).update(status=S.SENT, objection="", version=F("version") + 1, updated_at=now)
    if updated != len(cards):
        raise TransitionError(_("Someone else has just moved this on. Reload the page."))
    for card in cards:
        card.status, card.objection, card.version, card.updated_at = (
            S.SENT,
            "",
            card.version + 1,
            now,
        )
    audit_bulk(cards, action=AuditLog.Action.UPDATE, befores=befores)
    _notify_employees(actor, cards, EVENT_SENT)
    return cards


def _notify_employees(actor: Any, cards: list[Scorecard], event: str) -> None:
    messages = [
        Message(
            recipient=card.employee.user_id,
            title=_("Your scorecard for “%(plan)s” is ready: confirm your targets")
            % {"plan": card.plan.name},
            url=_card_url(card),
            target=card,
        )
        for card in cards
        if card.employee.user_id
    ]
    if messages:
        notification_send_each(
            company_id=cards[0].company_id, event=event, messages=messages, actor=_user(actor)
        )


def _managers(card: Scorecard) -> list[int]:
    ids = heads_of(card.employee)
    if card.evaluator_id:
        uid = (
            Employee.objects.filter(pk=card.evaluator_id).values_list("user_id", flat=True).first()
        )
        if uid and uid not in ids:
            ids.append(uid)
    return ids


def _notify_managers(actor: Any, card: Scorecard, event: str, title: str, body: str = "") -> None:
    notification_send(
        company_id=card.company_id,
        recipients=_managers(card),
        event=event,
        title=title,
        body=body,
        url=_card_url(card),
        target=card,
        actor=_user(actor),
    )


def _require_owner(actor: Any, card: Scorecard) -> None:
    if not is_owner(actor, card):
        raise PermissionDenied(_("Only the employee confirms or answers their own scorecard."))


@transaction.atomic
def scorecard_confirm(*, actor: Any, scorecard: Scorecard, version: int | None) -> Scorecard:
    """sent → confirmed by the employee."""
    card = _lock_card(actor, scorecard)
    _require_owner(actor, card)
    _step(card, "confirm", version)
    _notify_managers(
        actor,
        card,
        EVENT_CONFIRMED,
        _("%(name)s confirmed the targets of “%(plan)s”")
        % {"name": card.employee.name, "plan": card.plan.name},
    )
    return card


@transaction.atomic
def scorecard_object(
    *, actor: Any, scorecard: Scorecard, version: int | None, reason: str
) -> Scorecard:
    """sent → objected by the employee, with a reason (the head revises and sends again)."""
    card = _lock_card(actor, scorecard)
    _require_owner(actor, card)
    reason = _text(reason, "reason")
    if not reason:
        raise ValidationError({"reason": _("Say what you object to.")})
    _step(card, "object", version, objection=reason)
    _notify_managers(
        actor,
        card,
        EVENT_OBJECTED,
        _("%(name)s raised an objection to the targets of “%(plan)s”")
        % {"name": card.employee.name, "plan": card.plan.name},
        reason,
    )
    return card


def _item_inputs(card: Scorecard, items_input: dict | None) -> dict[int, ScorecardItem]:
    items = {i.pk: i for i in _items_of(card)}
    for raw in items_input or {}:
        if int(raw) not in items:
            raise ValidationError(_("Unknown indicator."))
    return items


@transaction.atomic
def scorecard_self_evaluation_save(
    *,
    actor: Any,
    scorecard: Scorecard,
    version: int | None,
    self_comment: str = "",
    items: dict | None = None,
    submit: bool = False,
) -> Scorecard:
    """The employee's self-evaluation (plan in self_eval, card confirmed): per item the actual
    of manual indicators, a comment and evidence (text/links); an overall comment. ``submit``
    takes the step ``self_evaluate`` (evidence required where the indicator asks for it);
    without it the draft is saved. ``items``: ``{item_id: {"actual", "self_comment",
    "evidence"}}``."""
    card = _lock_card(actor, scorecard)
    _require_owner(actor, card)
    _require_stage(card.plan, STEP_STAGES["self_evaluate"])
    workflows.SCORECARD.target(card.status, "self_evaluate")
    _check_version(card, version)
    by_id = _item_inputs(card, items)
    errors: dict[str, list[str]] = {}
    for raw, data in (items or {}).items():
        item = by_id[int(raw)]
        before = snapshot(item)
        typed = item.indicator.data_source == DataSource.MANUAL and not is_rating(item.indicator)
        if "actual" in data and typed:
            try:
                actual = _decimal(data["actual"], "actual", low=None, high=MAX_VALUE)
            except ValidationError as exc:
                errors.setdefault(f"{item.pk}-actual", []).extend(exc.messages)
                continue
            if actual != item.actual:
                item.actual = actual
                item.actual_source = "typed" if actual is not None else ""
                item.actual_trace = (
                    {"typed_by": _name(actor), "at": timezone.now().isoformat()}
                    if actual is not None
                    else {}
                )
        try:
            if "self_comment" in data:
                item.self_comment = _text(data["self_comment"], "self_comment")
            if "evidence" in data:
                item.evidence = _text(data["evidence"], "evidence")
        except ValidationError as exc:
            errors.setdefault(f"{item.pk}-text", []).extend(exc.messages)
            continue
        if snapshot(item) != before:
            item.version += 1
            item.save()
    card.self_comment = _text(self_comment, "self_comment")
    if submit:
        for item in by_id.values():
            if item.indicator.evidence_required and item.weight and not item.evidence.strip():
                errors.setdefault(f"{item.pk}-evidence", []).append(
                    _("%(indicator)s needs evidence.") % {"indicator": item.indicator.name}
                )
    if errors:
        raise ValidationError(errors)
    if submit:
        _step(card, "self_evaluate", card.version)
        _notify_managers(
            actor,
            card,
            EVENT_SELF_EVALUATED,
            _("%(name)s submitted the self-evaluation of “%(plan)s”")
            % {"name": card.employee.name, "plan": card.plan.name},
        )
    else:
        bump_version(card, expected_version=card.version)
        card.save()
    return card


@transaction.atomic
def scorecard_evaluation_save(
    *,
    actor: Any,
    scorecard: Scorecard,
    version: int | None,
    manager_comment: str = "",
    items: dict | None = None,
    submit: bool = False,
) -> Scorecard:
    """The manager's evaluation (plan in manager_eval, card confirmed or self-evaluated): the
    rating of rating-scale indicators (a level of the rule: 1–5 or its anchors), a comment per
    item and overall. ``submit`` takes the step ``evaluate`` (every rated indicator needs a
    rating) and stores the score with its trace (``services_scoring.scorecard_score``).
    ``items``: ``{item_id: {"rating", "manager_comment"}}``."""
    card = _lock_card(actor, scorecard)
    if is_owner(actor, card):
        raise PermissionDenied(_("Nobody evaluates their own scorecard."))
    if not can_evaluate(actor, card):
        raise PermissionDenied(_("Only the evaluator or the employee's managers evaluate."))
    _require_stage(card.plan, STEP_STAGES["evaluate"])
    workflows.SCORECARD.target(card.status, "evaluate")
    _check_version(card, version)
    by_id = _item_inputs(card, items)
    errors: dict[str, list[str]] = {}
    for raw, data in (items or {}).items():
        item = by_id[int(raw)]
        before = snapshot(item)
        if "rating" in data:
            if not is_rating(item.indicator):
                if data["rating"] not in (None, ""):
                    errors.setdefault(f"{item.pk}-rating", []).append(
                        _("%(indicator)s is not rated.") % {"indicator": item.indicator.name}
                    )
            else:
                try:
                    rating = _decimal(data["rating"], "rating", low=None, high=HUNDRED)
                except ValidationError as exc:
                    errors.setdefault(f"{item.pk}-rating", []).extend(exc.messages)
                    continue
                levels = {level for level, _text_ in rating_levels(item.indicator)}
                if rating is not None and (
                    rating != rating.to_integral() or int(rating) not in levels
                ):
                    errors.setdefault(f"{item.pk}-rating", []).append(
                        _("Choose one of the levels of %(indicator)s.")
                        % {"indicator": item.indicator.name}
                    )
                    continue
                item.rating = rating
        try:
            if "manager_comment" in data:
                item.manager_comment = _text(data["manager_comment"], "manager_comment")
        except ValidationError as exc:
            errors.setdefault(f"{item.pk}-text", []).extend(exc.messages)
            continue
        if snapshot(item) != before:
            item.version += 1
            item.save()
    card.manager_comment = _text(manager_comment, "manager_comment")
    if submit:
        for item in by_id.values():
            if is_rating(item.indicator) and item.weight and item.rating is None:
                errors.setdefault(f"{item.pk}-rating", []).append(
                    _("Rate %(indicator)s.") % {"indicator": item.indicator.name}
                )
    if errors:
        raise ValidationError(errors)
    if submit:
        _step(card, "evaluate", card.version)
        services_scoring.scorecard_score(scorecard=card)
        card.refresh_from_db()
        notification_send(
            company_id=card.company_id,
            recipients=[card.employee.user_id],
            event=EVENT_EVALUATED,
            title=_("Your manager evaluated your scorecard for “%(plan)s”")
            % {"plan": card.plan.name},
            url=_card_url(card),
            target=card,
            actor=_user(actor),
        )
    else:
        bump_version(card, expected_version=card.version)
        card.save()
    return card


@transaction.atomic
def scorecard_self_evaluate(
    *, actor: Any, scorecard: Scorecard, version: int | None, **fields: Any
) -> Scorecard:
    """Submit the self-evaluation (step ``self_evaluate``)."""
    return scorecard_self_evaluation_save(
        actor=actor, scorecard=scorecard, version=version, submit=True, **fields
    )


@transaction.atomic
def scorecard_evaluate(
    *, actor: Any, scorecard: Scorecard, version: int | None, **fields: Any
) -> Scorecard:
    """Submit the manager's evaluation (step ``evaluate``) and score the card."""
    return scorecard_evaluation_save(
        actor=actor, scorecard=scorecard, version=version, submit=True, **fields
    )


STEPS = ("send", "confirm", "object", "self_evaluate", "evaluate")


@transaction.atomic
def scorecard_step(
    *, actor: Any, scorecard: Scorecard, step: str, version: int | None, reason: str = ""
) -> Scorecard:
    """Dispatch one step (the pages' and the API's single step endpoint)."""
    if step == "send":
        return scorecard_send(actor=actor, scorecard=scorecard, version=version)
    if step == "confirm":
        return scorecard_confirm(actor=actor, scorecard=scorecard, version=version)
    if step == "object":
        return scorecard_object(actor=actor, scorecard=scorecard, version=version, reason=reason)
    if step == "self_evaluate":
        return scorecard_self_evaluate(actor=actor, scorecard=scorecard, version=version)
    if step == "evaluate":
        return scorecard_evaluate(actor=actor, scorecard=scorecard, version=version)
    raise TransitionError(_("Unknown step."), code="unknown")


def available_steps(*, actor: Any, card: Scorecard) -> list[str]:
    """The steps ``actor`` may take on ``card`` now (for buttons; services decide again)."""
    plan_status = card.plan.status
    steps = []
    for t in workflows.SCORECARD.available(card.status):
        if t.name not in STEP_STAGES or plan_status not in STEP_STAGES[t.name]:
            continue
        allowed = {
            "send": lambda: can_assign(actor, card),
            "confirm": lambda: is_owner(actor, card),
            "object": lambda: is_owner(actor, card),
            "self_evaluate": lambda: is_owner(actor, card),
            "evaluate": lambda: can_evaluate(actor, card),
        }[t.name]
        if allowed():
            steps.append(t.name)
    return steps


# --- feedback threads -----------------------------------------------------------------------------


@transaction.atomic
def item_comment_add(*, actor: Any, item: ScorecardItem, body: str) -> ItemComment:
    """A message in an indicator's thread by the employee or their managers; the other
    participants (employee, their heads, the evaluator, earlier writers) and @mentions hear."""
    item = access.get_object_or_404(
        ScorecardItem.objects.select_related("scorecard__plan", "scorecard__employee", "indicator"),
        actor,
        access.VIEW,
        pk=getattr(item, "pk", item),
    )
    card = item.scorecard
    if not can_comment(actor, card):
        raise PermissionDenied
    user = _user(actor)
    if user is None:
        raise PermissionDenied
    body = _text(body, "body")
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    comment = ItemComment(company_id=item.company_id, item=item, author=user, body=body)
    comment.save()
    earlier = (
        ItemComment.objects.filter(item_id=item.pk)
        .exclude(pk=comment.pk)
        .values_list("author_id", flat=True)
        .distinct()
    )
    thread_notify(
        company_id=item.company_id,
        author=user,
        participants=[card.employee.user_id, *_managers(card), *earlier],
        text=body,
        subject=f"{card.plan.name} · {item.indicator.name}",
        url=f"{_card_url(card)}#item-{item.pk}" if _card_url(card) else "",
        target=card,
        can_view=lambda u: access.can(u, access.VIEW, card),
    )
    return comment


# --- the department's submission -----------------------------------------------------------------


def department_subtree(department: Department | int) -> set[int]:
    dept = (
        department if isinstance(department, Department) else Department.objects.get(pk=department)
    )
    return subtree_ids(company_children(dept.company_id), {dept.pk})


def may_submit_department(actor: Any, department_id: int) -> bool:
    scope = get_scope(actor)
    if scope.is_api_key or scope.employee_id is None:
        return False
    return department_id in scope.department_ids or is_plan_office(scope)


def department_problems(plan: Plan, department: Department) -> list[str]:
    """What keeps a department from submitting: cards not sent/confirmed, weights, targets."""
    cards = list(
        Scorecard.objects.filter(plan_id=plan.pk, department_id=department.pk)
        .select_related("employee", "plan")
        .order_by("employee__employee_no")
    )
    items: dict[int, list[ScorecardItem]] = defaultdict(list)
    for item in ScorecardItem.objects.filter(scorecard__in=[c.pk for c in cards]).select_related(
        "indicator"
    ):
        items[item.scorecard_id].append(item)
    problems = []
    for card in cards:
        if card.status != S.CONFIRMED:
            problems.append(
                _("%(name)s: %(status)s.")
                % {"name": card.employee.name, "status": card.get_status_display()}
            )
        for problem in card_problems(card, items[card.pk]):
            problems.append(f"{card.employee.name}: {problem}")
    return problems


@transaction.atomic
def plan_department_submit(*, actor: Any, plan: Plan, department: Department) -> PlanDepartment:
    """The head submits the department's assignments (plan in assigning): every scorecard of
    the department sent and confirmed, weights valid — otherwise a ValidationError names each
    one. Sets ``PlanDepartment.assignments_submitted_at``; a second submission is refused."""
    part = access.get_object_or_404(
        PlanDepartment.objects.select_for_update(of=("self",)).select_related("plan", "department"),
        actor,
        access.VIEW,
        plan_id=plan.pk,
        department_id=department.pk,
    )
    if not may_submit_department(actor, part.department_id):
        raise PermissionDenied(_("Only the department's managers submit its assignments."))
    _require_stage(part.plan, ASSIGN_STAGES)
    if part.assignments_submitted_at is not None:
        raise TransitionError(_("This department has already submitted."), code="stale")
    problems = department_problems(part.plan, part.department)
    if problems:
        raise ValidationError(problems, code="not_ready")
    part.assignments_submitted_at = timezone.now()
    part.save()
    audit_event(part, "assignments submitted")
    from renshi.alerts.people import org_index
    from renshi.org.models import Role

    org = org_index(part.company_id)
    notification_send(
        company_id=part.company_id,
        recipients=org.users(sorted(org.holders(Role.PERFORMANCE_MANAGER))),
        event=EVENT_DEPARTMENT_SUBMITTED,
        title=_("%(department)s submitted its assignments for “%(plan)s”")
        % {"department": part.department.name, "plan": part.plan.name},
        url=_grid_url(part),
        target=part.plan,
        actor=_user(actor),
    )
    return part
