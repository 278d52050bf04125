"""The SMART check of a goal: problems per criterion, each with a code, a message and the numbers
it was computed from (``trace``).

* specific — a title and a measure;
* measurable — a target (both ends for a range) and a unit; a target that does not improve on
  the baseline in the goal's direction cannot be measured against it;
* achievable — the target compared with history when there is history: more than
  ``STRETCH_LIMIT`` (+50 %) beyond the best actual of the previous periods is a warning
  (higher is better: above the highest; lower is better: below the lowest);
* relevant — serves a parent goal, unless it is a strategic (company) objective;
* time-bound — a deadline inside the map's period, a start inside it and before the deadline.

``check_goal`` is pure (a goal, its map's period, a history list); ``goal_history`` /
``histories_for`` read the history — until the metrics issue supplies measured periods, the
actuals of earlier goals with the same level, measure and owner (or department, for goals
without an owner) in older maps of the company — and ``smart_report`` lists the goals of a map
that have problems with a number of queries that does not depend on the number of goals.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from renshi.core import access

from .models import Goal, StrategyMap

STRETCH_LIMIT = Decimal("0.5")

SPECIFIC = "specific"
MEASURABLE = "measurable"
ACHIEVABLE = "achievable"
RELEVANT = "relevant"
TIME_BOUND = "time_bound"
CRITERIA = (SPECIFIC, MEASURABLE, ACHIEVABLE, RELEVANT, TIME_BOUND)
CRITERION_LABELS = {
    SPECIFIC: _("Specific"),
    MEASURABLE: _("Measurable"),
    ACHIEVABLE: _("Achievable"),
    RELEVANT: _("Relevant"),
    TIME_BOUND: _("Time-bound"),
}

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class HistoryPoint:
    """One earlier period's actual (``period``: a label such as the map's name)."""

    period: str
    actual: Decimal


@dataclass(frozen=True)
class Problem:
    criterion: str
    code: str
    message: str
    severity: str = ERROR
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def criterion_label(self) -> str:
        return str(CRITERION_LABELS[self.criterion])


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f")


def _percent(ratio: Decimal) -> str:
    return _fmt(ratio * 100)


def _points(history: Iterable[Any]) -> list[HistoryPoint]:
    points = []
    for item in history:
        if isinstance(item, HistoryPoint):
            point = item
        else:
            period, actual = item
            point = HistoryPoint(str(period), Decimal(actual))
        points.append(point)
    return points


def check_goal(
    goal: Goal,
    *,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    history: Sequence[Any] = (),
) -> list[Problem]:
    """The SMART problems of ``goal`` (pure: no queries). The period defaults to the goal's
    map; ``history`` is a list of ``HistoryPoint`` or ``(period, actual)`` pairs."""
    if period_start is None or period_end is None:
        smap = goal.strategy_map
        period_start = period_start or smap.period_start
        period_end = period_end or smap.period_end
    problems: list[Problem] = []

    def add(criterion, code, message, severity=ERROR, **trace):
        problems.append(Problem(criterion, code, str(message), severity, trace))

    # specific
    if not (goal.title or "").strip():
        add(SPECIFIC, "title_missing", _("The goal has no title."))
    if not (goal.measure or "").strip():
        add(SPECIFIC, "measure_missing", _("Name the measure: what is counted or observed?"))

    # measurable
    direction = goal.direction
    target, baseline = goal.target, goal.baseline
    if direction == Goal.Direction.RANGE:
        low, high = goal.range_low, goal.range_high
        if low is None or high is None:
            add(MEASURABLE, "range_incomplete", _("A range goal needs both ends of the range."))
        elif low > high:
            add(
                MEASURABLE,
                "range_inverted",
                _("The range runs backwards: %(low)s is above %(high)s.")
                % {"low": _fmt(low), "high": _fmt(high)},
                low=low,
                high=high,
            )
    elif target is None:
        add(MEASURABLE, "target_missing", _("The goal has no target."))
    elif baseline is None:
        if direction == Goal.Direction.LOWER:
            add(
                MEASURABLE,
                "baseline_missing",
                _("Lower is better needs a baseline: progress is measured from it."),
            )
    else:
        if target == baseline:
            add(
                MEASURABLE,
                "target_equals_baseline",
                _(
                    "The target equals the baseline (%(value)s): progress is only met or "
                    "missed, never partial."
                )
                % {"value": _fmt(target)},
                WARNING,
                target=target,
                baseline=baseline,
            )
        elif (direction == Goal.Direction.HIGHER and target < baseline) or (
            direction == Goal.Direction.LOWER and target > baseline
        ):
            add(
                MEASURABLE,
                "target_behind_baseline",
                _(
                    "The target %(target)s is worse than the baseline %(baseline)s for a goal "
                    "where %(direction)s."
                )
                % {
                    "target": _fmt(target),
                    "baseline": _fmt(baseline),
                    "direction": goal.get_direction_display().lower(),
                },
                WARNING,
                target=target,
                baseline=baseline,
            )
    if not (goal.unit or "").strip():
        add(MEASURABLE, "unit_missing", _("Give the unit of the measure (percent, pieces, 万元…)."))

    # achievable
    points = _points(history)
    if points and target is not None and direction in (Goal.Direction.HIGHER, Goal.Direction.LOWER):
        if direction == Goal.Direction.HIGHER:
            best = max(points, key=lambda p: p.actual)
            stretch = (target - best.actual) / best.actual if best.actual > 0 else None
        else:
            best = min(points, key=lambda p: p.actual)
            stretch = (best.actual - target) / best.actual if best.actual > 0 else None
        if stretch is not None and stretch > STRETCH_LIMIT:
            message = (
                _(
                    "The target %(target)s is %(stretch)s%% beyond the best actual so far "
                    "(%(best)s in %(period)s); more than %(limit)s%% is rarely achievable."
                )
                if direction == Goal.Direction.HIGHER
                else _(
                    "The target %(target)s is %(stretch)s%% below the best actual so far "
                    "(%(best)s in %(period)s); more than %(limit)s%% is rarely achievable."
                )
            )
            add(
                ACHIEVABLE,
                "beyond_history",
                message
                % {
                    "target": _fmt(target),
                    "stretch": _percent(stretch),
                    "best": _fmt(best.actual),
                    "period": best.period,
                    "limit": _percent(STRETCH_LIMIT),
                },
                WARNING,
                target=target,
                best=best.actual,
                best_period=best.period,
                stretch=stretch,
                limit=STRETCH_LIMIT,
                history=[(p.period, p.actual) for p in points],
            )

    # relevant
    if goal.level != Goal.Level.COMPANY and goal.parent_id is None:
        add(
            RELEVANT,
            "no_parent",
            _("The goal serves no objective: link it to the goal it contributes to."),
        )

    # time-bound
    start, deadline = goal.start_date, goal.deadline
    if deadline is None:
        add(TIME_BOUND, "deadline_missing", _("The goal has no deadline."))
    else:
        if deadline > period_end or deadline < period_start:
            add(
                TIME_BOUND,
                "deadline_outside_period",
                _("The deadline %(deadline)s is outside the period %(start)s – %(end)s.")
                % {"deadline": deadline, "start": period_start, "end": period_end},
                deadline=deadline,
                period_start=period_start,
                period_end=period_end,
            )
        if start is not None and start >= deadline:
            add(
                TIME_BOUND,
                "start_not_before_deadline",
                _("The goal starts (%(start)s) on or after its deadline (%(deadline)s).")
                % {"start": start, "deadline": deadline},
                start=start,
                deadline=deadline,
            )
    if start is not None and (start < period_start or start > period_end):
        add(
            TIME_BOUND,
            "start_outside_period",
            _("The start %(start)s is outside the period %(period_start)s – %(period_end)s.")
            % {"start": start, "period_start": period_start, "period_end": period_end},
            WARNING,
            start=start,
            period_start=period_start,
            period_end=period_end,
        )
    return problems


# --- history and the report (reads, through the access layer) ---------------------------------


def _history_key(level: str, measure: str, owner_id: int | None, department_id: int | None):
    if owner_id is not None:
        return (level, measure.strip(), "owner", owner_id)
    return (level, measure.strip(), "department", department_id)


def histories_for(goals: Sequence[Goal], *, user: Any) -> dict[int, list[HistoryPoint]]:
    """History per goal id, in one query: actuals of earlier goals with the same level and
    measure and the same owner (or department) in the company's maps that start earlier.

    This is the stand-in until the metrics issue supplies measured periods."""
    wanted = [g for g in goals if (g.measure or "").strip()]
    if not wanted:
        return {}
    latest_start = max(g.strategy_map.period_start for g in wanted)
    rows = (
        access.restrict(Goal, user, access.VIEW)
        .filter(
            company_id=wanted[0].company_id,
            strategy_map__period_start__lt=latest_start,
            measure__in={g.measure.strip() for g in wanted},
            actual__isnull=False,
        )
        .values_list(
            "level",
            "measure",
            "owner_id",
            "department_id",
            "actual",
            "strategy_map__name",
            "strategy_map__period_start",
        )
        .order_by("strategy_map__period_start", "id")
    )
    by_key: dict[tuple, list[tuple[datetime.date, HistoryPoint]]] = defaultdict(list)
    for level, measure, owner_id, department_id, actual, map_name, map_start in rows:
        point = HistoryPoint(map_name, actual)
        by_key[_history_key(level, measure, owner_id, department_id)].append((map_start, point))
    result: dict[int, list[HistoryPoint]] = {}
    for g in wanted:
        key = _history_key(g.level, g.measure, g.owner_id, g.department_id)
        start = g.strategy_map.period_start
        result[g.pk] = [p for map_start, p in by_key.get(key, ()) if map_start < start]
    return result


def goal_history(goal: Goal, *, user: Any) -> list[HistoryPoint]:
    return histories_for([goal], user=user).get(goal.pk, [])


def goal_problems(goal: Goal, *, user: Any) -> list[Problem]:
    """The SMART problems of one goal, its history read through the access layer."""
    return check_goal(goal, history=goal_history(goal, user=user))


@dataclass
class ReportRow:
    goal: Goal
    problems: list[Problem]

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)


def smart_report(*, strategy_map: StrategyMap, user: Any) -> list[ReportRow]:
    """Every visible goal of the map with SMART problems (two queries whatever the size)."""
    goals = list(
        access.restrict(Goal, user, access.VIEW)
        .filter(strategy_map_id=strategy_map.pk)
        .exclude(status=Goal.Status.CLOSED)
        .select_related("owner", "department", "perspective")
        .only(
            "id",
            "company_id",
            "strategy_map_id",
            "level",
            "parent_id",
            "title",
            "measure",
            "unit",
            "direction",
            "baseline",
            "target",
            "range_low",
            "range_high",
            "start_date",
            "deadline",
            "status",
            "owner__id",
            "owner__name",
            "department__id",
            "department__name",
            "perspective__id",
            "perspective__name",
            "owner_id",
            "department_id",
            "perspective_id",
        )
        .order_by("level", "id")
    )
    for g in goals:
        g.strategy_map = strategy_map
    histories = histories_for(goals, user=user)
    rows = []
    for g in goals:
        problems = check_goal(g, history=histories.get(g.pk, ()))
        if problems:
            rows.append(ReportRow(goal=g, problems=problems))
    order = {Goal.Level.COMPANY: 0, Goal.Level.DEPARTMENT: 1, Goal.Level.INDIVIDUAL: 2}
    rows.sort(key=lambda r: (order.get(r.goal.level, 3), -r.errors, r.goal.pk))
    return rows
