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
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from renshi.core.numbers import Num, Pct, fmt_num, fmt_pct

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
ROLLUP_CAP = Decimal(1)  # a child counts at most 100 % in its parent's roll-up
DEFAULT_ON_TRACK = Decimal("0.9")
DEFAULT_AT_RISK = Decimal("0.7")

HIGHER, LOWER, RANGE = "higher", "lower", "range"


# --- numbers for display (renshi.core.numbers; re-exported for the goals app) --------------


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
T_ROLLUP_PROPOSAL = _("%(title)s is not approved yet; left out of the roll-up")
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


class Progress:
    """A progress value (fraction, uncapped; None = no progress) and how it was computed.

    ``trace`` is built when first read (``explain(argument)``): the engine computes 10,000
    values in a few dozen milliseconds and explains only the ones a page shows."""

    __slots__ = ("_argument", "_explain", "_trace", "value")

    def __init__(
        self, value: Decimal | None, trace: Iterable[Step] = (), explain=None, argument=None
    ):
        self.value = value
        self._explain = explain
        self._argument = argument
        self._trace: tuple[Step, ...] | None = None if explain is not None else tuple(trace)

    @property
    def trace(self) -> tuple[Step, ...]:
        if self._trace is None:
            self._trace = tuple(self._explain(self._argument))
            self._explain = self._argument = None
        return self._trace

    @property
    def percent(self) -> str:
        return fmt_pct(self.value)

    def trace_text(self) -> list[str]:
        return render_trace(self.trace)

    def __repr__(self) -> str:
        return f"Progress({self.value!r})"


NO_PROGRESS = Progress(None, ())


def _own(
    title: str,
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    actual: Decimal | None,
    low: Decimal | None,
    high: Decimal | None,
    steps: list[Step] | None,
) -> Decimal | None:
    """The own-progress rule; appends the explanation to ``steps`` unless it is None."""
    if actual is None:
        if steps is not None:
            steps.append(Step(T_NO_ACTUAL, {"title": title}))
        return None
    if direction == RANGE:
        return _range(title, actual, low, high, steps)
    if target is None:
        if steps is not None:
            steps.append(Step(T_NO_TARGET, {"title": title}))
        return None
    if baseline is None:
        if direction == LOWER:
            if steps is not None:
                steps.append(Step(T_LOWER_NEEDS_BASELINE, {"title": title}))
            return None
        baseline = ZERO
        if steps is not None:
            steps.append(Step(T_NO_BASELINE, {"title": title}))
    span = target - baseline
    if span == 0:
        met = actual <= target if direction == LOWER else actual >= target
        if steps is not None:
            template = T_FLAT_MET if met else T_FLAT_MISSED
            params = {"title": title, "target": Num(target), "actual": Num(actual)}
            steps.append(Step(template, params))
        return ONE if met else ZERO
    value = (actual - baseline) / span
    if steps is not None:
        params = {"title": title, "actual": Num(actual), "baseline": Num(baseline)}
        params.update(target=Num(target), result=Pct(value))
        steps.append(Step(T_MEASURED, params))
    return value


def _range(
    title: str,
    actual: Decimal,
    low: Decimal | None,
    high: Decimal | None,
    steps: list[Step] | None,
) -> Decimal | None:
    if low is None or high is None:
        if steps is not None:
            steps.append(Step(T_NO_RANGE, {"title": title}))
        return None
    if low > high:
        value, template = None, T_BAD_RANGE
    elif low <= actual <= high:
        value, template = ONE, T_IN_RANGE
    elif high == low:
        value, template = ZERO, T_POINT_RANGE
    else:
        width = high - low
        distance = low - actual if actual < low else actual - high
        value = max(ZERO, ONE - distance / width)
        template = T_OUT_RANGE
    if steps is not None:
        params = {"title": title, "actual": Num(actual), "low": Num(low), "high": Num(high)}
        if template is T_OUT_RANGE:
            params.update(distance=Num(distance), width=Num(width), result=Pct(value))
        steps.append(Step(template, params))
    return value


def _own_steps(args: tuple) -> list[Step]:
    steps: list[Step] = []
    _own(*args, steps)
    return steps


def _goal_steps(goal: Any) -> list[Step]:
    steps: list[Step] = []
    _own(
        goal.title,
        goal.direction,
        goal.baseline,
        goal.target,
        goal.actual,
        goal.range_low,
        goal.range_high,
        steps,
    )
    return steps


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
    args = (title, direction, baseline, target, actual, range_low, range_high)
    return Progress(_own(*args, None), explain=_own_steps, argument=args)


def goal_own_progress(goal: Any) -> Progress:
    """``own_progress`` of anything with a Goal's fields (a model instance or a row)."""
    value = _own(
        goal.title,
        goal.direction,
        goal.baseline,
        goal.target,
        goal.actual,
        goal.range_low,
        goal.range_high,
        None,
    )
    return Progress(value, explain=_goal_steps, argument=goal)


def is_measured(goal: Any) -> bool:
    """Has its own measure to compute progress from (an actual and a target or a range)."""
    if goal.actual is None:
        return False
    if goal.direction == RANGE:
        return goal.range_low is not None and goal.range_high is not None
    return goal.target is not None


# --- roll-up --------------------------------------------------------------------------------


LEAF: tuple = ()  # the children of a leaf (shared, never modified)


@dataclass(slots=True)
class RollupInput:
    """One goal of a tree: its id, its parent's id (None or an id outside the set = a root),
    its weight in the parent's roll-up, its own progress and whether it has its own measure.

    ``rollup`` fills in the rest (any object with these attributes will do; the selectors'
    GoalNode is one):
    * ``from_children`` — the weighted, capped roll-up of its children (None for a leaf);
    * ``progress`` — the goal's displayed progress: its own measure when it has one (the
      measured actual wins), otherwise ``from_children``. Uncapped;
    * ``children`` — the child nodes."""

    id: int
    parent_id: int | None
    weight: Decimal
    own: Progress
    measured: bool
    title: str = ""
    counts: bool = True  # False: a proposal not yet approved, left out of its parent's roll-up
    from_children: Progress | None = None
    progress: Progress | None = None
    children: list | tuple = LEAF


def rollup(nodes: Iterable[Any], *, cap: Decimal = ROLLUP_CAP) -> dict[int, Any]:
    """Roll progress up a forest (docs/goals.md, "Roll-up"); returns the nodes by id.

    parent = Σ(weight × clamp(child progress, 0, cap)) / Σ weight over the children that have
    progress; weights need not add up to 1; a zero total weight gives no progress. A child's
    value in the roll-up is its displayed progress (own measure, else its own roll-up).
    Iterative and O(n): children are visited before parents in reverse breadth-first order.
    """
    by_id: dict[int, Any] = {}
    for node in nodes:
        node.children = LEAF
        by_id[node.id] = node
    roots = []
    for node in by_id.values():
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is None:
            roots.append(node)
        elif parent.children is LEAF:
            parent.children = [node]
        else:
            parent.children.append(node)
    order = []
    queue = deque(roots)
    while queue:
        node = queue.popleft()
        order.append(node)
        queue.extend(node.children)
    for node in reversed(order):
        if node.children:
            _combine(node, cap)
        else:
            node.from_children = None
            node.progress = node.own
    if len(order) != len(by_id):  # goals in a loop of parent links: own progress only
        reached = {node.id for node in order}
        for node in by_id.values():
            if node.id not in reached:
                node.children = LEAF
                node.from_children = None
                node.progress = Progress(node.own.value, explain=_cycle_steps, argument=node)
    return by_id


def _cycle_steps(node: Any) -> list[Step]:
    return [*node.own.trace, Step(T_CYCLE, {"title": node.title})]


def _combine(node: Any, cap: Decimal) -> None:
    total_weight = ZERO
    weighted = ZERO
    counted_any = False
    for kid in node.children:
        value = kid.progress.value
        if value is None or not kid.counts:
            continue
        counted_any = True
        if value > cap:
            value = cap
        elif value < ZERO:
            value = ZERO
        total_weight += kid.weight
        weighted += kid.weight * value
    value = weighted / total_weight if counted_any and total_weight != 0 else None
    from_children = Progress(value, explain=_combine_steps, argument=(node, cap))
    node.from_children = from_children
    if node.measured:
        node.progress = Progress(node.own.value, explain=_own_wins_steps, argument=node)
    elif value is None:
        node.progress = from_children
    else:
        node.progress = Progress(value, explain=_from_children_steps, argument=node)


def _combine_steps(argument: tuple) -> list[Step]:
    node, cap = argument
    pairs: list[tuple[Decimal, Decimal]] = []
    steps: list[Step] = []
    total_weight = ZERO
    for kid in node.children:
        value = kid.progress.value
        if not kid.counts:
            steps.append(Step(T_ROLLUP_PROPOSAL, {"title": kid.title}))
            continue
        if value is None:
            continue
        counted = value
        if value > cap:
            counted = cap
            params = {"title": kid.title, "capped": Pct(cap), "value": Pct(value)}
            steps.append(Step(T_ROLLUP_CAPPED, params))
        elif value < ZERO:
            counted = ZERO
            steps.append(Step(T_ROLLUP_FLOORED, {"title": kid.title, "value": Pct(value)}))
        pairs.append((kid.weight, counted))
        total_weight += kid.weight
    if not pairs:
        return [*steps, Step(T_ROLLUP_NONE)]
    if total_weight == 0:
        steps.append(Step(T_ROLLUP_ZERO_WEIGHT))
        return steps
    result = node.from_children.value
    params = {"terms": Terms(pairs), "total": Num(total_weight), "result": Pct(result)}
    steps.append(Step(T_ROLLUP, params))
    return steps


def _own_wins_steps(node: Any) -> list[Step]:
    params = {
        "title": node.title,
        "own": Pct(node.own.value),
        "children": Pct(node.from_children.value),
    }
    return [*node.own.trace, Step(T_OWN_WINS, params)]


def _from_children_steps(node: Any) -> list[Step]:
    params = {"title": node.title, "result": Pct(node.from_children.value)}
    return [*node.from_children.trace, Step(T_FROM_CHILDREN, params)]


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


class Pace:
    """A pace status with the elapsed share and the ratio; ``trace`` built when first read."""

    __slots__ = (
        "_trace",
        "at_risk",
        "deadline",
        "elapsed",
        "elapsed_trace",
        "on_track",
        "progress",
        "ratio",
        "start",
        "status",
        "today",
    )

    def __init__(
        self,
        status,
        elapsed,
        ratio,
        progress,
        start,
        deadline,
        today,
        on_track,
        at_risk,
        elapsed_trace=None,
    ):
        self.elapsed_trace = elapsed_trace
        self.status = status
        self.elapsed = elapsed
        self.ratio = ratio
        self.progress = progress
        self.start = start
        self.deadline = deadline
        self.today = today
        self.on_track = on_track
        self.at_risk = at_risk
        self._trace = None

    @property
    def trace(self) -> tuple[Step, ...]:
        if self._trace is None:
            self._trace = tuple(_pace_steps(self))
        return self._trace

    @property
    def label(self):
        return PACE_LABELS[self.status]

    @property
    def colour(self) -> str:
        return PACE_COLOURS[self.status]

    def trace_text(self) -> list[str]:
        return render_trace(self.trace)

    def __repr__(self) -> str:
        return f"Pace({self.status!r})"


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


def _status(
    progress: Decimal | None,
    start: datetime.date,
    deadline: datetime.date,
    today: datetime.date,
    on_track: Decimal,
    at_risk: Decimal,
    share: Decimal | None = None,
) -> tuple[str, Decimal | None, Decimal | None]:
    if today < start:
        return NOT_STARTED, None, None
    if progress is None:
        return NO_DATA, None, None
    if progress >= ONE:
        return DONE, None, None
    elapsed = elapsed_share(start, deadline, today) if share is None else share
    if elapsed == 0:
        return ON_TRACK, elapsed, None
    ratio = progress / elapsed
    if ratio >= on_track:
        return ON_TRACK, elapsed, ratio
    if ratio >= at_risk:
        return AT_RISK, elapsed, ratio
    return BEHIND, elapsed, ratio


def _pace_steps(pace: Pace) -> list[Step]:
    status, progress, elapsed, ratio = pace.status, pace.progress, pace.elapsed, pace.ratio
    start, deadline, today = pace.start, pace.deadline, pace.today
    if status == NOT_STARTED:
        return [Step(T_PACE_NOT_STARTED, {"start": start, "today": today})]
    if status == NO_DATA:
        return [Step(T_PACE_NO_DATA)]
    if status == DONE:
        return [Step(T_PACE_DONE, {"progress": Pct(progress)})]
    if pace.elapsed_trace is not None:  # a working-day share computed by the caller
        steps = list(pace.elapsed_trace)
        if ratio is None:
            steps.append(Step(T_PACE_AT_START))
            return steps
        return _ratio_steps(pace, steps)
    period = max((deadline - start).days, 0)
    steps = [
        Step(
            T_PACE_ELAPSED,
            {
                "today": today,
                "start": start,
                "deadline": deadline,
                "days": min(max((today - start).days, 0), period),
                "period": period,
                "elapsed": Pct(elapsed),
            },
        )
    ]
    if ratio is None:
        steps.append(Step(T_PACE_AT_START))
        return steps
    return _ratio_steps(pace, steps)


def _ratio_steps(pace: Pace, steps: list) -> list:
    status, progress, elapsed, ratio = pace.status, pace.progress, pace.elapsed, pace.ratio
    steps.append(
        Step(
            T_PACE_RATIO, {"progress": Pct(progress), "elapsed": Pct(elapsed), "ratio": Num2(ratio)}
        )
    )
    if status == ON_TRACK:
        threshold, template = pace.on_track, T_PACE_STATUS
    elif status == AT_RISK:
        threshold, template = pace.at_risk, T_PACE_STATUS
    else:
        threshold, template = pace.at_risk, T_PACE_BEHIND
    params = {"ratio": Num2(ratio), "threshold": Num2(threshold), "status": Label(status)}
    steps.append(Step(template, params))
    return steps


def pace(
    *,
    progress: Decimal | None,
    start: datetime.date,
    deadline: datetime.date,
    today: datetime.date,
    on_track: Decimal = DEFAULT_ON_TRACK,
    at_risk: Decimal = DEFAULT_AT_RISK,
    share: Decimal | None = None,
    share_trace: Iterable[Any] | None = None,
) -> Pace:
    """The pace status of a goal (docs/goals.md, "Pace").

    Before the start: not started. No progress: no data. Progress ≥ 100 %: done. Otherwise
    ratio = progress ÷ elapsed share; on track if ratio ≥ on_track, at risk if ≥ at_risk,
    else behind. At the very start (elapsed 0) a goal is on track.

    ``share``/``share_trace``: the elapsed share and its explanation when the caller computed
    it (the pages pass the working-day share of ``renshi.alerts.pace`` with the company's
    calendar); without them the share is in calendar days (``elapsed_share``).
    """
    status, elapsed, ratio = _status(progress, start, deadline, today, on_track, at_risk, share)
    trace = None if share is None else tuple(share_trace or ())
    return Pace(status, elapsed, ratio, progress, start, deadline, today, on_track, at_risk, trace)


class Num2:
    """A ratio shown with two decimals."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return f"{Decimal(self.value).quantize(Decimal('0.01')):f}"
