"""Reads of the plans part, always through the access layer, with constant query counts.

* ``plan_list`` — the plans a user may see, filtered by status, with their counts;
* ``plan_get`` — one plan (404 out of scope);
* ``plan_parts`` — the covered departments with their review and assignment progress;
* ``review_changes`` — the audit entries of the plan and its indicators since it was last
  submitted (the HR VP's direct edits as before → after);
* ``distribution_preview`` — the forced distribution's seats per grade for each covered
  department's headcount (``scoring.forced_distribution``), with the small-group warning;
* ``stage_timeline`` — the plan's stages with their deadlines, done / current / to come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from renshi.core import access
from renshi.core.models import AuditLog
from renshi.core.selectors import audit_log_allowed, describe_entries
from renshi.org.models import Employee

from . import scoring
from .models import IndicatorTemplate, Plan, PlanComment, PlanDepartment, PlanIndicator

P = Plan.Status


def plan_list(*, user: Any, status: str | None = None) -> QuerySet:
    visible = access.restrict(Plan, user, access.VIEW)
    if status:
        visible = visible.filter(status=status)
    # annotate outside the policy's (possibly DISTINCT, joined) query so the counts are right
    return (
        Plan.objects.filter(pk__in=visible.values("pk"))
        .annotate(
            department_count=Count("parts", distinct=True),
            indicator_count=Count("indicators", distinct=True),
        )
        .order_by("-period_start", "name", "id")
    )


def plan_status_counts(*, user: Any) -> dict[str, int]:
    rows = (
        Plan.objects.filter(pk__in=access.restrict(Plan, user, access.VIEW).values("pk"))
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def plan_get(*, user: Any, pk: int) -> Plan:
    return access.get_object_or_404(
        Plan.objects.select_related("created_by", "submitted_by", "copied_from"), user, pk=pk
    )


def plan_parts(*, user: Any, plan: Plan) -> list[PlanDepartment]:
    """Covered departments with their headcount (active employees) and review."""
    parts = list(
        access.restrict(PlanDepartment, user, access.VIEW)
        .filter(plan_id=plan.pk)
        .select_related("department", "department__head", "reviewed_by")
        .order_by("department__sort_order", "department__code")
    )
    counts = dict(
        Employee.objects.filter(department_id__in=[p.department_id for p in parts])
        .exclude(status=Employee.Status.LEFT)
        .values("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    for part in parts:
        part.headcount = counts.get(part.department_id, 0)
    return parts


def plan_indicators(*, user: Any, plan: Plan) -> list[PlanIndicator]:
    return list(
        access.restrict(PlanIndicator, user, access.VIEW)
        .filter(plan_id=plan.pk)
        .select_related("department", "position")
        .order_by("category", "department__code", "order", "id")
    )


def plan_comments(*, user: Any, plan: Plan) -> list[PlanComment]:
    return list(
        access.restrict(PlanComment, user, access.VIEW)
        .filter(plan_id=plan.pk)
        .select_related("author", "department")
        .order_by("created_at", "id")
    )


def library(*, user: Any, active: bool | None = None, department_type: str | None = None):
    queryset = access.restrict(IndicatorTemplate, user, access.VIEW).prefetch_related("positions")
    if active is not None:
        queryset = queryset.filter(active=active)
    if department_type is not None:
        queryset = queryset.filter(department_type=department_type)
    return queryset.order_by("category", "department_type", "name", "id")


# --- review: what changed since submission ------------------------------------------------------


@dataclass
class ReviewChanges:
    submitted_at: Any
    plan_rows: list = field(default_factory=list)
    indicator_rows: list = field(default_factory=list)


def submitted_at(plan: Plan):
    """When the plan last entered HR review (its status change in the audit log)."""
    content_type = ContentType.objects.get_for_model(Plan)
    return (
        AuditLog.objects.filter(
            content_type=content_type,
            object_id=str(plan.pk),
            changes__status__after=P.HR_REVIEW,
        )
        .order_by("-timestamp", "-id")
        .values_list("timestamp", flat=True)
        .first()
    )


def review_changes(*, user: Any, plan: Plan) -> ReviewChanges | None:
    """The entries since the last submission: the plan's own (settings, status) and its
    indicators' (created, edited, removed), each as before → after. None when the user may not
    read change logs. A constant number of queries."""
    if not audit_log_allowed(user):
        return None
    since = submitted_at(plan)
    result = ReviewChanges(submitted_at=since)
    if since is None:
        return result
    logs = access.restrict(AuditLog, user, access.VIEW).filter(timestamp__gte=since)
    plan_type = ContentType.objects.get_for_model(Plan)
    ind_type = ContentType.objects.get_for_model(PlanIndicator)
    plan_entries = [
        e
        for e in logs.filter(content_type=plan_type, object_id=str(plan.pk)).order_by(
            "timestamp", "id"
        )
        if (e.changes or {}).get("status", {}).get("after") != P.HR_REVIEW
    ]
    ids = [str(pk) for pk in PlanIndicator.objects.filter(plan=plan).values_list("pk", flat=True)]
    ind_entries = list(
        logs.filter(content_type=ind_type)
        .filter(Q(object_id__in=ids) | Q(changes__plan__before=plan.pk))
        .order_by("timestamp", "id")
    )
    result.plan_rows = [
        r for r in describe_entries(plan_entries, Plan, user) if r.changes or r.entry.message
    ]
    result.indicator_rows = describe_entries(ind_entries, PlanIndicator, user)
    return result


# --- forced distribution preview ----------------------------------------------------------------


@dataclass
class DistributionRow:
    department: Any
    headcount: int
    seats: list[tuple[str, int]]
    small: bool


def distribution_preview(plan: Plan, parts: list[PlanDepartment]) -> list[DistributionRow]:
    """Seats per grade for each covered department (largest remainder), flagged under 5."""
    shares = {k: Decimal(v) for k, v in (plan.distribution or {}).items()}
    if not shares or sum(shares.values()) <= 0:
        return []
    labels = {b["key"]: b.get("label") or b["key"] for b in plan.grade_bands or []}
    rows = []
    for part in parts:
        quotas, warnings = scoring.forced_distribution(part.headcount, shares)
        rows.append(
            DistributionRow(
                department=part.department,
                headcount=part.headcount,
                seats=[(labels.get(q.grade, q.grade), q.seats) for q in quotas],
                small="small_group" in warnings,
            )
        )
    return rows


# --- stage timeline -------------------------------------------------------------------------------

TIMELINE = (
    (P.DRAFT, None),
    (P.HR_REVIEW, None),
    (P.VP_REVIEW, None),
    (P.GM_FILING, None),
    (P.ASSIGNING, "assign_deadline"),
    (P.TRACKING, None),
    (P.SELF_EVALUATION, "self_eval_deadline"),
    (P.MANAGER_EVALUATION, "manager_eval_deadline"),
    (P.CALIBRATION, "calibration_deadline"),
    (P.PUBLISHED, None),
    (P.CLOSED, None),
)


def stage_timeline(plan: Plan) -> list[dict[str, Any]]:
    order = [s for s, _d in TIMELINE]
    current = order.index(plan.status) if plan.status in order else 0
    out = []
    for i, (status, deadline_field) in enumerate(TIMELINE):
        if status == P.GM_FILING and not plan.company_level:
            continue
        out.append(
            {
                "status": status,
                "label": P(status).label,
                "deadline": getattr(plan, deadline_field) if deadline_field else None,
                "state": "done" if i < current else "current" if i == current else "todo",
            }
        )
    return out
