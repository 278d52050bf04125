"""Goals fed by metrics: their actual is computed from the metric over the goal's period.

A goal that names a metric (``metric_key``) gets ``actual`` = the metric's aggregate
(``renshi.metrics.selectors.metric_aggregates``) for the goal's subject over
``start_date .. min(deadline, today)``:

* individual goal → its owner (employee metrics);
* department goal → its department (department metrics);
* company objective → the company (company metrics).

A metric whose subject kind does not match the goal's level, or an unknown / inactive metric,
leaves ``actual`` untouched and says so in ``actual_trace``. ``actual_trace`` records the
metric, its aggregation, the period, the value, the number of points and the data points used
(id, date, value, source, received_at, batch; at most ``LINEAGE_LIMIT`` with the total).

Recomputed: on ``metrics.signals.points_ingested`` (only the goals whose metric — or a ratio
built on it — and subject were touched; a constant number of queries per metric and period),
hourly by ``goal_actuals_refresh_all`` (django-crontask), and on demand by
``goal_actual_refresh``. Writes bump the goal's version and are audited (system actor unless
one is given).

Also registers the strategy maps' periods as collection periods of the metrics app.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from crontask import cron
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import context
from renshi.core.audit import audit_bulk
from renshi.core.concurrency import bump_version
from renshi.core.models import AuditLog
from renshi.metrics.models import Metric, SubjectKind
from renshi.metrics.periods import register_period_provider
from renshi.metrics.selectors import LINEAGE_LIMIT, lineage_points, metric_aggregates
from renshi.metrics.signals import points_ingested

from .models import Goal, StrategyMap

LEVEL_SUBJECT = {
    Goal.Level.INDIVIDUAL: SubjectKind.EMPLOYEE,
    Goal.Level.DEPARTMENT: SubjectKind.DEPARTMENT,
    Goal.Level.COMPANY: SubjectKind.COMPANY,
}
GOAL_FIELDS = (
    "id",
    "company_id",
    "level",
    "owner_id",
    "department_id",
    "metric_key",
    "start_date",
    "deadline",
    "status",
    "actual",
    "actual_at",
    "actual_trace",
    "version",
)


@register_period_provider
def strategy_map_periods(company_id: int):
    return StrategyMap.objects.filter(company_id=company_id).values_list(
        "period_start", "period_end"
    )


def goal_subject_id(goal: Goal) -> int | None:
    if goal.level == Goal.Level.INDIVIDUAL:
        return goal.owner_id
    if goal.level == Goal.Level.DEPARTMENT:
        return goal.department_id
    return goal.company_id


def goal_period(goal: Goal, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return goal.start_date, min(goal.deadline, today)


def _lineage(parts: list[Metric], subject_ids, start, end) -> dict[int, list[dict]]:
    return lineage_points(parts=parts, subject_ids=subject_ids, start=start, end=end)


def _parts(metric: Metric, by_id: dict[int, Metric]) -> list[Metric]:
    if metric.aggregation != Metric.Aggregation.RATIO:
        return [metric]
    parts = []
    for pk in (metric.numerator_id, metric.denominator_id):
        part = by_id.get(pk)
        if part is not None and part.aggregation != Metric.Aggregation.RATIO:
            parts.append(part)
    return parts


def compute(goals: list[Goal], *, today: datetime.date | None = None) -> dict[int, dict]:
    """{goal id: {"value": Decimal | None, "trace": dict, "apply": bool}} — reads only.

    Queries: one for the metrics, then per (metric, period) group the aggregates
    (1-2, or twice that for a ratio) and the lineage (one per stored metric)."""
    today = today or timezone.localdate()
    results: dict[int, dict] = {}
    keys_by_company: dict[int, set[str]] = defaultdict(set)
    for goal in goals:
        if goal.metric_key:
            keys_by_company[goal.company_id].add(goal.metric_key)
    query = Q(pk__in=[])
    for company_id, keys in keys_by_company.items():
        query |= Q(company_id=company_id, key__in=keys)
    metrics = list(Metric.objects.filter(query)) if keys_by_company else []
    part_ids = {m.numerator_id for m in metrics} | {m.denominator_id for m in metrics}
    part_ids -= {m.pk for m in metrics} | {None}
    by_id = {m.pk: m for m in metrics}
    if part_ids:
        by_id.update({m.pk: m for m in Metric.objects.filter(pk__in=part_ids)})
    by_key = {(m.company_id, m.key): m for m in metrics}
    for m in metrics:  # ratio parts are joined, no extra query in the selector
        if m.numerator_id in by_id:
            m.numerator = by_id[m.numerator_id]
        if m.denominator_id in by_id:
            m.denominator = by_id[m.denominator_id]

    groups: dict[tuple, list[Goal]] = defaultdict(list)
    now = timezone.now().isoformat()
    for goal in goals:
        metric = by_key.get((goal.company_id, goal.metric_key))
        start, end = goal_period(goal, today)
        base = {
            "metric": goal.metric_key,
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "computed_at": now,
        }
        if metric is None or not metric.active:
            results[goal.pk] = {
                "apply": False,
                "trace": {
                    **base,
                    "error": _("Unknown or inactive metric %(key)s.") % {"key": goal.metric_key},
                },
            }
            continue
        base |= {"name": metric.name, "aggregation": metric.aggregation, "unit": metric.unit}
        if LEVEL_SUBJECT[goal.level] != metric.subject_kind:
            results[goal.pk] = {
                "apply": False,
                "trace": {
                    **base,
                    "error": _(
                        "The metric %(key)s measures %(kind)s, but this goal is a %(level)s: "
                        "the actual is not computed from it."
                    )
                    % {
                        "key": metric.key,
                        "kind": SubjectKind(metric.subject_kind).label,
                        "level": Goal.Level(goal.level).label,
                    },
                },
            }
            continue
        subject_id = goal_subject_id(goal)
        if subject_id is None or start > end:
            results[goal.pk] = {
                "apply": False,
                "trace": {
                    **base,
                    "error": _("The goal has no subject or its period has not started."),
                },
            }
            continue
        groups[(metric.pk, start, end)].append(goal)
        results[goal.pk] = {"base": base, "subject_id": subject_id}

    for (metric_pk, start, end), members in groups.items():
        metric = by_id[metric_pk]
        subject_ids = {results[g.pk]["subject_id"] for g in members}
        aggregates = metric_aggregates(metric=metric, subject_ids=subject_ids, start=start, end=end)
        lineage = _lineage(_parts(metric, by_id), subject_ids, start, end)
        for goal in members:
            entry = results[goal.pk]
            agg = aggregates[entry["subject_id"]]
            points = sorted(
                lineage.get(entry["subject_id"], []),
                key=lambda p: (p["date"], p["received_at"], p["id"]),
                reverse=True,
            )[:LINEAGE_LIMIT]
            results[goal.pk] = {
                "apply": True,
                "value": agg.value,
                "trace": {
                    **entry["base"],
                    "value": None if agg.value is None else str(agg.value),
                    "count": agg.count,
                    "lines": agg.trace,
                    "points": points,
                    "points_total": agg.count
                    if metric.aggregation != Metric.Aggregation.LAST
                    else len(points),
                },
            }
    return results


def _same(goal: Goal, value: Decimal | None, trace: dict, apply: bool) -> bool:
    old = {k: v for k, v in (goal.actual_trace or {}).items() if k != "computed_at"}
    new = {k: v for k, v in trace.items() if k != "computed_at"}
    return old == new and (not apply or goal.actual == value)


@transaction.atomic
def goal_actual_refresh(
    *, goal: Goal, actor: Any = None, today: datetime.date | None = None
) -> Goal:
    """Recompute one goal's actual from its metric (audited; version bumped when it changed)."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if not goal.metric_key:
        return goal
    result = compute([goal], today=today)[goal.pk]
    if _same(goal, result.get("value"), result["trace"], result["apply"]):
        return goal
    if result["apply"]:
        goal.actual = result["value"]
        goal.actual_at = timezone.now()
    goal.actual_trace = result["trace"]
    bump_version(goal, expected_version=None)
    with context.actor_context(
        actor=actor, channel=context.current().channel if actor else "system"
    ):
        goal.save(update_fields=["actual", "actual_at", "actual_trace", "version", "updated_at"])
    return goal


@transaction.atomic
def goals_actuals_refresh(*, goals, today: datetime.date | None = None) -> int:
    """Recompute many goals at once (system actor): constant queries per metric and period,
    one UPDATE of the versions, one bulk update and one bulk audit. Returns the number changed."""
    goals = list(goals)
    if not goals:
        return 0
    results = compute(goals, today=today)
    now = timezone.now()
    changed: list[Goal] = []
    befores: dict[int, dict] = {}
    from renshi.core.audit import snapshot

    for goal in goals:
        result = results.get(goal.pk)
        if result is None or _same(goal, result.get("value"), result["trace"], result["apply"]):
            continue
        befores[goal.pk] = snapshot(goal)
        if result["apply"]:
            goal.actual = result["value"]
            goal.actual_at = now
        goal.actual_trace = result["trace"]
        goal.version += 1
        goal.updated_at = now
        changed.append(goal)
    if not changed:
        return 0
    Goal.objects.bulk_update(
        changed, ["actual", "actual_at", "actual_trace", "version", "updated_at"], batch_size=500
    )
    with context.actor_context(actor=None, channel="system"):
        audit_bulk(changed, action=AuditLog.Action.UPDATE, befores=befores)
    return len(changed)


def _fed_goals():
    return Goal.objects.exclude(metric_key="").filter(status=Goal.Status.ACTIVE).only(*GOAL_FIELDS)


@receiver(points_ingested, dispatch_uid="goals_actuals_on_points")
def _on_points_ingested(sender, *, company_id, metric_ids, subjects, **kwargs) -> None:
    keys = set(
        Metric.objects.filter(company_id=company_id)
        .filter(
            Q(pk__in=metric_ids) | Q(numerator_id__in=metric_ids) | Q(denominator_id__in=metric_ids)
        )
        .values_list("key", flat=True)
    )
    if not keys:
        return
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, subject_id in subjects:
        by_kind[kind].add(subject_id)
    touched = Q(pk__in=[])
    if by_kind.get(SubjectKind.EMPLOYEE):
        touched |= Q(level=Goal.Level.INDIVIDUAL, owner_id__in=by_kind[SubjectKind.EMPLOYEE])
    if by_kind.get(SubjectKind.DEPARTMENT):
        touched |= Q(level=Goal.Level.DEPARTMENT, department_id__in=by_kind[SubjectKind.DEPARTMENT])
    if by_kind.get(SubjectKind.COMPANY):
        touched |= Q(level=Goal.Level.COMPANY)
    goals = _fed_goals().filter(company_id=company_id, metric_key__in=keys).filter(touched)
    goals_actuals_refresh(goals=goals)


@cron("17 * * * *")
@task
def goal_actuals_refresh_all() -> int:
    """Hourly: recompute every active metric-fed goal (today's period end moves on)."""
    with context.actor_context(actor=None, channel="task"):
        return goals_actuals_refresh(goals=_fed_goals())
