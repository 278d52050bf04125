"""Reads of scorecards, always through the access layer, with constant query counts.

* ``grid(user=, plan=, department=)`` — the assignment grid: rows = the cards of the plan in
  the user's scope (optionally one department's subtree), columns = the plan's indicators those
  cards use or may use, cells = items; per-row category totals and problems. Queries: the
  cards, the indicators, the items (+ the scope), whatever the number of employees.
* ``card_detail(user=, card=)`` — a card's items, threads and the visibility of its score.
* ``my_cards(user=)`` / ``team_parts(user=)`` — the lists.

Score and grade are shown to the employee only once results are published
(``score_visible``); managers and the plan office see them from the evaluation on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from renshi.core import access
from renshi.org.models import Department
from renshi.org.scope import company_children, get_scope, subtree_ids

from . import services_cards as cards_services
from .models import (
    Category,
    ItemComment,
    Plan,
    PlanDepartment,
    PlanIndicator,
    Scorecard,
    ScorecardItem,
)
from .permissions import reads_all_plans

PUBLISHED = frozenset(
    {Scorecard.Status.PUBLISHED, Scorecard.Status.ACKNOWLEDGED, Scorecard.Status.APPEALED}
)
CARD_RELATED = ("plan", "employee", "department", "evaluator")


def score_visible(user: Any, card: Scorecard) -> bool:
    """The employee sees their score and grade once results are published; the others who
    may see the card see them as soon as they exist."""
    if cards_services.is_owner(user, card):
        return card.status in PUBLISHED
    return True


def card_queryset(user: Any, action: str = access.VIEW) -> QuerySet:
    return access.restrict(Scorecard, user, action).select_related(*CARD_RELATED)


def my_cards(*, user: Any) -> list[Scorecard]:
    employee_id = cards_services.actor_employee_id(user)
    if employee_id is None:
        return []
    return list(
        card_queryset(user).filter(employee_id=employee_id).order_by("-plan__period_start", "-id")
    )


@dataclass
class TeamPart:
    plan: Plan
    part: PlanDepartment
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0


def team_parts(*, user: Any) -> list[TeamPart]:
    """The plan departments in the user's department scope, with card counts per status
    (three queries)."""
    scope = get_scope(user)
    if not scope.department_ids:
        return []
    parts = list(
        access.restrict(PlanDepartment, user, access.VIEW)
        .filter(department_id__in=scope.department_ids)
        .select_related("plan", "department")
        .order_by("-plan__period_start", "department__name")
    )
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        access.restrict(Scorecard, user, access.VIEW)
        .filter(plan_id__in={p.plan_id for p in parts}, department_id__in=scope.department_ids)
        .values_list("plan_id", "department_id", "status")
    )
    for plan_id, department_id, status in rows:
        counts[(plan_id, department_id)][status] += 1
    out = []
    for part in parts:
        found = dict(counts[(part.plan_id, part.department_id)])
        out.append(TeamPart(part.plan, part, found, sum(found.values())))
    return out


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value.normalize():f}"


# --- the grid ----------------------------------------------------------------------------------


@dataclass
class Cell:
    indicator: PlanIndicator
    item: ScorecardItem | None
    applies: bool
    weight: str = ""
    target: str = ""
    actual: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def typed(self) -> bool:
        """Actuals mode: a cell whose actual is typed in (not a metric/goal, not a rating)."""
        return (
            self.item is not None
            and self.indicator.data_source == "manual"
            and not cards_services.is_rating(self.indicator)
        )

    @property
    def rated(self) -> bool:
        return cards_services.is_rating(self.indicator)


@dataclass
class Row:
    card: Scorecard
    cells: list[Cell]
    totals: dict[str, Decimal]
    bad: set[str]
    problems: list[str]
    editable: bool
    actuals_editable: bool
    changed: bool = False


@dataclass
class Grid:
    plan: Plan
    department: Department | None
    indicators: list[PlanIndicator]
    rows: list[Row]
    departments: list[Department]
    categories: list[tuple[str, Any]]
    parts: list[PlanDepartment]

    @property
    def editable(self) -> bool:
        return any(r.editable for r in self.rows)


def grid(*, user: Any, plan: Plan, department: Department | None = None) -> Grid:
    """Rows: every card of ``plan`` the user may see, of employees in the user's department
    scope (or all for the plan office), restricted to ``department``'s subtree when given."""
    scope = get_scope(user)
    cards = card_queryset(user).filter(plan_id=plan.pk)
    if not reads_all_plans(scope):
        cards = cards.filter(department_id__in=scope.department_ids)
    if department is not None:
        ids = subtree_ids(company_children(plan.company_id), {department.pk})
        cards = cards.filter(department_id__in=ids)
    cards = list(cards.order_by("department__name", "employee__employee_no", "id"))
    changeable = set(
        access.restrict(Scorecard.objects.filter(plan_id=plan.pk), user, access.CHANGE)
        .exclude(employee_id=scope.employee_id)
        .values_list("pk", flat=True)
    )
    indicators = list(
        PlanIndicator.objects.filter(plan_id=plan.pk).order_by("category", "order", "id")
    )
    items: dict[int, dict[int, ScorecardItem]] = defaultdict(dict)
    by_pk = {i.pk: i for i in indicators}
    for item in ScorecardItem.objects.filter(scorecard__in=[c.pk for c in cards]):
        item.indicator = by_pk[item.indicator_id]
        items[item.scorecard_id][item.indicator_id] = item
    departments = {c.department_id: c.department for c in cards}
    used = {ind_id for per in items.values() for ind_id in per}
    columns = [
        i
        for i in indicators
        if i.pk in used or i.department_id is None or i.department_id in departments
    ]
    rows = []
    for card in cards:
        card.plan = plan
        own = items[card.pk]
        cells = []
        for ind in columns:
            item = own.get(ind.pk)
            cells.append(
                Cell(
                    ind,
                    item,
                    ind.department_id in (None, card.department_id)
                    and ind.position_id in (None, card.employee.position_id),
                    weight=_plain(item.weight) if item else "",
                    target=_plain(item.target) if item else "",
                    actual=_plain(item.actual) if item else "",
                )
            )
        card_items = list(own.values())
        may_assign = card.pk in changeable
        totals = {Category.RESULTS: Decimal(0), Category.COMPETENCY: Decimal(0)}
        totals |= cards_services.category_totals(card_items)
        rows.append(
            Row(
                card=card,
                cells=cells,
                totals=totals,
                bad=set(cards_services.weight_problems(plan, card_items)),
                problems=cards_services.card_problems(card, card_items),
                editable=may_assign
                and plan.status in cards_services.ASSIGN_STAGES
                and card.status in cards_services.EDITABLE_CARDS,
                actuals_editable=card.status in cards_services.ACTUAL_CARDS
                and plan.status in cards_services.MANAGER_ACTUAL_STAGES
                and (may_assign or card.department_id in scope.department_ids),
            )
        )
    parts = list(
        PlanDepartment.objects.filter(
            plan_id=plan.pk, department_id__in=departments
        ).select_related("department")
    )
    return Grid(
        plan=plan,
        department=department,
        indicators=columns,
        rows=rows,
        departments=sorted(departments.values(), key=lambda d: d.name),
        categories=list(Category.choices),
        parts=parts,
    )


# --- one card -----------------------------------------------------------------------------------


@dataclass
class ItemView:
    item: ScorecardItem
    comments: list[ItemComment]
    rating_levels: list[tuple[int, str]]
    rated: bool
    typed: bool
    trace_lines: list[str]
    source_label: str = ""


SOURCE_LABELS = {
    "typed": gettext_lazy("typed in"),
    "metric": gettext_lazy("from a metric"),
    "goal": gettext_lazy("from a goal"),
    "import": gettext_lazy("imported"),
}


def _trace_lines(item: ScorecardItem) -> list[str]:
    trace = item.actual_trace or {}
    lines = []
    if trace.get("error"):
        lines.append(str(trace["error"]))
    if trace.get("source") == "metric":
        lines.extend(str(line) for line in trace.get("lines") or ())
    elif trace.get("source") == "goal":
        lines.append(f"{trace.get('title', '')}: {trace.get('value') or '—'}")
    elif trace.get("typed_by"):
        lines.append(f"{trace['typed_by']} · {trace.get('at', '')[:16]}")
    return lines


def card_items(*, user: Any, card: Scorecard) -> list[ItemView]:
    """The card's items with their threads (two queries)."""
    items = list(
        access.restrict(ScorecardItem, user, access.VIEW)
        .filter(scorecard_id=card.pk)
        .select_related("indicator", "goal")
        .order_by("indicator__category", "indicator__order", "indicator_id")
    )
    threads: dict[int, list[ItemComment]] = defaultdict(list)
    for comment in (
        access.restrict(ItemComment, user, access.VIEW)
        .filter(item__scorecard_id=card.pk)
        .select_related("author")
        .order_by("created_at", "id")
    ):
        threads[comment.item_id].append(comment)
    return [
        ItemView(
            item=item,
            comments=threads[item.pk],
            rating_levels=cards_services.rating_levels(item.indicator),
            rated=cards_services.is_rating(item.indicator),
            typed=item.indicator.data_source == "manual"
            and not cards_services.is_rating(item.indicator),
            trace_lines=_trace_lines(item),
            source_label=str(SOURCE_LABELS.get(item.actual_source, item.actual_source)),
        )
        for item in items
    ]
