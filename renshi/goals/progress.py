"""The progress engine: own progress of a measured goal, the weighted roll-up of a goal tree and
the pace status. Pure functions on plain values (no database); docs/goals.md explains every rule
with a worked example.

Progress is a ``Decimal`` fraction (1 = 100 %), never rounded here; rounding is for display
(``fmt_pct``). Every result carries its ``trace``: a list of ``Step`` objects that render, in the
active language, as readable lines with the numbers ("销售部营收: (65 − 50) / (80 − 50) =
50.0%"). Steps are rendered lazily (``str(step)``), so computing a tree of 10,000 goals does
not format 10,000 strings nobody reads.
"""

from __future__ import annotations

import datetime
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
ROLLUP_CAP = Decimal(1)  # a child counts at most 100 % in its parent's roll-up
DEFAULT_ON_TRACK = Decimal("0.9")
DEFAULT_AT_RISK = Decimal("0.7")

HIGHER, LOWER, RANGE = "higher", "lower", "range"


# --- numbers for display ------------------------------------------------------------------


def fmt_num(value: Decimal | int | None) -> str:
    """A measure value without trailing zeros: Decimal("65.0000") → "65"."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value.normalize():f}"


def fmt_pct(value: Decimal | None, places: int = 1) -> str:
    """A fraction as a percentage for display: Decimal("0.5") → "50.0%"."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    return f"{(value * HUNDRED).quantize(quantum):f}%"


class Num:
    """A measure value inside a step (formatted when the step is rendered)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return fmt_num(self.value)


class Pct:
    """A fraction inside a step, shown as a percentage."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return fmt_pct(self.value)


class Terms:
    """``3 × 50.0% + 1 × 50.0%`` — the weighted terms of a roll-up."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[Decimal, Decimal]]):
        self.pairs = pairs

    def __str__(self) -> str:
        return " + ".join(f"{fmt_num(w)} × {fmt_pct(p)}" for w, p in self.pairs)


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a trace: a translatable template and its values."""

    template: Any  # a gettext_lazy string with %(name)s placeholders
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.template) % {k: str(v) for k, v in self.params.items()}


def render_trace(trace: Iterable[Step]) -> list[str]:
    return [str(step) for step in trace]


# step templates (translated in i18n/goals_map.po)
T_MEASURED = _("%(title)s: (%(actual)s − %(baseline)s) / (%(target)s − %(baseline)s) = %(result)s")
T_NO_BASELINE = _("%(title)s: no baseline, counted as 0 (higher is better)")
T_LOWER_NEEDS_BASELINE = _("%(title)s: lower is better needs a baseline; no progress")
T_NO_ACTUAL = _("%(title)s: no actual recorded yet; no progress")
T_NO_TARGET = _("%(title)s: no target; no progress")
T_FLAT_MET = _("%(title)s: target equals baseline (%(target)s); actual %(actual)s meets it = 100%%")
T_FLAT_MISSED = _(
    "%(title)s: target equals baseline (%(target)s); actual %(actual)s misses it = 0.0%%"
)
T_NO_RANGE = _("%(title)s: a range needs both a low and a high end; no progress")
T_BAD_RANGE = _("%(title)s: the range's low end %(low)s is above its high end %(high)s")
T_IN_RANGE = _("%(title)s: %(actual)s is inside [%(low)s, %(high)s] = 100%%")
T_OUT_RANGE = _(
    "%(title)s: %(actual)s is %(distance)s outside [%(low)s, %(high)s]; "
    "100%% − %(distance)s / %(width)s = %(result)s"
)
T_POINT_RANGE = _("%(title)s: %(actual)s misses the point range [%(low)s, %(high)s] = 0.0%%")
T_ROLLUP = _("roll-up: (%(terms)s) / %(total)s = %(result)s")
T_ROLLUP_CAPPED = _("%(title)s counts %(capped)s in the roll-up (capped from %(value)s)")
T_ROLLUP_FLOORED = _("%(title)s counts 0.0%% in the roll-up (went back: %(value)s)")
T_ROLLUP_ZERO_WEIGHT = _("roll-up: the children's weights add up to 0; no progress")
T_ROLLUP_NONE = _("roll-up: no child has progress yet")
T_OWN_WINS = _("%(title)s: its own measure counts (%(own)s); from children: %(children)s")
T_FROM_CHILDREN = _("%(title)s: no own measure; progress from its children = %(result)s")
T_CYCLE = _("%(title)s: part of a loop of parent links; children ignored")
T_PACE_NOT_STARTED = _("starts on %(start)s; today is %(today)s: not started")
T_PACE_DONE = _("progress %(progress)s ≥ 100%%: done")
T_PACE_NO_DATA = _("no progress yet: no pace")
T_PACE_ELAPSED = _(
    "elapsed: (%(today)s − %(start)s) / (%(deadline)s − %(start)s) = %(days)s / %(period)s "
    "days = %(elapsed)s"
)
T_PACE_AT_START = _("the period has just started (elapsed 0%%): on track")
T_PACE_RATIO = _("pace: %(progress)s ÷ %(elapsed)s = %(ratio)s")
T_PACE_STATUS = _("%(ratio)s ≥ %(threshold)s: %(status)s")
T_PACE_BEHIND = _("%(ratio)s < %(threshold)s: %(status)s")


# --- own progress of a measured goal --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress value (fraction, uncapped; None = no progress) and how it was computed."""

    value: Decimal | None
    trace: tuple[Step, ...] = ()

    @property
    def percent(self) -> str:
        return fmt_pct(self.value)

    def trace_text(self) -> list[str]:
        return render_trace(self.trace)


NO_PROGRESS = Progress(None, ())


def own_progress(
    *,
    title: str,
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    actual: Decimal | None,
    range_low: Decimal | None = None,
    range_high: Decimal | None = None,
) -> Progress:
    """The progress of one measured goal from its own numbers (docs/goals.md, "Own progress").

    * higher / lower is better: (actual − baseline) / (target − baseline); the same formula
      serves both directions (lower: target < baseline, both differences negative). A missing
      baseline is 0 for higher is better; lower is better needs one.
    * range: 100 % inside [low, high]; outside it falls by the distance to the nearer end in
      units of the range's width (one width outside = 0 %), never below 0.
    * no actual → no progress (None), not 0.
    """
    if actual is None:
        return Progress(None, (Step(T_NO_ACTUAL, {"title": title}),))
    if direction == RANGE:
        return _range_progress(title, actual, range_low, range_high)
    if target is None:
        return Progress(None, (Step(T_NO_TARGET, {"title": title}),))
    steps: list[Step] = []
    if baseline is None:
        if direction == LOWER:
            return Progress(None, (Step(T_LOWER_NEEDS_BASELINE, {"title": title}),))
        baseline = ZERO
        steps.append(Step(T_NO_BASELINE, {"title": title}))
    span = target - baseline
    if span == 0:
        met = actual <= target if direction == LOWER else actual >= target
        template = T_FLAT_MET if met else T_FLAT_MISSED
        steps.append(Step(template, {"title": title, "target": Num(target), "actual": Num(actual)}))
        return Progress(ONE if met else ZERO, tuple(steps))
    value = (actual - baseline) / span
    steps.append(
        Step(
            T_MEASURED,
            {
                "title": title,
                "actual": Num(actual),
                "baseline": Num(baseline),
                "target": Num(target),
                "result": Pct(value),
            },
        )
    )
    return Progress(value, tuple(steps))


def _range_progress(
    title: str, actual: Decimal, low: Decimal | None, high: Decimal | None
) -> Progress:
    if low is None or high is None:
        return Progress(None, (Step(T_NO_RANGE, {"title": title}),))
    params: dict[str, Any] = {"title": title, "actual": Num(actual), "low": Num(low)}
    params["high"] = Num(high)
    if low > high:
        return Progress(None, (Step(T_BAD_RANGE, params),))
    if low <= actual <= high:
        return Progress(ONE, (Step(T_IN_RANGE, params),))
    width = high - low
    if width == 0:
        return Progress(ZERO, (Step(T_POINT_RANGE, params),))
    distance = low - actual if actual < low else actual - high
    value = max(ZERO, ONE - distance / width)
    params.update(distance=Num(distance), width=Num(width), result=Pct(value))
    return Progress(value, (Step(T_OUT_RANGE, params),))


def goal_own_progress(goal: Any) -> Progress:
    """``own_progress`` of anything with a Goal's fields (a model instance or a row)."""
    return own_progress(
        title=goal.title,
        direction=goal.direction,
        baseline=goal.baseline,
        target=goal.target,
        actual=goal.actual,
        range_low=goal.range_low,
        range_high=goal.range_high,
    )


def is_measured(goal: Any) -> bool:
    """Has its own measure to compute progress from (an actual and a target or a range)."""
    if goal.actual is None:
        return False
    if goal.direction == RANGE:
        return goal.range_low is not None and goal.range_high is not None
    return goal.target is not None


# --- roll-up --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RollupInput:
    """One goal of a tree: its id, its parent's id (None or an id outside the set = a root),
    its weight in the parent's roll-up, its own progress and whether it has its own measure."""

    id: int
    parent_id: int | None
    weight: Decimal
    own: Progress
    measured: bool
    title: str = ""


@dataclass(slots=True)
class RollupResult:
    """The progress of one goal in a tree.

    * ``own`` — from its own measure (uncapped; None without a measure);
    * ``from_children`` — the weighted, capped roll-up of its children (None for a leaf or
      when no child has progress);
    * ``progress`` — the goal's displayed progress: its own measure when it has one (the
      measured actual wins), otherwise ``from_children``. Uncapped.
    """

    id: int
    own: Progress
    from_children: Progress | None
    progress: Progress
    child_ids: list[int] = field(default_factory=list)


def rollup(nodes: Iterable[RollupInput], *, cap: Decimal = ROLLUP_CAP) -> dict[int, RollupResult]:
    """Roll progress up a forest (docs/goals.md, "Roll-up").

    parent = Σ(weight × clamp(child progress, 0, cap)) / Σ weight over the children that have
    progress; weights need not add up to 1; a zero total weight gives no progress. A child's
    value in the roll-up is its displayed progress (own measure, else its own roll-up).
    Iterative and O(n): children are visited before parents in reverse breadth-first order.
    """
    by_id: dict[int, RollupInput] = {}
    for node in nodes:
        by_id[node.id] = node
    children: dict[int | None, list[int]] = defaultdict(list)
    roots: list[int] = []
    for node in by_id.values():
        if node.parent_id is not None and node.parent_id in by_id:
            children[node.parent_id].append(node.id)
        else:
            roots.append(node.id)
    order: list[int] = []
    queue = deque(roots)
    while queue:
        pk = queue.popleft()
        order.append(pk)
        queue.extend(children.get(pk, ()))
    results: dict[int, RollupResult] = {}
    for pk in reversed(order):
        node = by_id[pk]
        kids = children.get(pk, [])
        from_children = _combine(node, kids, by_id, results, cap) if kids else None
        results[pk] = _result(node, from_children, kids)
    # goals in a loop of parent links (never reached from a root): own progress only
    for pk, node in by_id.items():
        if pk not in results:
            trace = (*node.own.trace, Step(T_CYCLE, {"title": node.title}))
            own = Progress(node.own.value, trace)
            results[pk] = RollupResult(pk, own, None, own, [])
    return results


def _combine(
    node: RollupInput,
    kids: list[int],
    by_id: Mapping[int, RollupInput],
    results: Mapping[int, RollupResult],
    cap: Decimal,
) -> Progress | None:
    pairs: list[tuple[Decimal, Decimal]] = []
    steps: list[Step] = []
    total_weight = ZERO
    weighted = ZERO
    for kid in kids:
        value = results[kid].progress.value
        if value is None:
            continue
        weight = by_id[kid].weight
        counted = value
        if value > cap:
            counted = cap
            steps.append(
                Step(
                    T_ROLLUP_CAPPED,
                    {"title": by_id[kid].title, "capped": Pct(cap), "value": Pct(value)},
                )
            )
        elif value < ZERO:
            counted = ZERO
            steps.append(Step(T_ROLLUP_FLOORED, {"title": by_id[kid].title, "value": Pct(value)}))
        pairs.append((weight, counted))
        total_weight += weight
        weighted += weight * counted
    if not pairs:
        return Progress(None, (Step(T_ROLLUP_NONE),))
    if total_weight == 0:
        steps.append(Step(T_ROLLUP_ZERO_WEIGHT))
        return Progress(None, tuple(steps))
    value = weighted / total_weight
    steps.append(
        Step(T_ROLLUP, {"terms": Terms(pairs), "total": Num(total_weight), "result": Pct(value)})
    )
    return Progress(value, tuple(steps))


def _result(node: RollupInput, from_children: Progress | None, kids: list[int]) -> RollupResult:
    if not node.measured and from_children is not None and from_children.value is None:
        return RollupResult(
            node.id, node.own, from_children, Progress(None, from_children.trace), kids
        )
    if node.measured or from_children is None:
        progress = node.own
        if node.measured and from_children is not None:
            note = Step(
                T_OWN_WINS,
                {
                    "title": node.title,
                    "own": Pct(node.own.value),
                    "children": Pct(from_children.value),
                },
            )
            progress = Progress(node.own.value, (*node.own.trace, note))
    else:
        note = Step(T_FROM_CHILDREN, {"title": node.title, "result": Pct(from_children.value)})
        progress = Progress(from_children.value, (*from_children.trace, note))
    return RollupResult(node.id, node.own, from_children, progress, kids)


# --- pace -----------------------------------------------------------------------------------

NOT_STARTED, DONE, NO_DATA = "not_started", "done", "no_data"
ON_TRACK, AT_RISK, BEHIND = "on_track", "at_risk", "behind"
PACE_LABELS = {
    NOT_STARTED: _("not started"),
    DONE: _("done"),
    NO_DATA: _("no data"),
    ON_TRACK: _("on track"),
    AT_RISK: _("at risk"),
    BEHIND: _("behind"),
}
# Bootstrap colour of each status (cards, tree nodes, the map's chart)
PACE_COLOURS = {
    NOT_STARTED: "secondary",
    DONE: "primary",
    NO_DATA: "light",
    ON_TRACK: "success",
    AT_RISK: "warning",
    BEHIND: "danger",
}


@dataclass(frozen=True, slots=True)
class Pace:
    status: str
    elapsed: Decimal | None = None
    ratio: Decimal | None = None
    trace: tuple[Step, ...] = ()

    @property
    def label(self):
        return PACE_LABELS[self.status]

    @property
    def colour(self) -> str:
        return PACE_COLOURS[self.status]

    def trace_text(self) -> list[str]:
        return render_trace(self.trace)


class Label:
    """A pace status inside a step, translated when rendered."""

    __slots__ = ("status",)

    def __init__(self, status: str):
        self.status = status

    def __str__(self) -> str:
        return str(PACE_LABELS[self.status])


def elapsed_share(start: datetime.date, deadline: datetime.date, today: datetime.date) -> Decimal:
    """(today − start) / (deadline − start), clamped to [0, 1]."""
    period = (deadline - start).days
    if period <= 0:
        return ONE if today >= deadline else ZERO
    share = Decimal((today - start).days) / Decimal(period)
    return min(ONE, max(ZERO, share))


def pace(
    *,
    progress: Decimal | None,
    start: datetime.date,
    deadline: datetime.date,
    today: datetime.date,
    on_track: Decimal = DEFAULT_ON_TRACK,
    at_risk: Decimal = DEFAULT_AT_RISK,
) -> Pace:
    """The pace status of a goal (docs/goals.md, "Pace").

    Before the start: not started. Progress ≥ 100 %: done. No progress: no data. Otherwise
    ratio = progress ÷ elapsed share; on track if ratio ≥ on_track, at risk if ≥ at_risk,
    else behind. At the very start (elapsed 0) a goal is on track.
    """
    if today < start:
        return Pace(
            NOT_STARTED, trace=(Step(T_PACE_NOT_STARTED, {"start": start, "today": today}),)
        )
    if progress is None:
        return Pace(NO_DATA, trace=(Step(T_PACE_NO_DATA),))
    if progress >= ONE:
        return Pace(DONE, trace=(Step(T_PACE_DONE, {"progress": Pct(progress)}),))
    elapsed = elapsed_share(start, deadline, today)
    steps = [
        Step(
            T_PACE_ELAPSED,
            {
                "today": today,
                "start": start,
                "deadline": deadline,
                "days": min(max((today - start).days, 0), max((deadline - start).days, 0)),
                "period": max((deadline - start).days, 0),
                "elapsed": Pct(elapsed),
            },
        )
    ]
    if elapsed == 0:
        steps.append(Step(T_PACE_AT_START))
        return Pace(ON_TRACK, elapsed, None, tuple(steps))
    ratio = progress / elapsed
    steps.append(
        Step(
            T_PACE_RATIO, {"progress": Pct(progress), "elapsed": Pct(elapsed), "ratio": Num2(ratio)}
        )
    )
    if ratio >= on_track:
        status, threshold, template = ON_TRACK, on_track, T_PACE_STATUS
    elif ratio >= at_risk:
        status, threshold, template = AT_RISK, at_risk, T_PACE_STATUS
    else:
        status, threshold, template = BEHIND, at_risk, T_PACE_BEHIND
    steps.append(
        Step(
            template, {"ratio": Num2(ratio), "threshold": Num2(threshold), "status": Label(status)}
        )
    )
    return Pace(status, elapsed, ratio, tuple(steps))


class Num2:
    """A ratio shown with two decimals."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return f"{Decimal(self.value).quantize(Decimal('0.01')):f}"
