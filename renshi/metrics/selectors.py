"""Reads of the metrics app: aggregation of a metric over a period, lineage, lists.

Aggregation (docs/metrics.md has worked examples) — computed in the database, one subject or
many at once (``metric_aggregates``: a constant number of queries whatever the number of
subjects):

* ``sum`` / ``avg`` / ``max`` / ``min``: over every point of the metric for the subject dated
  within [start, end] (both inclusive). **Every source counts**: when a CRM and an ERP both
  report the same metric, subject and date, both points are summed / averaged / compared. Send
  one source per metric, or use distinct metrics, when sources overlap.
* ``last``: the point with the latest date; on the same date the one received last; then the
  highest id (so one point wins even when two sources sent the same date in the same batch).
* ``ratio``: aggregate(numerator) / aggregate(denominator) over the same period, each with its
  own aggregation. None when the denominator has no points or aggregates to 0; the trace says
  which.
* No points → value None, count 0.

``Aggregate.trace`` holds human-readable lines (translated) saying how the value came about;
``aggregate_points`` returns the points behind a value (lineage), capped, with the total.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.org.models import Department, Employee

from .models import DataPoint, IngestBatch, Metric, SubjectKind

_FOUR = Decimal("0.0001")
_SQL_AGGREGATES = {
    Metric.Aggregation.SUM: Sum,
    Metric.Aggregation.AVG: Avg,
    Metric.Aggregation.MAX: Max,
    Metric.Aggregation.MIN: Min,
}
LINEAGE_LIMIT = 200


@dataclass
class Aggregate:
    value: Decimal | None
    count: int
    trace: list[str] = field(default_factory=list)


def _q(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(_FOUR)


def _points(metric: Metric, subject_ids, start, end) -> QuerySet:
    return DataPoint.objects.filter(
        metric_id=metric.pk, subject_id__in=list(subject_ids), date__gte=start, date__lte=end
    )


def _last_points(metric: Metric, subject_ids, start, end) -> QuerySet:
    """The winning point of a ``last`` metric per subject (window function, one query)."""
    return (
        _points(metric, subject_ids, start, end)
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("subject_id")],
                order_by=[F("date").desc(), F("received_at").desc(), F("id").desc()],
            )
        )
        .filter(_rank=1)
    )


def _span(start: datetime.date, end: datetime.date) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat()}


def metric_aggregates(
    *,
    metric: Metric,
    subject_ids,
    start: datetime.date,
    end: datetime.date,
    _depth: int = 0,
) -> dict[int, Aggregate]:
    """The aggregate of ``metric`` for each subject over [start, end] (every subject asked
    gets an entry; value None when it has no points)."""
    ids = list(dict.fromkeys(subject_ids))
    result = {
        pk: Aggregate(
            None,
            0,
            [
                _("%(key)s: no data points from %(start)s to %(end)s.")
                % {"key": metric.key, **_span(start, end)}
            ],
        )
        for pk in ids
    }
    if not ids or start > end:
        return result
    aggregation = metric.aggregation
    if aggregation in _SQL_AGGREGATES:
        rows = (
            _points(metric, ids, start, end)
            .order_by()
            .values("subject_id")
            .annotate(v=_SQL_AGGREGATES[aggregation]("value"), n=Count("id"))
        )
        label = Metric.Aggregation(aggregation).label
        for row in rows:
            value = _q(row["v"])
            result[row["subject_id"]] = Aggregate(
                value,
                row["n"],
                [
                    _(
                        "%(key)s: %(aggregation)s of %(count)s data points from %(start)s to "
                        "%(end)s = %(value)s"
                    )
                    % {
                        "key": metric.key,
                        "aggregation": label,
                        "count": row["n"],
                        "value": value,
                        **_span(start, end),
                    }
                ],
            )
        return result
    if aggregation == Metric.Aggregation.LAST:
        counts = dict(
            _points(metric, ids, start, end)
            .order_by()
            .values("subject_id")
            .annotate(n=Count("id"))
            .values_list("subject_id", "n")
        )
        for subject_id, day, value, source in _last_points(metric, ids, start, end).values_list(
            "subject_id", "date", "value", "source"
        ):
            value = _q(value)
            result[subject_id] = Aggregate(
                value,
                counts.get(subject_id, 1),
                [
                    _(
                        "%(key)s: last value of %(count)s data points from %(start)s to "
                        "%(end)s: %(value)s on %(date)s (source %(source)s)"
                    )
                    % {
                        "key": metric.key,
                        "count": counts.get(subject_id, 1),
                        "value": value,
                        "date": day.isoformat(),
                        "source": source,
                        **_span(start, end),
                    }
                ],
            )
        return result
    if aggregation == Metric.Aggregation.RATIO:
        if metric.numerator_id is None or metric.denominator_id is None or _depth > 3:
            for agg in result.values():
                agg.trace = [
                    _("%(key)s: the ratio has no numerator or denominator.") % {"key": metric.key}
                ]
            return result
        numerator = (
            metric.numerator if _loaded(metric, "numerator") else _metric(metric.numerator_id)
        )
        denominator = (
            metric.denominator if _loaded(metric, "denominator") else _metric(metric.denominator_id)
        )
        nums = metric_aggregates(
            metric=numerator, subject_ids=ids, start=start, end=end, _depth=_depth + 1
        )
        dens = metric_aggregates(
            metric=denominator, subject_ids=ids, start=start, end=end, _depth=_depth + 1
        )
        for pk in ids:
            num, den = nums[pk], dens[pk]
            trace = [*num.trace, *den.trace]
            if den.value is None:
                value = None
                trace.append(
                    _("%(key)s: no value, the denominator %(den)s has no data points.")
                    % {"key": metric.key, "den": denominator.key}
                )
            elif den.value == 0:
                value = None
                trace.append(
                    _("%(key)s: no value, the denominator %(den)s is 0.")
                    % {"key": metric.key, "den": denominator.key}
                )
            elif num.value is None:
                value = None
                trace.append(
                    _("%(key)s: no value, the numerator %(num)s has no data points.")
                    % {"key": metric.key, "num": numerator.key}
                )
            else:
                value = _q(num.value / den.value)
                trace.append(
                    _("%(key)s = %(num)s / %(den)s = %(value)s")
                    % {"key": metric.key, "num": num.value, "den": den.value, "value": value}
                )
            result[pk] = Aggregate(value, num.count + den.count, trace)
        return result
    return result  # pragma: no cover - unknown aggregation


def _loaded(metric: Metric, name: str) -> bool:
    return name in metric._state.fields_cache


def _metric(pk: int) -> Metric:
    return Metric.objects.get(pk=pk)


def metric_aggregate(
    *, metric: Metric, subject_id: int, start: datetime.date, end: datetime.date
) -> Aggregate:
    """The aggregate of ``metric`` for one subject over [start, end] (see the module doc)."""
    return metric_aggregates(metric=metric, subject_ids=[subject_id], start=start, end=end)[
        subject_id
    ]


def lineage_metrics(metric: Metric, _depth: int = 0) -> list[Metric]:
    """The stored metrics a value is computed from: itself, or a ratio's two parts."""
    if metric.aggregation != Metric.Aggregation.RATIO:
        return [metric]
    if _depth > 3 or metric.numerator_id is None or metric.denominator_id is None:
        return []
    parts = Metric.objects.filter(pk__in=[metric.numerator_id, metric.denominator_id])
    found: list[Metric] = []
    for part in parts:
        found.extend(lineage_metrics(part, _depth + 1))
    return found


def aggregate_points(
    *,
    metric: Metric,
    subject_id: int,
    start: datetime.date,
    end: datetime.date,
    limit: int = LINEAGE_LIMIT,
) -> tuple[list[DataPoint], int]:
    """The data points a value was computed from (lineage), newest first, at most ``limit``,
    and their total: every point in the period, or the winning point of a ``last`` metric;
    for a ratio the points of its numerator and denominator."""
    points: list[DataPoint] = []
    total = 0
    for part in lineage_metrics(metric):
        if part.aggregation == Metric.Aggregation.LAST:
            qs = _last_points(part, [subject_id], start, end)
            rows = list(qs.select_related("metric")[:1])
            points.extend(rows)
            total += len(rows)
            continue
        qs = _points(part, [subject_id], start, end)
        total += qs.count()
        points.extend(
            qs.select_related("metric").order_by("-date", "-received_at", "-id")[
                : max(0, limit - len(points))
            ]
        )
    return points[:limit], total


# --- lists --------------------------------------------------------------------------------------


def metric_list(*, user: Any, active_only: bool = False) -> QuerySet:
    qs = access.restrict(Metric, user, access.VIEW).select_related("numerator", "denominator")
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("key")


def subject_q(subject: str) -> Q:
    """Points whose subject is this employee number or department code (company points: the
    company's code or empty)."""
    subject = subject.strip()
    return Q(
        subject_kind=SubjectKind.EMPLOYEE,
        subject_id__in=Employee.objects.filter(employee_no=subject).values("pk"),
    ) | Q(
        subject_kind=SubjectKind.DEPARTMENT,
        subject_id__in=Department.objects.filter(code=subject).values("pk"),
    )


def point_list(
    *,
    user: Any,
    metric: Metric | None = None,
    metrics: list[Metric] | None = None,
    subject: str = "",
    subject_kind: str = "",
    subject_id: int | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    batch_id: int | None = None,
) -> QuerySet:
    """The data points the user may see, filtered; newest first."""
    qs = access.restrict(DataPoint, user, access.VIEW).select_related("metric")
    if metric is not None:
        qs = qs.filter(metric_id=metric.pk)
    if metrics is not None:
        qs = qs.filter(metric_id__in=[m.pk for m in metrics])
    if subject:
        qs = qs.filter(subject_q(subject))
    if subject_kind and subject_id is not None:
        qs = qs.filter(subject_kind=subject_kind, subject_id=subject_id)
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    return qs.order_by("-date", "-received_at", "-id")


def subject_labels(points, company_name: str = "") -> dict[tuple[str, int], dict]:
    """{(kind, id): {"code", "name"}} for the subjects of these points (two queries)."""
    employees = {p.subject_id for p in points if p.subject_kind == SubjectKind.EMPLOYEE}
    departments = {p.subject_id for p in points if p.subject_kind == SubjectKind.DEPARTMENT}
    labels: dict[tuple[str, int], dict] = {}
    if employees:
        for pk, number, name in Employee.objects.filter(pk__in=employees).values_list(
            "pk", "employee_no", "name"
        ):
            labels[(SubjectKind.EMPLOYEE, pk)] = {"code": number, "name": name}
    if departments:
        for pk, code, name in Department.objects.filter(pk__in=departments).values_list(
            "pk", "code", "name"
        ):
            labels[(SubjectKind.DEPARTMENT, pk)] = {"code": code, "name": name}
    for p in points:
        if p.subject_kind == SubjectKind.COMPANY:
            labels[(SubjectKind.COMPANY, p.subject_id)] = {"code": "", "name": company_name}
    return labels


def batch_list(*, user: Any) -> QuerySet:
    return (
        access.restrict(IngestBatch, user, access.VIEW)
        .select_related("created_by", "connector")
        .defer("content")
        .order_by("-created_at", "-id")
    )


def lineage_points(
    *, parts: list[Metric], subject_ids, start: datetime.date, end: datetime.date
) -> dict[int, list[dict]]:
    """The data points behind each subject's value over [start, end] — what a goal's or a
    scorecard item's ``actual_trace`` lists as its lineage: per metric part (a ratio has two),
    newest first, at most ``LINEAGE_LIMIT`` per subject (one for a last-value metric); one
    query per part whatever the number of subjects."""
    found: dict[int, list[dict]] = defaultdict(list)
    for part in parts:
        limit = 1 if part.aggregation == Metric.Aggregation.LAST else LINEAGE_LIMIT
        rows = (
            DataPoint.objects.filter(
                metric_id=part.pk,
                subject_id__in=list(subject_ids),
                date__gte=start,
                date__lte=end,
            )
            .annotate(
                _rank=Window(
                    RowNumber(),
                    partition_by=[F("subject_id")],
                    order_by=[F("date").desc(), F("received_at").desc(), F("id").desc()],
                )
            )
            .filter(_rank__lte=limit)
            .values_list("subject_id", "id", "date", "value", "source", "received_at", "batch_id")
        )
        for subject_id, pk, day, value, source, received_at, batch_id in rows:
            found[subject_id].append(
                {
                    "id": pk,
                    "metric": part.key,
                    "date": day.isoformat(),
                    "value": str(value),
                    "source": source,
                    "received_at": received_at.isoformat(),
                    "batch": batch_id,
                }
            )
    return found
