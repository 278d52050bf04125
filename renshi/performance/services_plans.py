"""Writes of performance plans: create (from library templates), copy from the last period,
the designer's edits (settings, departments, indicators), and the approval chain up to the
running cycle's stages. docs/performance-plans.md has the chain and who takes each step.

``Plan.status`` changes only here, through ``workflows.PLAN`` (``advance`` + ``save`` so the
audit log gets before → after). Every service locks the plan, re-checks the actor inside the
transaction, compares the version the client read (``bump_version`` → ConflictError) and
notifies the people who must act next (``notification_send``: rows written in the transaction,
deliveries after commit).

Steps (``plan_transition``; the parts' review is ``plan_part_review``)::

    submit            draft → hr_review           performance manager
    hr_approve        hr_review → vp_review       HR VP, never the submitter
    hr_return         hr_review → draft           HR VP, with a reason
    (parts approved)  vp_review → gm_filing | assigning   automatic, in the same transaction
    vp_return         vp_review → draft           a supervising VP, on one of their parts
    gm_file           gm_filing → assigning       GM, never the submitter
    gm_return         gm_filing → draft           GM, with a reason
    start             assigning → tracking        performance manager; every department
                                                  has submitted its assignments
    open_self_evaluation / open_manager_evaluation / open_calibration   performance manager

On reaching ``assigning`` a draft scorecard is created for every active employee of each
covered department with one item per applicable indicator (bulk, constant queries).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.audit import audit_bulk
from renshi.core.concurrency import ConflictError, bump_version
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.notifications.services import notification_send
from renshi.org.models import Department, Employee, Position, Role, RoleAssignment
from renshi.org.scope import get_scope

from . import hooks_plans as events
from . import scoring, workflows
from .library import _clean_rule, department_type_of
from .models import (
    Category,
    DataSource,
    IndicatorTemplate,
    PeriodKind,
    Plan,
    PlanComment,
    PlanDepartment,
    PlanIndicator,
    Scorecard,
    ScorecardItem,
)
from .permissions import is_plan_office

P = Plan.Status
R = PlanDepartment.Review

MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}
EDITABLE_STATUSES = (P.DRAFT, P.HR_REVIEW)
DEADLINES = (
    "assign_deadline",
    "self_eval_deadline",
    "manager_eval_deadline",
    "calibration_deadline",
)

# fields plan_update may change (never: company, status, submitted_by, created_by, copied_from,
# published_at, closed_at, version)
PLAN_FIELDS = (
    "name",
    "period_kind",
    "period_start",
    "company_level",
    "results_share",
    "competency_share",
    "grade_bands",
    "distribution",
    "weight_360",
    "anonymous_360",
    "questions_360",
    "outcomes",
    *DEADLINES,
    "appeal_days",
)
INDICATOR_FIELDS = (
    "name",
    "category",
    "unit",
    "direction",
    "rule",
    "data_source",
    "metric_key",
    "evidence_required",
    "default_weight",
    "default_target",
    "department",
    "position",
    "order",
)
TEMPLATE_COPY_FIELDS = (
    "name",
    "category",
    "unit",
    "direction",
    "rule",
    "data_source",
    "metric_key",
    "evidence_required",
    "default_weight",
    "default_target",
)

# the steps plan_transition takes (publish_results, close, reopen: renshi.performance results)
STEPS = (
    "submit",
    "hr_approve",
    "hr_return",
    "gm_file",
    "gm_return",
    "start",
    "open_self_evaluation",
    "open_manager_evaluation",
    "open_calibration",
)
RETURN_STEPS = ("hr_return", "gm_return", "vp_return")
STAGE_STEPS = ("start", "open_self_evaluation", "open_manager_evaluation", "open_calibration")


# --- periods ------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(kind: str, start: datetime.date) -> datetime.date:
    return add_months(start, MONTHS[kind]) - datetime.timedelta(days=1)


def period_start_for(kind: str, year: int, number: int) -> datetime.date:
    """The first day of period ``number`` (1-based) of ``year``: month 1–12, quarter 1–4,
    half 1–2, year 1."""
    months = MONTHS[kind]
    count = 12 // months
    if not 1 <= number <= count:
        raise ValidationError({"period_number": _("Choose a period between 1 and %d.") % count})
    return datetime.date(year, (number - 1) * months + 1, 1)


def period_label(kind: str, start: datetime.date) -> str:
    """2026-04, 2026Q2, 2026H1, 2026."""
    if kind == PeriodKind.MONTH:
        return f"{start:%Y-%m}"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    if kind == PeriodKind.HALF:
        return f"{start.year}H{(start.month - 1) // 6 + 1}"
    return str(start.year)


def _check_period(kind: str, start: datetime.date) -> None:
    if kind not in MONTHS:
        raise ValidationError({"period_kind": _("Unknown period.")})
    if start.day != 1 or (start.month - 1) % MONTHS[kind]:
        raise ValidationError({"period_start": _("A period starts on the first day of its month.")})


# --- helpers ------------------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    if actor is None or getattr(actor, "api_key", None) is not None or not actor.pk:
        return None
    return actor


def plan_url(plan: Plan) -> str:
    return reverse("performance:plan_detail", kwargs={"pk": plan.pk})


def _locked(plan: Plan | int, actor: Any) -> Plan:
    """The plan locked for the transaction (404 when the actor cannot see it)."""
    pk = plan.pk if isinstance(plan, Plan) else plan
    locked = Plan.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        from django.http import Http404

        raise Http404
    if actor is not None:
        access.ensure(actor, access.VIEW, locked)
    return locked


def _role_users(company_id: int, *roles: str) -> list[int]:
    """User ids of the active holders of these roles."""
    return list(
        RoleAssignment.objects.filter(company_id=company_id, role__in=roles)
        .exclude(employee__status=Employee.Status.LEFT)
        .exclude(employee__user_id=None)
        .values_list("employee__user_id", flat=True)
        .distinct()
    )


def _has_role(actor: Any, role: str) -> bool:
    scope = get_scope(actor)
    return scope.employee_id is not None and not scope.is_api_key and scope.has_role(role)


def _is_submitter(actor: Any, plan: Plan) -> bool:
    return (
        actor is not None and plan.submitted_by_id is not None and plan.submitted_by_id == actor.pk
    )


def _D(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}) from None


# --- settings validation ------------------------------------------------------------------------


def default_grade_bands() -> list[dict[str, str]]:
    """≥90 优秀, 80–89 良好, 70–79 合格, <70 不合格 (scoring.DEFAULT_GRADES)."""
    return [
        {"key": g.key, "label": g.label, "lower": "" if g.lower.is_infinite() else str(g.lower)}
        for g in scoring.DEFAULT_GRADES
    ]


def clean_grade_bands(bands: Any) -> list[dict[str, str]]:
    """[{key, label, lower}], best first; exactly one bottom band (empty lower)."""
    if not bands:
        return default_grade_bands()
    cleaned, keys, lowers, bottoms = [], set(), set(), 0
    for row in bands:
        key = str(row.get("key") or "").strip()
        label = str(row.get("label") or key).strip()
        lower = row.get("lower")
        if not key:
            raise ValidationError({"grade_bands": _("Every grade needs a key.")})
        if key in keys:
            raise ValidationError({"grade_bands": _("Two grades have the same key %s.") % key})
        keys.add(key)
        if lower in (None, ""):
            bottoms += 1
            lower_text = ""
        else:
            value = _D(lower, "grade_bands")
            if value in lowers:
                raise ValidationError({"grade_bands": _("Two grades start at the same score.")})
            lowers.add(value)
            lower_text = scoring.plain(value)
        cleaned.append({"key": key, "label": label, "lower": lower_text})
    if bottoms != 1:
        raise ValidationError(
            {"grade_bands": _("Exactly one grade has no lower bound (the lowest grade).")}
        )
    cleaned.sort(key=lambda r: Decimal(r["lower"]) if r["lower"] else Decimal("-Infinity"))
    cleaned.reverse()
    return cleaned


def clean_distribution(distribution: Any, grade_keys: list[str]) -> dict[str, str]:
    """{grade: share %} totalling 100, or {} (no forced distribution)."""
    if not distribution:
        return {}
    out = {}
    for key, share in dict(distribution).items():
        if key not in grade_keys:
            raise ValidationError({"distribution": _("Unknown grade %s.") % key})
        value = _D(share, "distribution")
        if value < 0:
            raise ValidationError({"distribution": _("A share must not be negative.")})
        out[key] = scoring.plain(value)
    total = sum(Decimal(v) for v in out.values())
    if total != 100:
        raise ValidationError(
            {"distribution": _("The shares of the grades must total 100% (now %s%%).")
             % scoring.fmt(total)}
        )  # fmt: skip
    return {k: out[k] for k in grade_keys if k in out}


def clean_outcomes(outcomes: Any, grade_keys: list[str]) -> dict[str, dict[str, str]]:
    out = {}
    for key, row in dict(outcomes or {}).items():
        if key not in grade_keys:
            raise ValidationError({"outcomes": _("Unknown grade %s.") % key})
        raise_pct = _D(row.get("raise", 0) or 0, "outcomes")
        bonus = _D(row.get("bonus", 0) or 0, "outcomes")
        if raise_pct < 0 or bonus < 0:
            raise ValidationError(
                {"outcomes": _("Raises and bonus coefficients are not negative.")}
            )
        out[key] = {"raise": scoring.plain(raise_pct), "bonus": scoring.plain(bonus)}
    return out


def clean_questions(questions: Any) -> list[dict[str, str]]:
    out, keys = [], set()
    for i, row in enumerate(questions or (), start=1):
        text = str(row.get("text") or "").strip()
        if not text:
            continue
        key = str(row.get("key") or f"q{i}").strip()
        if key in keys:
            key = f"q{i}"
        keys.add(key)
        out.append({"key": key, "text": text})
    return out


def default_outcomes() -> dict[str, dict[str, str]]:
    return {
        k: {"raise": scoring.plain(o.raise_percent), "bonus": scoring.plain(o.bonus_coefficient)}
        for k, o in scoring.DEFAULT_OUTCOMES.items()
    }


def _validate_settings(plan: Plan) -> None:
    _check_period(plan.period_kind, plan.period_start)
    plan.period_end = period_end(plan.period_kind, plan.period_start)
    plan.name = (plan.name or "").strip() or _("%(period)s performance plan") % {
        "period": period_label(plan.period_kind, plan.period_start)
    }
    results, competency = Decimal(plan.results_share), Decimal(plan.competency_share)
    if results < 0 or competency < 0 or results + competency != 100:
        raise ValidationError(
            {"results_share": _("The results and competency shares must total 100 (e.g. 70:30).")}
        )
    weight_360 = Decimal(plan.weight_360)
    if not 0 <= weight_360 < 100:
        raise ValidationError({"weight_360": _("The 360 weight is between 0 and 99%.")})
    plan.grade_bands = clean_grade_bands(plan.grade_bands)
    keys = [b["key"] for b in plan.grade_bands]
    plan.distribution = clean_distribution(plan.distribution, keys)
    plan.outcomes = clean_outcomes(plan.outcomes, keys)
    plan.questions_360 = clean_questions(plan.questions_360)
    if weight_360 > 0 and not plan.questions_360:
        raise ValidationError({"questions_360": _("A 360 component needs questions.")})
    previous = None
    for name in DEADLINES:
        value = getattr(plan, name)
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            raise ValidationError({name: _("The stage deadlines must be in order.")})
        previous = (name, value)
    plan.full_clean(exclude=["created_by", "copied_from", "submitted_by"])


def _validate_indicator(indicator: PlanIndicator, covered: set[int]) -> None:
    indicator.name = (indicator.name or "").strip()
    indicator.rule = _clean_rule(indicator.rule, indicator.direction)
    if indicator.department_id is not None and indicator.department_id not in covered:
        raise ValidationError({"department": _("The plan does not cover this department.")})
    if indicator.position_id is not None and indicator.position.company_id != indicator.company_id:
        raise ValidationError({"position": _("This position belongs to another company.")})
    if indicator.data_source == DataSource.METRIC and not indicator.metric_key:
        raise ValidationError({"metric_key": _("Name the metric that feeds this indicator.")})
    if indicator.data_source != DataSource.METRIC:
        indicator.metric_key = ""
    if indicator.default_weight is not None and indicator.default_weight < 0:
        raise ValidationError({"default_weight": _("A weight must not be negative.")})
    indicator.full_clean()


def plan_problems(plan: Plan) -> dict[str, list[str]]:
    """What blocks a submission ("errors") and what is worth a look ("warnings"): the weights of
    each covered department's indicators per category should total 100 (heads may still adjust
    them when they assign)."""
    errors: list[str] = []
    warnings: list[str] = []
    parts = list(plan.parts.select_related("department"))
    indicators = list(plan.indicators.all())
    if not parts:
        errors.append(_("The plan covers no department."))
    if not indicators:
        errors.append(_("The plan has no indicators."))
    shares = {Category.RESULTS: plan.results_share, Category.COMPETENCY: plan.competency_share}
    for part in parts:
        for category, share in shares.items():
            applying = [
                i
                for i in indicators
                if i.category == category
                and i.position_id is None
                and i.department_id in (None, part.department_id)
            ]
            if share and not applying and not any(i.category == category for i in indicators):
                continue  # reported once below
            total = sum((i.default_weight or Decimal(0)) for i in applying)
            if share and applying and total != 100:
                warnings.append(
                    _("%(department)s: the %(category)s weights total %(total)s, not 100.")
                    % {
                        "department": part.department.name,
                        "category": Category(category).label,
                        "total": scoring.fmt(total),
                    }
                )
    for category, share in shares.items():
        if share and indicators and not any(i.category == category for i in indicators):
            errors.append(
                _("The split gives %(category)s %(share)s%% but the plan has no such indicator.")
                % {"category": Category(category).label, "share": scoring.fmt(share)}
            )
    return {"errors": errors, "warnings": warnings}


# --- create and copy ----------------------------------------------------------------------------


def _require_drafter(actor: Any) -> None:
    access.require_perm(actor, "performance.draft_plans")


def _company_departments(company_id: int, departments) -> list[Department]:
    out = []
    for dept in departments or ():
        if dept.company_id != company_id:
            raise ValidationError({"departments": _("This department belongs to another company.")})
        if dept not in out:
            out.append(dept)
    return out


def _indicator_from_template(
    plan: Plan, template: IndicatorTemplate, department=None, position=None, order=0
) -> PlanIndicator:
    fields = {f: getattr(template, f) for f in TEMPLATE_COPY_FIELDS}
    return PlanIndicator(
        company_id=plan.company_id,
        plan=plan,
        template=template,
        department=department,
        position=position,
        order=order,
        **fields,
    )


def _place_templates(plan: Plan, templates, departments: list[Department]) -> list[PlanIndicator]:
    """Library templates → plan indicators: an untyped template (competencies) applies to every
    covered department; a typed one to the covered departments of its type — or to all of them
    when none is of that type (adjust in the designer). A template with positions gives one
    indicator per position."""
    types = {d.pk: department_type_of(d) for d in departments}
    out: list[PlanIndicator] = []
    order: dict[str, int] = defaultdict(int)
    for template in templates:
        if template.company_id != plan.company_id:
            raise ValidationError({"templates": _("This template belongs to another company.")})
        targets: list[Department | None]
        matching = [d for d in departments if types[d.pk] == template.department_type]
        targets = matching if template.department_type and matching else [None]
        positions = list(template.positions.all()) or [None]
        for dept in targets:
            for position in positions:
                out.append(
                    _indicator_from_template(
                        plan, template, dept, position, order=order[template.category]
                    )
                )
                order[template.category] += 1
    return out


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    period_kind: str,
    period_start: datetime.date,
    departments: list[Department],
    name: str = "",
    company_level: bool = True,
    templates: list[IndicatorTemplate] | None = None,
    **settings: Any,
) -> Plan:
    """A new draft plan (performance manager): its period, covered departments and the chosen
    library templates copied as plan indicators. Settings start from the defaults (70:30, the
    default grade bands and outcome table)."""
    _require_drafter(actor)
    scope = get_scope(actor)
    unknown = set(settings) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %s") % ", ".join(sorted(unknown)))
    _check_period(period_kind, period_start)
    plan = Plan(
        company_id=scope.company_id,
        name=name,
        period_kind=period_kind,
        period_start=period_start,
        period_end=period_end(period_kind, period_start),
        company_level=company_level,
        created_by=_user(actor),
        outcomes=default_outcomes(),
        **settings,
    )
    _validate_settings(plan)
    departments = _company_departments(plan.company_id, departments)
    if not departments:
        raise ValidationError({"departments": _("Choose the departments the plan covers.")})
    plan.save()
    for dept in departments:
        PlanDepartment.objects.create(company_id=plan.company_id, plan=plan, department=dept)
    for indicator in _place_templates(plan, templates or (), departments):
        _validate_indicator(indicator, {d.pk for d in departments})
        indicator.save()
    access.ensure(actor, access.CHANGE, plan)
    return plan


def last_plan(*, actor: Any) -> Plan | None:
    """The latest plan the actor may see (the one "copy from last period" copies)."""
    return access.restrict(Plan, actor, access.VIEW).order_by("-period_start", "-id").first()


def _shift(day: datetime.date | None, months: int) -> datetime.date | None:
    return None if day is None else add_months(day, months)


@transaction.atomic
def plan_copy(*, actor: Any, plan: Plan) -> Plan:
    """A draft copy of ``plan`` for the next period: settings, departments and indicators,
    every date shifted by one period (a quarter plan 2026Q1 → 2026Q2)."""
    _require_drafter(actor)
    source = Plan.objects.get(pk=plan.pk)
    access.ensure(actor, access.VIEW, source)
    months = MONTHS[source.period_kind]
    start = add_months(source.period_start, months)
    old_label = period_label(source.period_kind, source.period_start)
    new_label = period_label(source.period_kind, start)
    name = (
        source.name.replace(old_label, new_label)
        if old_label in source.name
        else f"{source.name} ({new_label})"
    )
    copy = Plan(
        company_id=source.company_id,
        name=name[:200],
        period_kind=source.period_kind,
        period_start=start,
        period_end=period_end(source.period_kind, start),
        company_level=source.company_level,
        results_share=source.results_share,
        competency_share=source.competency_share,
        grade_bands=source.grade_bands,
        distribution=source.distribution,
        weight_360=source.weight_360,
        anonymous_360=source.anonymous_360,
        questions_360=source.questions_360,
        outcomes=source.outcomes,
        appeal_days=source.appeal_days,
        copied_from=source,
        created_by=_user(actor),
        **{name_: _shift(getattr(source, name_), months) for name_ in DEADLINES},
    )
    _validate_settings(copy)
    copy.save()
    parts = list(PlanDepartment.objects.filter(plan=source).order_by("id"))
    for part in parts:
        PlanDepartment.objects.create(
            company_id=copy.company_id, plan=copy, department_id=part.department_id
        )
    for ind in PlanIndicator.objects.filter(plan=source).order_by("category", "order", "id"):
        PlanIndicator.objects.create(
            company_id=copy.company_id,
            plan=copy,
            template_id=ind.template_id,
            department_id=ind.department_id,
            position_id=ind.position_id,
            order=ind.order,
            **{f: getattr(ind, f) for f in TEMPLATE_COPY_FIELDS},
        )
    access.ensure(actor, access.CHANGE, copy)
    return copy


# --- designer edits -----------------------------------------------------------------------------


def can_edit(actor: Any, plan: Plan) -> bool:
    """Draft: the plan office (performance manager, HR VP); HR review: the HR VP, whose every
    edit is shown to reviewers as a diff."""
    scope = get_scope(actor)
    if plan.status == P.DRAFT:
        return is_plan_office(scope)
    if plan.status == P.HR_REVIEW:
        return _has_role(actor, Role.HR_VP)
    return False


def _editable(actor: Any, plan: Plan, version: int | None) -> None:
    if plan.status not in EDITABLE_STATUSES:
        raise TransitionError(
            _("The plan is %(status)s: it can no longer be edited.")
            % {"status": plan.get_status_display()},
            code="not_editable",
        )
    if not can_edit(actor, plan):
        raise PermissionDenied
    bump_version(plan, expected_version=version)


@transaction.atomic
def plan_update(
    *,
    actor: Any,
    plan: Plan,
    version: int | None,
    departments: list[Department] | None = None,
    **changes: Any,
) -> Plan:
    """Change the plan's settings (and, with ``departments``, the covered departments)."""
    plan = _locked(plan, actor)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    _editable(actor, plan, version)
    for key, value in changes.items():
        setattr(plan, key, value)
    _validate_settings(plan)
    plan.save()
    if departments is not None:
        _set_departments(plan, _company_departments(plan.company_id, departments))
    return plan


def _set_departments(plan: Plan, departments: list[Department]) -> None:
    if not departments:
        raise ValidationError({"departments": _("Choose the departments the plan covers.")})
    wanted = {d.pk for d in departments}
    current = {p.department_id: p for p in PlanDepartment.objects.filter(plan=plan)}
    dropped = set(current) - wanted
    if dropped:
        used = list(
            PlanIndicator.objects.filter(plan=plan, department_id__in=dropped)
            .values_list("department__name", flat=True)
            .distinct()
        )
        if used:
            raise ValidationError(
                {"departments": _("Remove the indicators of %s first.") % "、".join(used)}
            )
        for pk in dropped:
            current[pk].delete()
    for pk in wanted - set(current):
        PlanDepartment.objects.create(company_id=plan.company_id, plan=plan, department_id=pk)


def _covered(plan: Plan) -> set[int]:
    return set(PlanDepartment.objects.filter(plan=plan).values_list("department_id", flat=True))


@transaction.atomic
def plan_indicator_add(
    *, actor: Any, plan: Plan, version: int | None, **fields: Any
) -> PlanIndicator:
    """Add an indicator to a plan being drafted (or reviewed by the HR VP)."""
    plan = _locked(plan, actor)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %s") % ", ".join(sorted(unknown)))
    _editable(actor, plan, version)
    indicator = PlanIndicator(company_id=plan.company_id, plan=plan, **fields)
    _validate_indicator(indicator, _covered(plan))
    indicator.save()
    plan.save()  # the version bump in the plan's log
    return indicator


@transaction.atomic
def plan_indicators_from_library(
    *,
    actor: Any,
    plan: Plan,
    version: int | None,
    templates: list[IndicatorTemplate],
    department: Department | None = None,
    position: Position | None = None,
) -> list[PlanIndicator]:
    """Copy library templates into the plan, for every covered department or one department /
    position."""
    plan = _locked(plan, actor)
    _editable(actor, plan, version)
    covered = _covered(plan)
    start = PlanIndicator.objects.filter(plan=plan).count()
    created = []
    for i, template in enumerate(templates):
        if template.company_id != plan.company_id:
            raise ValidationError({"templates": _("This template belongs to another company.")})
        indicator = _indicator_from_template(plan, template, department, position, start + i)
        _validate_indicator(indicator, covered)
        indicator.save()
        created.append(indicator)
    plan.save()
    return created


def _locked_indicator(indicator: PlanIndicator, actor: Any) -> tuple[Plan, PlanIndicator]:
    plan = _locked(indicator.plan_id, actor)
    indicator = PlanIndicator.objects.select_for_update().get(pk=indicator.pk, plan=plan)
    return plan, indicator


@transaction.atomic
def plan_indicator_update(
    *, actor: Any, indicator: PlanIndicator, version: int | None, **changes: Any
) -> PlanIndicator:
    """Edit a plan indicator; ``version`` is the plan's (every edit is a new plan version)."""
    plan, indicator = _locked_indicator(indicator, actor)
    unknown = set(changes) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    _editable(actor, plan, version)
    for key, value in changes.items():
        setattr(indicator, key, value)
    _validate_indicator(indicator, _covered(plan))
    bump_version(indicator, expected_version=indicator.version)
    indicator.save()
    plan.save()
    return indicator


@transaction.atomic
def plan_indicator_remove(*, actor: Any, indicator: PlanIndicator, version: int | None) -> Plan:
    plan, indicator = _locked_indicator(indicator, actor)
    _editable(actor, plan, version)
    if ScorecardItem.objects.filter(indicator=indicator).exists():  # never: plans in draft
        raise ValidationError(_("This indicator is used on scorecards."))
    indicator.delete()
    plan.save()
    return plan


# --- the approval chain and the stages ------------------------------------------------------------


def _comment(plan: Plan, actor: Any, step: str, body: str, department=None) -> PlanComment | None:
    body = (body or "").strip()
    user = _user(actor)
    if not body or user is None:
        return None
    comment = PlanComment(
        company_id=plan.company_id,
        plan=plan,
        author=user,
        step=step,
        body=body,
        department=department,
    )
    comment.full_clean()
    comment.save()
    return comment


def _reset_parts(plan: Plan) -> None:
    for part in PlanDepartment.objects.filter(plan=plan).exclude(
        review=R.PENDING, reviewed_by=None
    ):
        part.review = R.PENDING
        part.reviewed_by = None
        part.reviewed_at = None
        part.save()


def supervising_vps(company_id: int) -> dict[int, set[int]]:
    """{department id: VP employee ids} — the VPs whose role lists the department or its nearest
    listed ancestor (renshi.alerts.people's rule). Three queries."""
    parent = dict(Department.objects.filter(company_id=company_id).values_list("id", "parent_id"))
    listed: dict[int, set[int]] = defaultdict(set)
    through = RoleAssignment.departments.through
    for dept, emp in (
        through.objects.filter(
            roleassignment__company_id=company_id,
            roleassignment__role=Role.VICE_PRESIDENT,
        )
        .exclude(roleassignment__employee__status=Employee.Status.LEFT)
        .values_list("department_id", "roleassignment__employee_id")
    ):
        listed[dept].add(emp)
    out: dict[int, set[int]] = {}
    for dept in parent:
        node, seen = dept, set()
        while node is not None and node not in seen:
            seen.add(node)
            if listed.get(node):
                out[dept] = set(listed[node])
                break
            node = parent.get(node)
    return out


def _assign_reviews(plan: Plan) -> list[int]:
    """Entering VP review: parts with a supervising VP wait for them, the others are
    not_needed. Returns the VP employee ids who must act."""
    vps = supervising_vps(plan.company_id)
    waiting: set[int] = set()
    for part in PlanDepartment.objects.filter(plan=plan):
        found = vps.get(part.department_id, set())
        review = R.PENDING if found else R.NOT_NEEDED
        waiting |= found
        if part.review != review or part.reviewed_by_id is not None:
            part.review, part.reviewed_by, part.reviewed_at = review, None, None
            part.save()
    return sorted(waiting)


def _employee_users(employee_ids) -> list[int]:
    return list(
        Employee.objects.filter(pk__in=list(employee_ids))
        .exclude(status=Employee.Status.LEFT)
        .exclude(user_id=None)
        .values_list("user_id", flat=True)
    )


def _notify(plan: Plan, actor: Any, event: str, recipients, title: str, body: str = "") -> None:
    notification_send(
        company_id=plan.company_id,
        recipients=recipients,
        event=event,
        title=title,
        body=body,
        url=plan_url(plan),
        target=plan,
        actor=_user(actor),
    )


def _advance(plan: Plan, step: str, **extra: Any) -> None:
    workflows.PLAN.advance(plan, step, **extra)
    plan.save()


def _after_parts(plan: Plan, actor: Any) -> None:
    """Every part approved or not needed: company-level plans go to the GM, others are
    published to the departments — in the same transaction."""
    if PlanDepartment.objects.filter(plan=plan, review__in=(R.PENDING, R.RETURNED)).exists():
        return
    if plan.company_level:
        _advance(plan, "to_gm")
        _notify(
            plan,
            actor,
            events.TO_GM,
            _role_users(plan.company_id, Role.GENERAL_MANAGER),
            _("The plan “%(plan)s” waits for your filing") % {"plan": plan.name},
        )
    else:
        _advance(plan, "publish")
        publish_to_departments(plan=plan, actor=actor)


def publish_to_departments(*, plan: Plan, actor: Any) -> list[Scorecard]:
    """On reaching ``assigning``: a draft scorecard for every active employee of each covered
    department (evaluator: their manager, else the department head, else — for the head — the
    next head above, else the supervising VP), with one item per applicable indicator at its
    default weight and target. Bulk: a constant number of queries whatever the headcount."""
    covered = list(PlanDepartment.objects.filter(plan=plan).values_list("department_id", flat=True))
    tree = {
        pk: (parent, head)
        for pk, parent, head in Department.objects.filter(company_id=plan.company_id).values_list(
            "id", "parent_id", "head_id"
        )
    }
    vps = supervising_vps(plan.company_id)
    people = list(
        Employee.objects.filter(company_id=plan.company_id, department_id__in=covered)
        .exclude(status=Employee.Status.LEFT)
        .values_list("id", "department_id", "position_id", "manager_id")
        .order_by("department_id", "id")
    )
    existing = set(Scorecard.objects.filter(plan=plan).values_list("employee_id", flat=True))
    indicators = list(PlanIndicator.objects.filter(plan=plan))

    def evaluator(emp: int, dept: int, manager: int | None) -> int | None:
        if manager is not None and manager != emp:
            return manager
        node, seen = dept, set()
        while node is not None and node not in seen:
            seen.add(node)
            parent, head = tree.get(node, (None, None))
            if head is not None and head != emp:
                return head
            node = parent
        candidates = sorted(vps.get(dept, set()) - {emp})
        return candidates[0] if candidates else None

    cards = [
        Scorecard(
            company_id=plan.company_id,
            plan=plan,
            employee_id=emp,
            department_id=dept,
            evaluator_id=evaluator(emp, dept, manager),
        )
        for emp, dept, _position, manager in people
        if emp not in existing
    ]
    cards = Scorecard.objects.bulk_create(cards, batch_size=500)
    position_of = {emp: position for emp, _dept, position, _manager in people}
    items = []
    for card in cards:
        position = position_of.get(card.employee_id)
        for ind in indicators:
            if ind.department_id is not None and ind.department_id != card.department_id:
                continue
            if ind.position_id is not None and ind.position_id != position:
                continue
            items.append(
                ScorecardItem(
                    company_id=plan.company_id,
                    scorecard=card,
                    indicator=ind,
                    weight=ind.default_weight if ind.default_weight is not None else Decimal(0),
                    target=ind.default_target,
                )
            )
    items = ScorecardItem.objects.bulk_create(items, batch_size=1000)
    audit_bulk(cards, action=AuditLog.Action.CREATE)
    audit_bulk(items, action=AuditLog.Action.CREATE)
    heads = {tree.get(d, (None, None))[1] for d in covered} - {None}
    _notify(
        plan,
        actor,
        events.PUBLISHED,
        _employee_users(heads),
        _("The plan “%(plan)s” is published: assign your team's indicators") % {"plan": plan.name},
    )
    return cards


def missing_assignments(plan: Plan) -> list[str]:
    """Names of the covered departments that have not submitted their assignments."""
    return list(
        PlanDepartment.objects.filter(plan=plan, assignments_submitted_at=None)
        .order_by("department__sort_order", "department__code")
        .values_list("department__name", flat=True)
    )


def _check_step_actor(actor: Any, plan: Plan, step: str) -> None:
    """Who may take a step (raises PermissionDenied)."""
    scope = get_scope(actor)
    if step == "submit" or step in STAGE_STEPS:
        if not access.has_perm(actor, "performance.draft_plans"):
            raise PermissionDenied
    elif step in ("hr_approve", "hr_return"):
        if not _has_role(actor, Role.HR_VP):
            raise PermissionDenied
        if step == "hr_approve" and _is_submitter(actor, plan):
            raise PermissionDenied(_("Nobody approves their own plan."))
    elif step in ("gm_file", "gm_return"):
        if not _has_role(actor, Role.GENERAL_MANAGER):
            raise PermissionDenied
        if step == "gm_file" and _is_submitter(actor, plan):
            raise PermissionDenied(_("Nobody files their own plan."))
    else:
        raise TransitionError(_("Unknown step."), code="unknown")
    if scope.company_id != plan.company_id:  # never: the plan was not visible
        raise PermissionDenied


@transaction.atomic
def plan_transition(
    *, actor: Any, plan: Plan, step: str, version: int | None, comment: str = ""
) -> Plan:
    """Take one step of the plan's workflow (STEPS). The actor's right is checked first (403),
    then the state (TransitionError: an illegal or replayed step), then the version
    (ConflictError). Returns need a reason, kept as a PlanComment."""
    if step not in STEPS:
        raise TransitionError(_("Unknown step."), code="unknown")
    plan = _locked(plan, actor)
    _check_step_actor(actor, plan, step)
    workflows.PLAN.target(plan.status, step)  # TransitionError before anything is written
    comment = (comment or "").strip()
    if step in RETURN_STEPS and not comment:
        raise ValidationError({"comment": _("Say why the plan is returned.")})
    if step == "submit":
        problems = plan_problems(plan)["errors"]
        if problems:
            raise ValidationError(problems)
    if step == "start":
        missing = missing_assignments(plan)
        if missing:
            raise ValidationError(
                _("These departments have not submitted their assignments yet: %s")
                % "、".join(missing),
                code="assignments_missing",
            )
    bump_version(plan, expected_version=version)
    extra: dict[str, Any] = {}
    if step == "submit":
        extra["submitted_by"] = _user(actor)
    _advance(plan, step, **extra)
    _comment(plan, actor, step, comment)
    getattr(_Effects, step)(plan, actor, comment)
    return plan


class _Effects:
    """What follows each step (notifications, parts, scorecards)."""

    @staticmethod
    def submit(plan: Plan, actor: Any, comment: str) -> None:
        _reset_parts(plan)
        _notify(
            plan,
            actor,
            events.SUBMITTED,
            _role_users(plan.company_id, Role.HR_VP),
            _("The plan “%(plan)s” waits for your review") % {"plan": plan.name},
            comment,
        )

    @staticmethod
    def hr_approve(plan: Plan, actor: Any, comment: str) -> None:
        waiting = _assign_reviews(plan)
        if waiting:
            _notify(
                plan,
                actor,
                events.HR_APPROVED,
                _employee_users(waiting),
                _("The plan “%(plan)s” waits for your review of your departments")
                % {"plan": plan.name},
                comment,
            )
        _after_parts(plan, actor)

    @staticmethod
    def _returned(plan: Plan, actor: Any, comment: str) -> None:
        _reset_parts(plan)
        recipients = _role_users(plan.company_id, Role.PERFORMANCE_MANAGER)
        if plan.submitted_by_id:
            recipients.append(plan.submitted_by_id)
        _notify(
            plan,
            actor,
            events.RETURNED,
            recipients,
            _("The plan “%(plan)s” was returned") % {"plan": plan.name},
            comment,
        )

    hr_return = gm_return = _returned

    @staticmethod
    def gm_file(plan: Plan, actor: Any, comment: str) -> None:
        publish_to_departments(plan=plan, actor=actor)

    @staticmethod
    def start(plan: Plan, actor: Any, comment: str) -> None:
        employees = Scorecard.objects.filter(plan=plan).values_list("employee_id", flat=True)
        _notify(
            plan,
            actor,
            events.STARTED,
            _employee_users(employees),
            _("The performance period “%(plan)s” has started") % {"plan": plan.name},
        )

    @staticmethod
    def open_self_evaluation(plan: Plan, actor: Any, comment: str) -> None:
        employees = Scorecard.objects.filter(plan=plan).values_list("employee_id", flat=True)
        _notify(
            plan,
            actor,
            events.SELF_EVALUATION,
            _employee_users(employees),
            _("Self-evaluation of “%(plan)s” is open") % {"plan": plan.name},
            _("Deadline: %s") % plan.self_eval_deadline if plan.self_eval_deadline else "",
        )

    @staticmethod
    def open_manager_evaluation(plan: Plan, actor: Any, comment: str) -> None:
        evaluators = (
            Scorecard.objects.filter(plan=plan)
            .exclude(evaluator_id=None)
            .values_list("evaluator_id", flat=True)
            .distinct()
        )
        _notify(
            plan,
            actor,
            events.MANAGER_EVALUATION,
            _employee_users(evaluators),
            _("Manager evaluation of “%(plan)s” is open: evaluate your team") % {"plan": plan.name},
            _("Deadline: %s") % plan.manager_eval_deadline if plan.manager_eval_deadline else "",
        )

    @staticmethod
    def open_calibration(plan: Plan, actor: Any, comment: str) -> None:
        _notify(
            plan,
            actor,
            events.CALIBRATION,
            _role_users(plan.company_id, Role.HR_VP, Role.GENERAL_MANAGER),
            _("Calibration of “%(plan)s” is open") % {"plan": plan.name},
        )


def can_review_part(actor: Any, plan: Plan, part: PlanDepartment) -> bool:
    scope = get_scope(actor)
    return (
        plan.status == P.VP_REVIEW
        and part.review == R.PENDING
        and scope.employee_id is not None
        and not scope.is_api_key
        and scope.has_role(Role.VICE_PRESIDENT)
        and part.department_id in scope.supervised_department_ids
        and not _is_submitter(actor, plan)
    )


@transaction.atomic
def plan_part_review(
    *,
    actor: Any,
    part: PlanDepartment,
    decision: str,
    version: int | None,
    comment: str = "",
) -> Plan:
    """A supervising VP approves or returns their department's part of a plan in VP review.
    ``version`` is the plan's version the VP read (a plan edited or returned since → 409).
    The last approval moves the plan on; a return sends it back to draft and resets the
    parts."""
    plan = _locked(part.plan_id, actor)
    part = (
        PlanDepartment.objects.select_for_update()
        .select_related("department")
        .get(pk=part.pk, plan=plan)
    )
    if decision not in ("approve", "return"):
        raise TransitionError(_("Unknown step."), code="unknown")
    scope = get_scope(actor)
    if not (
        scope.employee_id is not None
        and not scope.is_api_key
        and scope.has_role(Role.VICE_PRESIDENT)
        and part.department_id in scope.supervised_department_ids
    ):
        raise PermissionDenied
    if _is_submitter(actor, plan):
        raise PermissionDenied(_("Nobody approves their own plan."))
    if plan.status != P.VP_REVIEW:
        raise TransitionError(
            _("This step is not possible in the current state."), code="not_allowed"
        )
    if part.review != R.PENDING:
        raise TransitionError(
            _("%(department)s has already been decided.") % {"department": part.department.name},
            code="decided",
        )
    if version is not None and version != plan.version:
        raise ConflictError(current_version=plan.version)
    comment = (comment or "").strip()
    if decision == "return":
        if not comment:
            raise ValidationError({"comment": _("Say why the plan is returned.")})
        part.review, part.reviewed_by, part.reviewed_at = R.RETURNED, _user(actor), timezone.now()
        part.save()
        _comment(plan, actor, "vp_return", comment, department=part.department)
        bump_version(plan, expected_version=plan.version)
        _advance(plan, "vp_return")
        _Effects._returned(plan, actor, comment)
        return plan
    part.review, part.reviewed_by, part.reviewed_at = R.APPROVED, _user(actor), timezone.now()
    part.save()
    _comment(plan, actor, "vp_approve", comment, department=part.department)
    if not PlanDepartment.objects.filter(plan=plan, review=R.PENDING).exists():
        bump_version(plan, expected_version=plan.version)
        _after_parts(plan, actor)
    return plan


def available_steps(*, actor: Any, plan: Plan) -> list[str]:
    """The steps ``actor`` may take now (the page's buttons; the services decide again)."""
    steps = []
    for transition in workflows.PLAN.available(plan.status):
        if transition.name not in STEPS:
            continue
        try:
            _check_step_actor(actor, plan, transition.name)
        except (PermissionDenied, TransitionError):
            continue
        steps.append(transition.name)
    return steps


def reviewable_parts(*, actor: Any, plan: Plan, parts) -> list[PlanDepartment]:
    return [p for p in parts if can_review_part(actor, plan, p)]
