"""The goals' alert rules (renshi.alerts.registry) and the evaluation after each ingestion.

Evaluators (docs/alerts.md has the table; defaults from the seeds):
* ``goals.individual_below_pace`` — an active individual KPI whose pace (progress ÷ elapsed
  share, the number its goal page shows) is below the threshold (0.70) → the owner and their
  head; escalation: the head's manager (else the supervising VP).
* ``goals.department_below_pace`` — an active department goal below 0.80 (its displayed
  progress: own measure, else the roll-up of its approved children) → the VP(s) supervising the
  department; escalation: the general manager.
* ``goals.weekly_metric_below_plan`` — individual KPIs fed by a metric (``params.metric``,
  default ``crm.new_customers``): this ISO week's data points against the week's plan (the
  target × the share of the period's working days that fall in this week so far) below 1.0 →
  the salesperson and the sales head; escalation as for individual goals. A week whose plan so
  far is under ``params.min_plan`` (default 1 unit) is not checked: "0 new customers against a
  plan of 0.14" is noise, and low-volume KPIs are followed by the pace rule instead.

Each evaluator reads in bulk: a fixed number of queries whatever the number of goals.
Goals are evaluated while in their period: from the day after their start to the day after
their deadline (the last day's work is counted the next morning).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Sum
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from renshi.alerts import pace as workdays
from renshi.alerts.people import org_index
from renshi.alerts.registry import Finding, register_evaluator
from renshi.metrics.models import DataPoint, Metric, SubjectKind
from renshi.metrics.signals import points_ingested
from renshi.org.models import Role

from . import progress as engine
from .models import Goal
from .selectors import compute_nodes, goal_share, pace_inputs

logger = logging.getLogger(__name__)

INDIVIDUAL = "goals.individual_below_pace"
DEPARTMENT = "goals.department_below_pace"
WEEKLY = "goals.weekly_metric_below_plan"
DEFAULT_METRIC = "crm.new_customers"
DEFAULT_MIN_PLAN = "1"
ONE_DAY = datetime.timedelta(days=1)

T_TITLE_INDIVIDUAL = _("%(owner)s: %(goal)s at %(completion)s of pace")
T_TITLE_DEPARTMENT = _("%(department)s: %(goal)s at %(completion)s of pace")
T_TITLE_WEEKLY = _("%(owner)s: %(metric)s this week %(actual)s of plan %(plan)s")
T_BELOW = _("completion %(completion)s < threshold %(threshold)s: alert")
T_EXPECTED_ACTUAL = _(
    "expected to date: %(baseline)s + (%(target)s − %(baseline)s) × %(share)s = %(expected)s"
)
T_WEEK = _("this week: %(monday)s to %(today)s; elapsed share on Monday %(before)s, now %(now)s")
T_WEEK_PLAN = _("plan this week: %(span)s × (%(now)s − %(before)s) = %(plan)s")
T_WEEK_ACTUAL = _("%(metric)s from %(monday)s to %(today)s: %(actual)s (%(points)s data points)")


ROW_FIELDS = (
    "id",
    "parent_id",
    "level",
    "title",
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
    "metric_key",
    "owner_id",
    "department_id",
    "owner__name",
    "owner__department_id",
    "department__name",
)


class GoalRow:
    """The columns of a goal the engine and the evaluators read, without a model instance
    (10,000 goals load several times faster as plain rows)."""

    __slots__ = (*(f.replace("__", "_") for f in ROW_FIELDS), "pk")

    def __init__(self, values):
        for name, value in zip(self.__slots__, values, strict=False):
            setattr(self, name, value)
        self.pk = self.id


def goal_rows(queryset) -> list[GoalRow]:
    return [GoalRow(values) for values in queryset.values_list(*ROW_FIELDS)]


def period_key(start: datetime.date, end: datetime.date) -> str:
    """ "2026" for a calendar-year goal, else "2026-01-01~2026-06-30"."""
    if (
        start.year == end.year
        and (start.month, start.day) == (1, 1)
        and (end.month, end.day)
        == (
            12,
            31,
        )
    ):
        return str(start.year)
    return f"{start.isoformat()}~{end.isoformat()}"


def week_key(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _in_period(queryset, today: datetime.date):
    return queryset.filter(start_date__lt=today, deadline__gte=today - ONE_DAY)


_URL_MARK = 987654321


@lru_cache(maxsize=8)
def _goal_url_template(script_prefix: str) -> str:
    return reverse("goals:goal_detail", kwargs={"pk": _URL_MARK})


def _goal_url(pk: int) -> str:
    """The goal page's path without resolving URLs 10,000 times (one reverse per prefix)."""
    return _goal_url_template(get_script_prefix()).replace(str(_URL_MARK), str(pk))


def _goal_type() -> ContentType:
    return ContentType.objects.get_for_model(Goal)


def _expected_actual(goal: Goal, share: Decimal) -> tuple[Decimal | None, list]:
    """The actual the goal should show by now: baseline + (target − baseline) × share."""
    if goal.direction == Goal.Direction.RANGE or goal.target is None:
        return None, []
    baseline = goal.baseline if goal.baseline is not None else Decimal(0)
    expected = baseline + (goal.target - baseline) * share
    params = {"baseline": engine.Num(baseline), "target": engine.Num(goal.target)}
    params.update(share=engine.Pct(share), expected=engine.Num(expected))
    return expected, [workdays.Step(T_EXPECTED_ACTUAL, params)]


def _below(node, threshold: Decimal) -> bool:
    pace = node.pace
    return (
        pace is not None
        and pace.ratio is not None
        and pace.status not in (engine.DONE, engine.NO_DATA, engine.NOT_STARTED)
        and pace.ratio < threshold
    )


def _pace_trace(node, threshold: Decimal) -> list:
    """The goal page's explanation (progress, elapsed share, ratio) and the rule's comparison
    (instead of the page's status line, whose thresholds are the page's)."""
    pace_steps = list(node.pace.trace)[:-1]
    below = workdays.Step(
        T_BELOW, {"completion": engine.Pct(node.pace.ratio), "threshold": engine.Pct(threshold)}
    )
    return [*node.progress.trace, *pace_steps, below]


def evaluate_individual(rule, today: datetime.date) -> Iterator[Finding]:
    company_id = rule.company_id
    goals = goal_rows(
        _in_period(
            Goal.objects.filter(
                company_id=company_id,
                level=Goal.Level.INDIVIDUAL,
                status=Goal.Status.ACTIVE,
                owner__isnull=False,
            ),
            today,
        )
    )
    if not goals:
        return
    calendar, curves = pace_inputs(company_id)
    nodes = compute_nodes(goals, today=today, calendar=calendar, curves=curves)
    org = org_index(company_id)
    goal_type = _goal_type()
    threshold = rule.threshold
    for node in nodes.values():
        if not _below(node, threshold):
            continue
        g = node.goal
        head = org.head_of(g.owner_id)
        escalation = org.level_up(head) if head else org.supervising_vps(g.owner_department_id)
        expected, expected_steps = _expected_actual(g, node.pace.elapsed)
        title = workdays.Step(
            T_TITLE_INDIVIDUAL,
            {"owner": g.owner_name, "goal": g.title, "completion": engine.Pct(node.pace.ratio)},
        )
        yield Finding(
            subject=(goal_type, g.pk),
            period_key=period_key(g.start_date, g.deadline),
            title=title,
            url=_goal_url(g.pk),
            actual=g.actual,
            expected=expected,
            completion=node.pace.ratio,
            threshold=threshold,
            trace=[*_pace_trace(node, threshold), *expected_steps],
            recipients=org.users([g.owner_id, head]),
            escalation=org.users(sorted(escalation)),
            employee_id=g.owner_id,
            department_id=g.owner_department_id,
            subject_repr=f"{g.owner_name}: {g.title}",
        )


def evaluate_department(rule, today: datetime.date) -> Iterator[Finding]:
    company_id = rule.company_id
    map_ids = (
        _in_period(
            Goal.objects.filter(
                company_id=company_id, level=Goal.Level.DEPARTMENT, status=Goal.Status.ACTIVE
            ),
            today,
        )
        .values("strategy_map_id")
        .distinct()
    )
    # the whole trees of those maps, as the company-wide pages see them (roll-ups included)
    goals = goal_rows(Goal.objects.filter(company_id=company_id, strategy_map_id__in=map_ids))
    if not goals:
        return
    calendar, curves = pace_inputs(company_id)
    nodes = compute_nodes(goals, today=today, calendar=calendar, curves=curves)
    org = org_index(company_id)
    gms = org.users(sorted(org.holders(Role.GENERAL_MANAGER)))
    goal_type = _goal_type()
    threshold = rule.threshold
    yesterday = today - ONE_DAY
    for node in nodes.values():
        g = node.goal
        if (
            g.level != Goal.Level.DEPARTMENT
            or g.status != Goal.Status.ACTIVE
            or g.department_id is None
            or not (g.start_date < today and g.deadline >= yesterday)
            or not _below(node, threshold)
        ):
            continue
        expected, expected_steps = _expected_actual(g, node.pace.elapsed)
        if node.measured is False:
            expected, expected_steps = None, []  # progress from the children: no single actual
        title = workdays.Step(
            T_TITLE_DEPARTMENT,
            {
                "department": g.department_name,
                "goal": g.title,
                "completion": engine.Pct(node.pace.ratio),
            },
        )
        yield Finding(
            subject=(goal_type, g.pk),
            period_key=period_key(g.start_date, g.deadline),
            title=title,
            url=_goal_url(g.pk),
            actual=g.actual if node.measured else None,
            expected=expected,
            completion=node.pace.ratio,
            threshold=threshold,
            trace=[*_pace_trace(node, threshold), *expected_steps],
            recipients=org.users(sorted(org.supervising_vps(g.department_id))),
            escalation=gms,
            department_id=g.department_id,
            subject_repr=f"{g.department_name}: {g.title}",
        )


def _goal_periods(rule, today: datetime.date, **filters) -> set[str]:
    rows = (
        _in_period(Goal.objects.filter(company_id=rule.company_id, **filters), today)
        .values_list("start_date", "deadline")
        .distinct()
    )
    return {period_key(start, end) for start, end in rows}


def individual_periods(rule, today: datetime.date) -> set[str]:
    return _goal_periods(rule, today, level=Goal.Level.INDIVIDUAL, status=Goal.Status.ACTIVE)


def department_periods(rule, today: datetime.date) -> set[str]:
    return _goal_periods(rule, today, level=Goal.Level.DEPARTMENT, status=Goal.Status.ACTIVE)


def evaluate_weekly(rule, today: datetime.date) -> Iterator[Finding]:
    company_id = rule.company_id
    key = (rule.params or {}).get("metric") or DEFAULT_METRIC
    try:  # a week planned at less than this is not checked (see the module docstring)
        min_plan = Decimal(str((rule.params or {}).get("min_plan", DEFAULT_MIN_PLAN)))
    except ArithmeticError:
        min_plan = Decimal(DEFAULT_MIN_PLAN)
    metric = Metric.objects.filter(company_id=company_id, key=key).first()
    if metric is None:
        return
    goals = goal_rows(
        _in_period(
            Goal.objects.filter(
                company_id=company_id,
                level=Goal.Level.INDIVIDUAL,
                status=Goal.Status.ACTIVE,
                owner__isnull=False,
                metric_key=key,
                target__isnull=False,
            ).exclude(direction=Goal.Direction.RANGE),
            today,
        )
    )
    if not goals:
        return
    monday = today - datetime.timedelta(days=today.weekday())
    sums = {
        row["subject_id"]: (row["total"], row["points"])
        for row in DataPoint.objects.filter(
            metric=metric,
            subject_kind=SubjectKind.EMPLOYEE,
            subject_id__in={g.owner_id for g in goals},
            date__range=(monday, today),
        )
        .values("subject_id")
        .annotate(total=Sum("value"), points=Count("id"))
    }
    calendar, curves = pace_inputs(company_id)
    org = org_index(company_id)
    goal_type = _goal_type()
    threshold = rule.threshold
    week = week_key(today)
    for g in goals:
        now = goal_share(g, today, calendar, curves)
        before = goal_share(g, max(monday, g.start_date), calendar, curves)
        baseline = g.baseline if g.baseline is not None else Decimal(0)
        span = abs(g.target - baseline)
        plan = workdays.expected_to_date(span, now.value - before.value)
        if plan <= 0 or plan < min_plan:
            continue
        total, points = sums.get(g.owner_id, (Decimal(0), 0))
        total = Decimal(total or 0)
        value = workdays.completion(total, plan)
        if value is None or value >= threshold:
            continue
        head = org.head_of(g.owner_id)
        escalation = org.level_up(head) if head else org.supervising_vps(g.owner_department_id)
        steps = [
            workdays.Step(
                T_WEEK,
                {
                    "monday": monday,
                    "today": today,
                    "before": engine.Pct(before.value),
                    "now": engine.Pct(now.value),
                },
            ),
            *now.trace,
            workdays.Step(
                T_WEEK_PLAN,
                {
                    "span": engine.Num(span),
                    "now": engine.Pct(now.value),
                    "before": engine.Pct(before.value),
                    "plan": engine.Num(plan.quantize(Decimal("0.01"))),
                },
            ),
            workdays.Step(
                T_WEEK_ACTUAL,
                {
                    "metric": metric.name,
                    "monday": monday,
                    "today": today,
                    "actual": engine.Num(total),
                    "points": points or 0,
                },
            ),
            workdays.completion_step(total, plan.quantize(Decimal("0.01")), value),
            workdays.Step(
                T_BELOW, {"completion": engine.Pct(value), "threshold": engine.Pct(threshold)}
            ),
        ]
        title = workdays.Step(
            T_TITLE_WEEKLY,
            {
                "owner": g.owner_name,
                "metric": metric.name,
                "actual": engine.Num(total),
                "plan": engine.Num(plan.quantize(Decimal("0.1"))),
            },
        )
        yield Finding(
            subject=(goal_type, g.pk),
            period_key=week,
            title=title,
            url=_goal_url(g.pk),
            actual=total,
            expected=plan,
            completion=value,
            threshold=threshold,
            trace=steps,
            recipients=org.users([g.owner_id, head]),
            escalation=org.users(sorted(escalation)),
            employee_id=g.owner_id,
            department_id=g.owner_department_id,
            subject_repr=f"{g.owner_name}: {g.title}",
        )


def weekly_periods(rule, today: datetime.date) -> set[str]:
    return {week_key(today)}


register_evaluator(
    INDIVIDUAL,
    _("Individual goal below pace"),
    evaluate_individual,
    default_threshold=Decimal("0.7"),
    default_escalate_after_days=3,
    description=_(
        "An active individual KPI whose completion (progress ÷ elapsed share of its period in "
        "working days) is below the threshold: the employee and their department manager; "
        "escalated to the manager's manager (or the supervising VP)."
    ),
    periods=individual_periods,
)
register_evaluator(
    DEPARTMENT,
    _("Department goal below pace"),
    evaluate_department,
    default_threshold=Decimal("0.8"),
    default_escalate_after_days=5,
    description=_(
        "An active department goal (its own measure, else the roll-up of its children) below "
        "the threshold of pace: the VP supervising the department; escalated to the general "
        "manager."
    ),
    periods=department_periods,
)
register_evaluator(
    WEEKLY,
    _("Weekly metric below plan"),
    evaluate_weekly,
    default_threshold=Decimal("1.0"),
    default_escalate_after_days=2,
    description=_(
        "Individual KPIs fed by a metric (default: new customers): this week's data points "
        "below the week's plan (target × this week's share of the period's working days): the "
        "salesperson and the sales manager."
    ),
    default_params={"metric": DEFAULT_METRIC, "min_plan": DEFAULT_MIN_PLAN},
    periods=weekly_periods,
)


# --- after each ingestion batch ---------------------------------------------------------------


def _on_points_ingested(sender, *, company_id: int, **kwargs) -> None:
    """A batch of points committed: evaluate the company's rules in the background (the goals'
    actuals are recomputed first by renshi.goals.actuals, whose receiver is connected first)."""
    from renshi.alerts.tasks import alerts_evaluate_task

    try:
        alerts_evaluate_task.enqueue(company_id)
    except Exception:  # the daily run catches up
        logger.exception("could not enqueue the alert evaluation of company %s", company_id)


points_ingested.connect(_on_points_ingested, dispatch_uid="renshi.goals.alerts.points_ingested")
