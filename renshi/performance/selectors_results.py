"""Reads of the results part: the results of a plan in the viewer's scope, the distribution
against the forced-distribution quotas, outcomes, the promotion list, the employee's report.

Every read starts from ``access.restrict``; a results page costs a constant number of queries
whatever the number of employees (cards with employee and department in one query; the
distribution, outcomes and promotion list are computed from those rows in Python).

Scope of the results page: GM, HR VP and performance manager — the whole plan; VPs — their
departments; department heads — their team. While the plan is in calibration nobody sees
their own card there (the result is not published yet).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renshi.core import access
from renshi.core.models import AuditLog
from renshi.org.scope import get_scope

from . import scoring, services_scoring
from .models import Appeal, ImprovementPlan, Plan, Scorecard, ScorecardItem
from .permissions import reads_all_plans
from .services_results import (
    PUBLISHED_CARD_STATUSES,
    RESULT_PLAN_STATUSES,
    appeal_deadline,
    below_pass,
    is_own,
    may_calibrate,
    may_handle_appeal,
    may_plan_improvement,
)

P, S = Plan.Status, Scorecard.Status
SORTS = {
    "name": _("Name"),
    "department": _("Department"),
    "score": _("Score"),
    "grade": pgettext_lazy("performance", "Grade"),
}
ROW_FIELDS = (
    "id",
    "company_id",
    "plan_id",
    "status",
    "score",
    "grade",
    "complete",
    "calibrated_grade",
    "calibration_reason",
    "calibrated_by",
    "employee",
    "department",
    "published_at",
    "acknowledged_at",
    "version",
    "employee__id",
    "employee__name",
    "employee__employee_no",
    "employee__user_id",
    "department__id",
    "department__name",
)


# --- plans --------------------------------------------------------------------------------------


def results_plans(*, user: Any):
    """Plans whose results the user may look at (calibration, published, closed)."""
    return (
        access.restrict(Plan, user)
        .filter(status__in=RESULT_PLAN_STATUSES)
        .order_by("-period_start", "name")
    )


def results_plan(*, user: Any, pk: int) -> Plan:
    """A plan for its results page: 404 out of scope or not at the results stages, 403 for
    people without a management scope."""
    plan = access.get_object_or_404(Plan, user, access.VIEW, pk=pk)
    if not access.has_perm(user, "performance.view_results"):
        raise PermissionDenied
    if plan.status not in RESULT_PLAN_STATUSES:
        raise Http404
    return plan


# --- grades, outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    key: str
    label: str
    lower: Decimal


def plan_grades(plan: Plan) -> list[Grade]:
    """Best first."""
    bands = sorted(services_scoring.plan_grades(plan), key=lambda b: b.lower, reverse=True)
    return [Grade(b.key, b.label, b.lower) for b in bands]


def plan_outcomes(plan: Plan) -> dict[str, scoring.Outcome]:
    """The plan's outcome table (grade → pay raise %, bonus coefficient), the default one when
    the plan sets none. Malformed rows are left out."""
    table = plan.outcomes or {}
    if not table:
        return dict(scoring.DEFAULT_OUTCOMES)
    found = {}
    for key, row in table.items():
        try:
            found[key] = scoring.Outcome(
                key, Decimal(str(row.get("raise", 0))), Decimal(str(row.get("bonus", 0)))
            )
        except (InvalidOperation, AttributeError, TypeError, ValueError):
            continue
    return found


# --- rows ---------------------------------------------------------------------------------------


@dataclass
class ResultRow:
    card: Scorecard
    grade_label: str
    computed_label: str
    outcome: scoring.Outcome | None
    over_quota: bool = False

    @property
    def final_grade(self) -> str:
        return self.card.final_grade


def scoped_cards(*, user: Any, plan: Plan):
    """The plan's scorecards in the viewer's results scope (see the module docstring)."""
    scope = get_scope(user)
    cards = access.restrict(Scorecard, user).filter(plan_id=plan.pk)
    if not reads_all_plans(scope):
        cards = cards.filter(department_id__in=scope.department_ids)
    if plan.status == P.CALIBRATION and scope.employee_id:
        cards = cards.exclude(employee_id=scope.employee_id)
    return cards


def _sort_key(sort: str, order: dict[str, int]):
    if sort == "name":
        return lambda r: (r.card.employee.name, r.card.pk)
    if sort == "department":
        return lambda r: (r.card.department.name, r.card.employee.name)
    if sort == "grade":
        return lambda r: (order.get(r.final_grade, 99), -(r.card.score or 0), r.card.pk)
    return lambda r: (-(r.card.score if r.card.score is not None else Decimal(-1)), r.card.pk)


def result_rows(*, user: Any, plan: Plan, sort: str = "score") -> list[ResultRow]:
    """The scoped cards with their grade labels and outcome, sorted (name, department, score —
    highest first —, grade). One query."""
    grades = plan_grades(plan)
    labels = {g.key: g.label for g in grades}
    order = {g.key: i for i, g in enumerate(grades)}
    outcomes = plan_outcomes(plan)
    cards = (
        scoped_cards(user=user, plan=plan)
        .select_related("employee", "department")
        .only(*ROW_FIELDS)
    )
    rows = [
        ResultRow(
            card=c,
            grade_label=labels.get(c.final_grade, c.final_grade or "—"),
            computed_label=labels.get(c.grade, c.grade or "—"),
            outcome=outcomes.get(c.final_grade),
        )
        for c in cards
    ]
    rows.sort(key=_sort_key(sort if sort in SORTS else "score", order))
    return rows


# --- distribution against the quotas ------------------------------------------------------------


@dataclass
class GradeCount:
    grade: Grade
    before: int
    after: int
    share: Decimal | None = None
    seats: int | None = None

    @property
    def over(self) -> bool:
        return self.seats is not None and self.after > self.seats


@dataclass
class Distribution:
    label: str
    size: int
    counts: list[GradeCount] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def over_quota(self) -> bool:
        return any(c.over for c in self.counts)

    @property
    def small_group(self) -> bool:
        return "small_group" in self.warnings


def plan_shares(plan: Plan) -> dict[str, Decimal]:
    """The plan's forced-distribution shares in grade order (empty: no forced distribution)."""
    raw = plan.distribution or {}
    shares = {}
    for grade in plan_grades(plan):
        if grade.key in raw and raw[grade.key] not in (None, ""):
            try:
                shares[grade.key] = Decimal(str(raw[grade.key]))
            except InvalidOperation:
                continue
    if not shares or sum(shares.values()) <= 0:
        return {}
    return shares


def _distribution(label: str, cards: list[Scorecard], plan: Plan) -> Distribution:
    grades = plan_grades(plan)
    before = Counter(c.grade for c in cards if c.grade)
    after = Counter(c.final_grade for c in cards if c.final_grade)
    result = Distribution(label=label, size=len(cards))
    shares = plan_shares(plan)
    quotas = {}
    if shares and cards:
        found, warnings = scoring.forced_distribution(len(cards), shares)
        quotas = {q.grade: q for q in found}
        result.warnings = warnings
    for grade in grades:
        quota = quotas.get(grade.key)
        result.counts.append(
            GradeCount(
                grade=grade,
                before=before.get(grade.key, 0),
                after=after.get(grade.key, 0),
                share=shares.get(grade.key),
                seats=quota.seats if quota else None,
            )
        )
    return result


def distributions(plan: Plan, rows: list[ResultRow]) -> tuple[Distribution, list[Distribution]]:
    """The distribution of the whole (scoped) plan and of each department: counts per grade
    before and after calibration against the quota seats (largest remainder)."""
    cards = [r.card for r in rows]
    by_department: dict[int, list[Scorecard]] = {}
    names: dict[int, str] = {}
    for card in cards:
        by_department.setdefault(card.department_id, []).append(card)
        names[card.department_id] = card.department.name
    overall = _distribution(str(_("Whole plan")), cards, plan)
    ordered = sorted(by_department, key=lambda pk: names[pk])
    departments = [_distribution(names[pk], by_department[pk], plan) for pk in ordered]
    over = {
        (pk, c.grade.key)
        for pk, dist in zip(ordered, departments, strict=True)
        for c in dist.counts
        if c.over
    }
    for row in rows:
        row.over_quota = (row.card.department_id, row.final_grade) in over
    return overall, departments


def chart_data(overall: Distribution) -> dict[str, Any]:
    """The distribution chart's data (ECharts reads it from a JSON script block)."""
    return {
        "grades": [c.grade.label for c in overall.counts],
        "before": [c.before for c in overall.counts],
        "after": [c.after for c in overall.counts],
        "quota": [c.seats for c in overall.counts],
        "labels": {
            "before": str(_("Before calibration")),
            "after": str(_("After calibration")),
            "quota": str(_("Quota")),
        },
    }


# --- promotion list -----------------------------------------------------------------------------


@dataclass
class Promotion:
    row: ResultRow
    trace: list[str]


def promotion_list(
    *, plan: Plan, rows: list[ResultRow], min_score: Decimal | None = None
) -> list[Promotion]:
    """Promotion recommendations: the top grade (after calibration), or everyone at or above
    ``min_score`` when given; each with the trace of their score (one query for the traces)."""
    grades = plan_grades(plan)
    top = grades[0].key if grades else "excellent"
    if min_score is None:
        chosen = [r for r in rows if r.final_grade == top]
    else:
        chosen = [r for r in rows if r.card.score is not None and r.card.score >= min_score]
    chosen.sort(key=lambda r: (-(r.card.score or 0), r.card.pk))
    traces = dict(
        Scorecard.objects.filter(pk__in=[r.card.pk for r in chosen]).values_list("pk", "trace")
    )
    return [
        Promotion(row=r, trace=scoring.render(scoring.stored_lines(traces.get(r.card.pk))))
        for r in chosen
    ]


# --- the employee's report ----------------------------------------------------------------------


def report_card(*, user: Any, pk: int) -> Scorecard:
    """A scorecard for its report: 404 out of scope. The employee reads their own once the
    results are published (403 before); managers with a results scope from calibration on."""
    card = access.get_object_or_404(
        Scorecard.objects.select_related("plan", "employee", "department", "calibrated_by"),
        user,
        access.VIEW,
        pk=pk,
    )
    plan = card.plan
    if is_own(user, card):
        if plan.status not in (P.PUBLISHED, P.CLOSED) or card.status not in (
            *PUBLISHED_CARD_STATUSES,
        ):
            raise PermissionDenied
        return card
    if not access.has_perm(user, "performance.view_results"):
        raise PermissionDenied
    scope = get_scope(user)
    if not reads_all_plans(scope) and card.department_id not in scope.department_ids:
        raise PermissionDenied
    if plan.status not in RESULT_PLAN_STATUSES:
        raise PermissionDenied
    return card


def _appeal_events(appeals: list[Appeal]) -> dict[int, dict]:
    if not appeals:
        return {}
    entries = AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Appeal),
        object_id__in=[str(a.pk) for a in appeals],
        action=AuditLog.Action.EVENT,
        message="appeal re-scored",
    ).order_by("timestamp", "id")
    return {int(e.object_id): e.changes for e in entries}


def report(*, user: Any, card: Scorecard) -> dict[str, Any]:
    """Everything the report shows: score, grade, per-indicator trace, comments, appeals (with
    the old and new score of a re-score), the improvement plan, outcome and earlier cycles."""
    plan = card.plan
    grades = plan_grades(plan)
    labels = {g.key: g.label for g in grades}
    items = list(
        ScorecardItem.objects.filter(scorecard_id=card.pk)
        .select_related("indicator")
        .order_by("indicator__category", "indicator__order", "id")
    )
    traced = {i.get("key"): i for i in scoring.stored_indicators(card.trace)}
    indicator_rows = []
    for item in items:
        found = traced.get(item.pk, {})
        indicator_rows.append(
            {
                "item": item,
                "score": found.get("score"),
                "points": found.get("points"),
                "missing": found.get("missing", False),
                "trace": scoring.render(scoring.indicator_lines(found)) if found else [],
            }
        )
    appeals = list(
        access.restrict(Appeal, user)
        .filter(scorecard_id=card.pk)
        .select_related("raised_by", "handled_by")
        .order_by("-created_at", "-id")
    )
    events = _appeal_events(appeals)
    for appeal in appeals:
        appeal.rescore = events.get(appeal.pk)
        appeal.may_handle = appeal.status == Appeal.Status.OPEN and may_handle_appeal(user, appeal)
    improvement = (
        access.restrict(ImprovementPlan, user)
        .filter(scorecard_id=card.pk)
        .select_related("created_by")
        .first()
    )
    history = list(
        access.restrict(Scorecard, user)
        .filter(employee_id=card.employee_id, plan__status__in=(P.PUBLISHED, P.CLOSED))
        .filter(status__in=PUBLISHED_CARD_STATUSES)
        .exclude(pk=card.pk)
        .select_related("plan")
        .only(
            "id", "score", "grade", "calibrated_grade", "status", "plan__name",
            "plan__period_start", "plan__period_end", "plan__grade_bands",
        )
        .order_by("-plan__period_start")[:8]
    )  # fmt: skip
    for old in history:
        old_labels = {g.key: g.label for g in plan_grades(old.plan)}
        old.grade_label = old_labels.get(old.final_grade, old.final_grade)
    own = is_own(user, card)
    published = plan.status == P.PUBLISHED
    deadline = appeal_deadline(plan)
    return {
        "card": card,
        "plan": plan,
        "grade_label": labels.get(card.final_grade, card.final_grade or "—"),
        "computed_label": labels.get(card.grade, card.grade or "—"),
        "calibrated": bool(card.calibrated_grade),
        "outcome": plan_outcomes(plan).get(card.final_grade),
        "subtotals": (card.trace or {}).get("subtotals", {}),
        "indicator_rows": indicator_rows,
        "trace": services_scoring.trace_lines(card),
        "appeals": appeals,
        "improvement": improvement,
        "history": history,
        "appeal_deadline": deadline,
        "is_own": own,
        "can_acknowledge": own and published and card.status == S.PUBLISHED,
        "can_appeal": own and published and card.status == S.PUBLISHED,
        "can_plan_improvement": published
        and card.status in PUBLISHED_CARD_STATUSES
        and below_pass(plan, card.final_grade)
        and may_plan_improvement(user, card),
        "below_pass": below_pass(plan, card.final_grade),
    }


# --- appeals ------------------------------------------------------------------------------------


def appeal_list(*, user: Any, status: str = ""):
    """Appeals the user may see, open first."""
    queryset = access.restrict(Appeal, user).select_related(
        "scorecard__employee", "scorecard__plan", "scorecard__department", "raised_by"
    )
    if status in Appeal.Status.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-status", "-created_at", "-id")


def appeal_detail(*, user: Any, pk: int) -> Appeal:
    appeal = access.get_object_or_404(
        Appeal.objects.select_related(
            "scorecard__plan", "scorecard__employee", "scorecard__department", "raised_by",
            "handled_by",
        ),
        user,
        access.VIEW,
        pk=pk,
    )  # fmt: skip
    if not access.has_perm(user, "performance.publish_results"):
        raise PermissionDenied
    return appeal


def calibration_allowed(user: Any, rows: list[ResultRow]) -> set[int]:
    """Ids of the rows' cards the user may calibrate."""
    return {r.card.pk for r in rows if may_calibrate(user, r.card)}
