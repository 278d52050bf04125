"""Reads of strategy maps and goal trees, with progress and pace (renshi.goals.progress).

Everything starts from ``access.restrict``: a tree holds only the goals the user may see
(objectives and department goals: everyone in the company; individual KPIs: whoever may see
the owner), and a roll-up combines the children the user can see. The number of queries never
depends on the number of goals.

Stable entry points used by the other goal pages:
* ``tree_progress(user=, strategy_map=, today=None, root=None, department=None) -> GoalTree``
* ``map_progress(user=, strategy_map=, today=None) -> dict[goal id, GoalNode]``
* ``goal_progress(user=, goal=, today=None) -> GoalNode | None``
* ``goal_chain(user=, goal=) -> list[Goal]`` / ``goal_chains(user=, goals=)``
* ``pace_thresholds(user=) -> (on_track, at_risk)``
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from renshi.alerts import pace as workdays
from renshi.alerts.selectors import company_calendar
from renshi.core import access
from renshi.metrics.models import Metric
from renshi.org.models import Department
from renshi.org.scope import company_children, subtree_ids

from . import progress as engine
from .models import CauseEffectLink, Goal, KeySuccessFactor, PaceSettings, Perspective, StrategyMap

# the columns a tree needs (no descriptions; owner and department names for the nodes)
TREE_FIELDS = (
    "id",
    "company_id",
    "strategy_map_id",
    "level",
    "parent_id",
    "perspective_id",
    "title",
    "department_id",
    "owner_id",
    "measure",
    "unit",
    "direction",
    "baseline",
    "target",
    "range_low",
    "range_high",
    "actual",
    "weight",
    "start_date",
    "deadline",
    "status",
    "version",
    "metric_key",
    "owner__id",
    "owner__name",
    "owner__department_id",
    "department__id",
    "department__name",
)


# --- pace thresholds ------------------------------------------------------------------------


def pace_settings_for(*, user: Any) -> PaceSettings | None:
    """The company's stored thresholds (None: the defaults apply)."""
    return access.restrict(PaceSettings, user, access.VIEW).first()


def pace_thresholds(*, user: Any) -> tuple[Decimal, Decimal]:
    settings = pace_settings_for(user=user)
    if settings is None:
        return engine.DEFAULT_ON_TRACK, engine.DEFAULT_AT_RISK
    return settings.on_track, settings.at_risk


# --- trees with progress --------------------------------------------------------------------


@dataclass(slots=True)
class GoalNode:
    """A goal with its computed progress and pace, and its visible children.

    ``own``: from its own measure; ``from_children``: the weighted, capped roll-up of its
    visible children (None for a leaf); ``progress``: what the goal shows (own measure wins,
    else the roll-up); ``pace``: against the elapsed share of its period. Each has ``trace``."""

    goal: Goal
    id: int
    parent_id: int | None
    weight: Decimal
    measured: bool
    title: str
    own: engine.Progress
    counts: bool = True  # approved (active or closed): counts in its parent's roll-up
    from_children: engine.Progress | None = None
    progress: engine.Progress | None = None
    pace: engine.Pace | None = None
    children: list[GoalNode] | tuple = ()
    depth: int = 0

    @property
    def pk(self) -> int:
        return self.id

    @property
    def has_children(self) -> bool:
        return bool(self.children)


@dataclass
class GoalTree:
    strategy_map: StrategyMap
    roots: list[GoalNode]
    nodes: dict[int, GoalNode]
    today: datetime.date
    on_track: Decimal
    at_risk: Decimal

    def walk(self) -> list[GoalNode]:
        """Every node under the roots, depth first (the order of a table of the tree)."""
        out: list[GoalNode] = []
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


def visible_goals(*, user: Any, strategy_map: StrategyMap) -> QuerySet:
    """The goals of a map the user may see, with owner and department (one query)."""
    return (
        access.restrict(Goal, user, access.VIEW)
        .filter(strategy_map_id=strategy_map.pk)
        .select_related("owner", "department")
        .only(*TREE_FIELDS)
        .order_by("id")
    )


# proposals (proposed, returned) show their own progress but do not move their parent's
COUNTED_STATUSES = frozenset({Goal.Status.ACTIVE, Goal.Status.CLOSED})


def metric_curves(company_id: int) -> dict[str, list]:
    """Seasonal curves of the company's metrics by key (one query); metric-fed goals pace
    along their metric's curve."""
    rows = Metric.objects.filter(company_id=company_id).values_list("key", "pace_curve")
    return {key: curve for key, curve in rows if curve}


def pace_inputs(company_id: int) -> tuple[workdays.WorkCalendar, dict[str, list]]:
    """What pace needs besides the goals: the company's working-day calendar and the metrics'
    seasonal curves (two queries)."""
    return company_calendar(company_id), metric_curves(company_id)


def goal_share(
    goal: Any,
    today: datetime.date,
    calendar: workdays.WorkCalendar,
    curves: dict[str, list] | None = None,
) -> workdays.Share:
    """The elapsed share of a goal's period in working days (along its metric's curve when a
    metric with one feeds it): the one pages and alerts both use."""
    curve = curves.get(goal.metric_key) if curves and goal.metric_key else None
    return workdays.elapsed_share(
        goal.start_date, goal.deadline, today, calendar=calendar, curve=curve
    )


def compute_nodes(
    goals: Iterable[Goal],
    *,
    today: datetime.date,
    on_track: Decimal = engine.DEFAULT_ON_TRACK,
    at_risk: Decimal = engine.DEFAULT_AT_RISK,
    calendar: workdays.WorkCalendar | None = None,
    curves: dict[str, list] | None = None,
) -> dict[int, GoalNode]:
    """Progress and pace of already loaded goals (no queries): the roll-up runs over the
    parent links among ``goals``; a goal whose parent is not among them is a root.
    With a ``calendar`` the pace counts working days (``goal_share``); without one, calendar
    days (the engine's default)."""
    own_progress, is_measured, pace = engine.goal_own_progress, engine.is_measured, engine.pace
    counted = COUNTED_STATUSES
    nodes = [
        GoalNode(
            g,
            g.pk,
            g.parent_id,
            g.weight,
            is_measured(g),
            g.title,
            own_progress(g),
            g.status in counted,
        )
        for g in goals
    ]
    by_id = engine.rollup(nodes)
    for node in nodes:
        g = node.goal
        share = None if calendar is None else goal_share(g, today, calendar, curves)
        node.pace = pace(
            progress=node.progress.value,
            start=g.start_date,
            deadline=g.deadline,
            today=today,
            on_track=on_track,
            at_risk=at_risk,
            share=None if share is None else share.value,
            share_trace=None if share is None else share.trace,
        )
    return by_id


LEVEL_ORDER = {Goal.Level.COMPANY: 0, Goal.Level.DEPARTMENT: 1, Goal.Level.INDIVIDUAL: 2}


def _sort_key(node: GoalNode):
    g = node.goal
    perspective = g.perspective_id or 0
    return (LEVEL_ORDER.get(g.level, 9), perspective, g.pk)


def tree_progress(
    *,
    user: Any,
    strategy_map: StrategyMap,
    today: datetime.date | None = None,
    root: Goal | int | None = None,
    department: Department | None = None,
) -> GoalTree:
    """The alignment tree of a map as the user may see it, with progress and pace.

    ``root``: only that goal's subtree (drill down). ``department``: only goals of that
    department and its subtree (department goals by department, individual goals by their
    department or their owner's), shown as a forest; the figures stay those of the whole
    visible tree. Queries: the user's scope (cached), the thresholds, the goals, the
    company's calendar (pace in working days), the metrics' curves when a goal is metric-fed;
    with a department filter one more (the department tree)."""
    today = today or timezone.localdate()
    on_track, at_risk = pace_thresholds(user=user)
    goals = list(visible_goals(user=user, strategy_map=strategy_map))
    calendar = company_calendar(strategy_map.company_id)
    curves = metric_curves(strategy_map.company_id) if any(g.metric_key for g in goals) else {}
    nodes = compute_nodes(
        goals, today=today, on_track=on_track, at_risk=at_risk, calendar=calendar, curves=curves
    )
    for node in nodes.values():
        if node.children:
            node.children.sort(key=_sort_key)
    if root is not None:
        root_id = root if isinstance(root, int) else root.pk
        roots = [nodes[root_id]] if root_id in nodes else []
    else:
        roots = [n for n in nodes.values() if n.goal.parent_id not in nodes]
    if department is not None:
        allowed = subtree_ids(company_children(department.company_id), {department.pk})

        def inside(node: GoalNode) -> bool:
            g = node.goal
            dept = g.department_id or (g.owner.department_id if g.owner_id else None)
            return dept in allowed

        kept: list[GoalNode] = []
        stack = list(roots)
        while stack:
            node = stack.pop()
            if inside(node):
                kept.append(node)  # with its whole subtree below
            else:
                stack.extend(node.children)
        roots = kept
    roots.sort(key=_sort_key)
    # depths below the shown roots
    stack = [(r, 0) for r in roots]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        stack.extend((c, depth + 1) for c in node.children)
    return GoalTree(strategy_map, roots, nodes, today, on_track, at_risk)


def map_progress(
    *, user: Any, strategy_map: StrategyMap, today: datetime.date | None = None
) -> dict[int, GoalNode]:
    """Progress and pace of every visible goal of a map, by goal id."""
    return tree_progress(user=user, strategy_map=strategy_map, today=today).nodes


def goal_progress(*, user: Any, goal: Goal, today: datetime.date | None = None) -> GoalNode | None:
    """One goal's node (progress, pace, visible children) computed in its map's tree."""
    return map_progress(user=user, strategy_map=goal.strategy_map, today=today).get(goal.pk)


# --- chains (a KPI up to the strategic objective) --------------------------------------------


def goal_chains(*, user: Any, goals: Iterable[Goal]) -> dict[int, list[Goal]]:
    """For each goal: the chain of goals it serves, from the top objective down to the goal
    itself (last). The chain stops below the first ancestor the user may not see.
    One query for any number of goals (the visible goals of their maps)."""
    goals = list(goals)
    if not goals:
        return {}
    map_ids = {g.strategy_map_id for g in goals}
    visible = {
        g.pk: g
        for g in access.restrict(Goal, user, access.VIEW)
        .filter(strategy_map_id__in=map_ids)
        .select_related("owner", "department")
        .only(*TREE_FIELDS)
    }
    chains: dict[int, list[Goal]] = {}
    for goal in goals:
        chain = [visible.get(goal.pk, goal)]
        seen = {goal.pk}
        parent_id = goal.parent_id
        while parent_id is not None and parent_id in visible and parent_id not in seen:
            seen.add(parent_id)
            parent = visible[parent_id]
            chain.append(parent)
            parent_id = parent.parent_id
        chains[goal.pk] = list(reversed(chain))
    return chains


def goal_chain(*, user: Any, goal: Goal) -> list[Goal]:
    """The goals ``goal`` serves, top objective first, ending with ``goal``."""
    return goal_chains(user=user, goals=[goal])[goal.pk]


# --- maps -----------------------------------------------------------------------------------


def map_list(*, user: Any) -> QuerySet:
    return access.restrict(StrategyMap, user, access.VIEW).order_by("-period_start", "name")


@dataclass
class Lane:
    perspective: Perspective | None
    cards: list[GoalNode]


@dataclass
class MapBoard:
    """A strategy map as lanes of objective cards (financial on top) and its arrows."""

    strategy_map: StrategyMap
    lanes: list[Lane]
    links: list[CauseEffectLink]
    nodes: dict[int, GoalNode]
    today: datetime.date

    @property
    def objectives(self) -> list[GoalNode]:
        return [card for lane in self.lanes for card in lane.cards]


def map_board(
    *, user: Any, strategy_map: StrategyMap, today: datetime.date | None = None
) -> MapBoard:
    """Lanes (BSC perspectives ordered financial → learning; one lane without a perspective
    in OKR mode or for objectives not placed yet), objective cards with progress and pace,
    cause-and-effect links between visible objectives, key success factors prefetched."""
    tree = tree_progress(user=user, strategy_map=strategy_map, today=today)
    objective_ids = [pk for pk, node in tree.nodes.items() if node.goal.level == Goal.Level.COMPANY]
    factors: dict[int, list[KeySuccessFactor]] = defaultdict(list)
    for f in access.restrict(KeySuccessFactor, user, access.VIEW).filter(goal_id__in=objective_ids):
        factors[f.goal_id].append(f)
    perspectives = list(
        access.restrict(Perspective, user, access.VIEW)
        .filter(strategy_map_id=strategy_map.pk)
        .order_by("order")
    )
    lanes = [Lane(p, []) for p in perspectives]
    by_perspective = {lane.perspective.pk: lane for lane in lanes}
    unplaced = Lane(None, [])
    for pk in sorted(objective_ids):
        node = tree.nodes[pk]
        node.goal.success_factor_list = factors.get(pk, [])
        lane = by_perspective.get(node.goal.perspective_id, unplaced)
        lane.cards.append(node)
    if unplaced.cards or not lanes:
        lanes.append(unplaced)
    links = [
        link
        for link in access.restrict(CauseEffectLink, user, access.VIEW)
        .filter(strategy_map_id=strategy_map.pk)
        .order_by("id")
        if link.cause_id in tree.nodes and link.effect_id in tree.nodes
    ]
    for link in links:
        link.cause_node = tree.nodes[link.cause_id]
        link.effect_node = tree.nodes[link.effect_id]
    return MapBoard(strategy_map, lanes, links, tree.nodes, tree.today)


def map_perspectives(*, user: Any, strategy_map: StrategyMap) -> QuerySet:
    return (
        access.restrict(Perspective, user, access.VIEW)
        .filter(strategy_map_id=strategy_map.pk)
        .order_by("order")
    )


def map_objectives(*, user: Any, strategy_map: StrategyMap) -> QuerySet:
    return (
        access.restrict(Goal, user, access.VIEW)
        .filter(strategy_map_id=strategy_map.pk, level=Goal.Level.COMPANY)
        .select_related("perspective")
        .order_by("perspective__order", "id")
    )


def tree_departments(*, user: Any) -> QuerySet:
    """Departments offered by the tree's filter: those the user may see."""
    return access.restrict(Department, user, access.VIEW).order_by("sort_order", "code")
