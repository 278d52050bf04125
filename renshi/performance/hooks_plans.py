"""Registrations of the plans part (notification events, alert evaluators, menu entries),
imported when the app is ready.

Events (the people who must act next; docs/performance-plans.md, "Notifications"):
``performance.plan_submitted`` (HR VP), ``performance.plan_hr_approved`` (supervising VPs),
``performance.plan_to_gm`` (GM), ``performance.plan_published`` (heads of the covered
departments), ``performance.plan_started`` (employees), ``performance.plan_self_evaluation``
(employees), ``performance.plan_manager_evaluation`` (evaluators),
``performance.plan_calibration`` (HR VP, GM), ``performance.plan_returned`` (performance
manager).

Alert rule ``performance.stage_overdue``: a stage past its deadline → the owners who have not
acted and the HR VP (escalation: the GM).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from renshi.alerts.pace import Step
from renshi.alerts.people import org_index
from renshi.alerts.registry import Finding, register_evaluator
from renshi.core.context_processors import nav_add
from renshi.notifications.events import EMAIL, INBOX, register_event
from renshi.org.models import Role

from .models import Plan, PlanDepartment, Scorecard

SUBMITTED = "performance.plan_submitted"
HR_APPROVED = "performance.plan_hr_approved"
TO_GM = "performance.plan_to_gm"
PUBLISHED = "performance.plan_published"
STARTED = "performance.plan_started"
SELF_EVALUATION = "performance.plan_self_evaluation"
MANAGER_EVALUATION = "performance.plan_manager_evaluation"
CALIBRATION = "performance.plan_calibration"
RETURNED = "performance.plan_returned"

ACT = (INBOX, EMAIL)  # somebody must act: e-mail too by default
register_event(SUBMITTED, _("A performance plan waits for my review (HR VP)"), default_channels=ACT)
register_event(
    HR_APPROVED, _("A performance plan waits for my review of my departments"), default_channels=ACT
)
register_event(TO_GM, _("A performance plan waits for my filing"), default_channels=ACT)
register_event(
    PUBLISHED, _("A performance plan is published to my department"), default_channels=ACT
)
register_event(STARTED, _("A performance period I take part in has started"))
register_event(SELF_EVALUATION, _("Self-evaluation is open"), default_channels=ACT)
register_event(MANAGER_EVALUATION, _("Manager evaluation is open"), default_channels=ACT)
register_event(CALIBRATION, _("Calibration of a performance plan is open"))
register_event(RETURNED, _("A performance plan I drafted was returned"), default_channels=ACT)

nav_add(_("Performance plans"), "performance:plan_list", "performance.view", "performance")
nav_add(
    _("Indicator library"), "performance:library_list", "performance.manage_library", "performance"
)


# --- alert: a stage past its deadline ---------------------------------------------------------------

STAGE_OVERDUE = "performance.stage_overdue"
T_ASSIGN = _("%(department)s has not submitted the assignments of %(plan)s (deadline %(deadline)s)")
T_SELF = _("%(employee)s has not self-evaluated in %(plan)s (deadline %(deadline)s)")
T_MANAGER = _("%(employee)s has not been evaluated in %(plan)s (deadline %(deadline)s)")
T_LATE = _("%(stage)s: deadline %(deadline)s passed, %(days)s day(s) late")

# scorecard statuses that still owe the stage's work
OWES_SELF = (
    Scorecard.Status.DRAFT,
    Scorecard.Status.SENT,
    Scorecard.Status.OBJECTED,
    Scorecard.Status.CONFIRMED,
)
OWES_EVALUATION = (*OWES_SELF, Scorecard.Status.SELF_EVALUATED)


def _plan_url(pk: int) -> str:
    return reverse("performance:plan_detail", kwargs={"pk": pk})


def evaluate_stage_overdue(rule, today: datetime.date) -> Iterator[Finding]:
    """Plans of the company in a stage whose deadline is before today: the departments without
    submitted assignments (assigning), the employees without self-evaluation (self_eval), the
    scorecards without the manager's evaluation (manager_eval). Bulk reads: a fixed number of
    queries whatever the headcount. The threshold is not used (late is late)."""
    company_id = rule.company_id
    plans = list(
        Plan.objects.filter(company_id=company_id)
        .filter(
            models_q_late(today),
        )
        .values("id", "name", "status", "assign_deadline", "self_eval_deadline",
                "manager_eval_deadline")
    )  # fmt: skip
    if not plans:
        return
    org = org_index(company_id)
    hr = org.users(sorted(org.holders(Role.HR_VP)))
    gm = org.users(sorted(org.holders(Role.GENERAL_MANAGER)))
    by_id = {p["id"]: p for p in plans}
    assigning = [p["id"] for p in plans if p["status"] == Plan.Status.ASSIGNING]
    self_eval = [p["id"] for p in plans if p["status"] == Plan.Status.SELF_EVALUATION]
    manager_eval = [p["id"] for p in plans if p["status"] == Plan.Status.MANAGER_EVALUATION]
    part_type = ContentType.objects.get_for_model(PlanDepartment)
    card_type = ContentType.objects.get_for_model(Scorecard)

    def late(stage, deadline) -> Step:
        return Step(T_LATE, {"stage": stage, "deadline": deadline, "days": (today - deadline).days})

    if assigning:
        for pk, plan_id, dept, dept_name in PlanDepartment.objects.filter(
            plan_id__in=assigning, assignments_submitted_at=None
        ).values_list("id", "plan_id", "department_id", "department__name"):
            plan = by_id[plan_id]
            deadline = plan["assign_deadline"]
            head = org.head.get(dept)
            yield Finding(
                subject=(part_type, pk),
                period_key=f"plan-{plan_id}-assign",
                title=Step(
                    T_ASSIGN, {"department": dept_name, "plan": plan["name"], "deadline": deadline}
                ),
                url=_plan_url(plan_id),
                trace=[late(Plan.Status.ASSIGNING.label, deadline)],
                recipients=[*hr, *org.users([head])],
                escalation=gm,
                department_id=dept,
                subject_repr=f"{plan['name']}: {dept_name}",
            )
    for plan_ids, owes, kind in (
        (self_eval, OWES_SELF, "self"),
        (manager_eval, OWES_EVALUATION, "manager"),
    ):
        if not plan_ids:
            continue
        rows = Scorecard.objects.filter(plan_id__in=plan_ids, status__in=owes).values_list(
            "id", "plan_id", "employee_id", "employee__name", "evaluator_id", "department_id"
        )
        for pk, plan_id, emp, emp_name, evaluator, dept in rows:
            plan = by_id[plan_id]
            if kind == "self":
                deadline, template, owner = plan["self_eval_deadline"], T_SELF, emp
                stage = Plan.Status.SELF_EVALUATION.label
            else:
                deadline, template = plan["manager_eval_deadline"], T_MANAGER
                owner = evaluator if evaluator is not None else org.head_of(emp)
                stage = Plan.Status.MANAGER_EVALUATION.label
            yield Finding(
                subject=(card_type, pk),
                period_key=f"plan-{plan_id}-{kind}",
                title=Step(
                    template, {"employee": emp_name, "plan": plan["name"], "deadline": deadline}
                ),
                url=_plan_url(plan_id),
                trace=[late(stage, deadline)],
                recipients=[*hr, *org.users([owner])],
                escalation=gm,
                employee_id=emp,
                department_id=dept,
                subject_repr=f"{plan['name']}: {emp_name}",
            )


def models_q_late(today: datetime.date):
    from django.db.models import Q

    return (
        Q(status=Plan.Status.ASSIGNING, assign_deadline__lt=today)
        | Q(status=Plan.Status.SELF_EVALUATION, self_eval_deadline__lt=today)
        | Q(status=Plan.Status.MANAGER_EVALUATION, manager_eval_deadline__lt=today)
    )


register_evaluator(
    STAGE_OVERDUE,
    _("Plan stage past its deadline"),
    evaluate_stage_overdue,
    default_threshold=Decimal("1"),
    default_escalate_after_days=2,
    description=_(
        "A performance plan's stage is past its deadline: departments that have not submitted "
        "their assignments, employees without self-evaluation, scorecards without the manager's "
        "evaluation. Tells the HR VP and whoever must act; escalates to the general manager. "
        "The threshold is not used."
    ),
)
