"""Computed actuals of scorecard items, with their lineage in ``ScorecardItem.actual_trace``.

* ``data_source == "metric"``: the item's actual is the aggregate of the indicator's metric
  (``renshi.metrics.selectors.metric_aggregates``) for the card's employee over the plan period
  up to today (``period_start .. min(period_end, today)``). The trace records the metric, its
  aggregation, the period, the value, the number of points and the points used (id, date,
  value, source, received_at, batch; at most ``LINEAGE_LIMIT``) — like goals/actuals.py. A
  metric that does not measure employees, or an unknown/inactive one, leaves the actual
  untouched and says so in the trace.
* ``data_source == "goal"``: the actual of the goal the item links (``ScorecardItem.goal``),
  with the goal's id, title, actual time and the goal's own trace when a metric feeds it.

Recomputed for items of plans from ``assigning`` to ``manager_eval`` whose card is not yet
evaluated: on ``metrics.signals.points_ingested`` (the touched employees only, in bulk), hourly
(``tasks.scorecard_actuals_refresh_all``) and when a goal is linked. Bulk writes (one
bulk update, one bulk audit; item versions bump, card versions do not — nobody types these).

Also registers the plans' periods as collection periods of the metrics app (points dated in a
plan's period are accepted).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import context
from renshi.core.audit import audit_bulk, snapshot
from renshi.core.models import AuditLog
from renshi.goals.models import Goal
from renshi.metrics.models import Metric, SubjectKind
from renshi.metrics.periods import register_period_provider
from renshi.metrics.selectors import LINEAGE_LIMIT, lineage_points, metric_aggregates
from renshi.metrics.signals import points_ingested

from .models import DataSource, Plan, Scorecard, ScorecardItem

LIVE_PLANS = (
    Plan.Status.ASSIGNING,
    Plan.Status.TRACKING,
    Plan.Status.SELF_EVALUATION,
    Plan.Status.MANAGER_EVALUATION,
)
LIVE_CARDS = (
    Scorecard.Status.DRAFT,
    Scorecard.Status.SENT,
    Scorecard.Status.OBJECTED,
    Scorecard.Status.CONFIRMED,
    Scorecard.Status.SELF_EVALUATED,
)
ITEM_FIELDS = ("actual", "actual_source", "actual_trace", "version", "updated_at")


@register_period_provider
def plan_periods(company_id: int):
    """Plan periods are collection periods: points dated inside one are accepted."""
    return Plan.objects.filter(company_id=company_id).values_list("period_start", "period_end")


def fed_items():
    """Items whose actual is computed, on cards still open, of plans in their period."""
    return ScorecardItem.objects.filter(
        indicator__data_source__in=(DataSource.METRIC, DataSource.GOAL),
        scorecard__status__in=LIVE_CARDS,
        scorecard__plan__status__in=LIVE_PLANS,
    ).select_related("indicator", "scorecard__plan")


def plan_period(plan: Plan, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return plan.period_start, min(plan.period_end, today)


def _lineage(parts: list[Metric], subject_ids, start, end) -> dict[int, list[dict]]:
    return lineage_points(parts=parts, subject_ids=subject_ids, start=start, end=end)


def _metrics(items: list[ScorecardItem]) -> tuple[dict, dict]:
    """The metrics the items name, by (company, key), and every metric by id (ratio parts
    joined): two queries at most."""
    query = Q(pk__in=[])
    keys: dict[int, set[str]] = defaultdict(set)
    for item in items:
        if item.indicator.data_source == DataSource.METRIC and item.indicator.metric_key:
            keys[item.company_id].add(item.indicator.metric_key)
    for company_id, names in keys.items():
        query |= Q(company_id=company_id, key__in=names)
    metrics = list(Metric.objects.filter(query)) if keys else []
    by_id = {m.pk: m for m in metrics}
    part_ids = {m.numerator_id for m in metrics} | {m.denominator_id for m in metrics}
    part_ids -= set(by_id) | {None}
    if part_ids:
        by_id.update({m.pk: m for m in Metric.objects.filter(pk__in=part_ids)})
    for m in metrics:
        if m.numerator_id in by_id:
            m.numerator = by_id[m.numerator_id]
        if m.denominator_id in by_id:
            m.denominator = by_id[m.denominator_id]
    return {(m.company_id, m.key): m for m in metrics}, by_id


def _parts(metric: Metric, by_id: dict[int, Metric]) -> list[Metric]:
    if metric.aggregation != Metric.Aggregation.RATIO:
        return [metric]
    return [
        by_id[pk]
        for pk in (metric.numerator_id, metric.denominator_id)
        if pk in by_id and by_id[pk].aggregation != Metric.Aggregation.RATIO
    ]


def compute(items: list[ScorecardItem], *, today: datetime.date | None = None) -> dict[int, dict]:
    """{item id: {"apply": bool, "value": Decimal | None, "trace": dict}} — reads only.
    Queries: metrics (≤ 2), per (metric, period) the aggregates and the lineage, the goals (1)."""
    today = today or timezone.localdate()
    now = timezone.now().isoformat()
    results: dict[int, dict] = {}
    by_key, by_id = _metrics(items)
    groups: dict[tuple, list[ScorecardItem]] = defaultdict(list)
    goal_items: list[ScorecardItem] = []
    for item in items:
        indicator = item.indicator
        if indicator.data_source == DataSource.GOAL:
            goal_items.append(item)
            continue
        if indicator.data_source != DataSource.METRIC:
            continue
        plan = item.scorecard.plan
        start, end = plan_period(plan, today)
        base = {
            "source": "metric",
            "metric": indicator.metric_key,
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "computed_at": now,
        }
        metric = by_key.get((item.company_id, indicator.metric_key))
        if metric is None or not metric.active:
            error = _("Unknown or inactive metric %(key)s.") % {"key": indicator.metric_key}
            results[item.pk] = {"apply": False, "trace": {**base, "error": error}}
            continue
        base |= {"name": metric.name, "aggregation": metric.aggregation, "unit": metric.unit}
        if metric.subject_kind != SubjectKind.EMPLOYEE:
            error = _(
                "The metric %(key)s measures %(kind)s, not employees: the actual is not "
                "computed from it."
            ) % {"key": metric.key, "kind": SubjectKind(metric.subject_kind).label}
            results[item.pk] = {"apply": False, "trace": {**base, "error": error}}
            continue
        if start > end:
            error = _("The plan period has not started.")
            results[item.pk] = {"apply": False, "trace": {**base, "error": error}}
            continue
        groups[(metric.pk, start, end)].append(item)
        results[item.pk] = {"base": base}
    for (metric_pk, start, end), members in groups.items():
        metric = by_id[metric_pk]
        subjects = {m.scorecard.employee_id for m in members}
        aggregates = metric_aggregates(metric=metric, subject_ids=subjects, start=start, end=end)
        lineage = _lineage(_parts(metric, by_id), subjects, start, end)
        for item in members:
            employee_id = item.scorecard.employee_id
            agg = aggregates[employee_id]
            points = sorted(
                lineage.get(employee_id, []),
                key=lambda p: (p["date"], p["received_at"], p["id"]),
                reverse=True,
            )[:LINEAGE_LIMIT]
            results[item.pk] = {
                "apply": True,
                "value": agg.value,
                "trace": {
                    **results[item.pk]["base"],
                    "employee": employee_id,
                    "value": None if agg.value is None else str(agg.value),
                    "count": agg.count,
                    "lines": agg.trace,
                    "points": points,
                    "points_total": agg.count
                    if metric.aggregation != Metric.Aggregation.LAST
                    else len(points),
                },
            }
    goals = {
        g.pk: g
        for g in Goal.objects.filter(pk__in={i.goal_id for i in goal_items if i.goal_id}).only(
            "id", "title", "actual", "actual_at", "actual_trace", "metric_key", "target", "unit"
        )
    }
    for item in goal_items:
        goal = goals.get(item.goal_id) if item.goal_id else None
        base = {"source": "goal", "computed_at": now}
        if goal is None:
            error = _("No goal of the cascade is linked to this indicator.")
            results[item.pk] = {"apply": False, "trace": {**base, "error": error}}
            continue
        results[item.pk] = {
            "apply": True,
            "value": goal.actual,
            "trace": {
                **base,
                "goal": goal.pk,
                "title": goal.title,
                "value": None if goal.actual is None else str(goal.actual),
                "actual_at": goal.actual_at.isoformat() if goal.actual_at else None,
                "goal_trace": goal.actual_trace or {},
            },
        }
    return results


def _same(item: ScorecardItem, result: dict) -> bool:
    old = {k: v for k, v in (item.actual_trace or {}).items() if k != "computed_at"}
    new = {k: v for k, v in result["trace"].items() if k != "computed_at"}
    return old == new and (not result["apply"] or item.actual == result["value"])


@transaction.atomic
def items_actuals_refresh(*, items, today: datetime.date | None = None, actor: Any = None) -> int:
    """Recompute many items (system actor unless given): one bulk update and one bulk audit.
    Returns how many changed."""
    items = list(items)
    if not items:
        return 0
    results = compute(items, today=today)
    now = timezone.now()
    changed, befores = [], {}
    for item in items:
        result = results.get(item.pk)
        if result is None or "trace" not in result or _same(item, result):
            continue
        befores[item.pk] = snapshot(item)
        if result["apply"]:
            item.actual = result["value"]
            item.actual_source = result["trace"]["source"]
        item.actual_trace = result["trace"]
        item.version += 1
        item.updated_at = now
        changed.append(item)
    if not changed:
        return 0
    ScorecardItem.objects.bulk_update(changed, list(ITEM_FIELDS), batch_size=500)
    if actor is None:
        with context.actor_context(actor=None, channel="system"):
            audit_bulk(changed, action=AuditLog.Action.UPDATE, befores=befores)
    else:  # a person's action (linking a goal): the request's context names them
        audit_bulk(changed, action=AuditLog.Action.UPDATE, befores=befores)
    return len(changed)


def refresh_all(*, today: datetime.date | None = None) -> int:
    return items_actuals_refresh(items=fed_items(), today=today)


@receiver(points_ingested, dispatch_uid="performance_item_actuals_on_points")
def _on_points_ingested(sender, *, company_id, metric_ids, subjects, **kwargs) -> None:
    employees = {pk for kind, pk in subjects if kind == SubjectKind.EMPLOYEE}
    if not employees:
        return
    keys = set(
        Metric.objects.filter(company_id=company_id)
        .filter(
            Q(pk__in=metric_ids) | Q(numerator_id__in=metric_ids) | Q(denominator_id__in=metric_ids)
        )
        .values_list("key", flat=True)
    )
    if not keys:
        return
    items = fed_items().filter(
        company_id=company_id,
        indicator__data_source=DataSource.METRIC,
        indicator__metric_key__in=keys,
        scorecard__employee_id__in=employees,
    )
    items_actuals_refresh(items=items)
