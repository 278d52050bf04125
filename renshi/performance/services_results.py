"""Writes of the results part of a performance cycle (docs/performance-results.md):
calibration, publication, acknowledgement, appeals, improvement plans, close and reopen.

Every service is keyword-only and transactional, locks the row it changes, re-checks the
actor's right inside the transaction, compares the version the client read (stale →
``ConflictError``) and moves statuses only through ``workflows`` (an illegal or replayed step
raises ``TransitionError``, nothing changed). A closed plan is locked: every service here
refuses it (only ``plan_reopen`` acts on it).

Who:
* calibrate — the HR VP (any department) or the VP supervising the card's department, while
  the plan is in calibration, never on their own card;
* publish results, close — the performance manager;
* reopen — the HR VP, with a reason;
* acknowledge, appeal — the employee themself, on their published card (appeal: within
  ``Plan.appeal_days`` of publication);
* handle an appeal (re-score or reject, with a reason) — the performance manager, never the
  appellant (also not when they hold the role themselves);
* improvement plan — a head or VP whose scope holds the card's department, for a final grade
  below pass, never on their own card.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.core.audit import audit_bulk, audit_event, snapshot
from renshi.core.concurrency import ConflictError, bump_version
from renshi.core.models import AuditLog
from renshi.core.workflow import TransitionError
from renshi.notifications.services import Message, notification_send, notification_send_each
from renshi.org.models import Employee, Role
from renshi.org.scope import get_scope

from . import hooks_results, services_scoring, workflows
from .models import Appeal, ImprovementPlan, Plan, Scorecard, ScorecardItem

P, S = Plan.Status, Scorecard.Status
PUBLISHED_CARD_STATUSES = (S.PUBLISHED, S.ACKNOWLEDGED, S.APPEALED)
RESULT_PLAN_STATUSES = (P.CALIBRATION, P.PUBLISHED, P.CLOSED)
MAX_REASON = 4000

__all__ = [
    "ConflictError",
    "NotReadyError",
    "TransitionError",
    "appeal_create",
    "appeal_reject",
    "appeal_rescore",
    "improvement_plan_save",
    "plan_close",
    "plan_publish_results",
    "plan_reopen",
    "scorecard_acknowledge",
    "scorecard_calibrate",
]


class NotReadyError(ValidationError):
    """Publication refused: some scorecards are not evaluated (``cards`` lists them)."""

    def __init__(self, message, *, cards: list[Scorecard]):
        super().__init__(message, code="not_ready")
        self.cards = cards


# --- helpers ------------------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    if getattr(actor, "api_key", None) is not None or not getattr(actor, "pk", None):
        return None
    return actor


def _scope(actor: Any):
    scope = get_scope(actor)
    if scope.is_api_key or scope.employee_id is None:
        raise PermissionDenied
    return scope


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("Give a reason.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": MAX_REASON}})
    return reason


def _not_closed(plan: Plan) -> None:
    if plan.status == P.CLOSED:
        raise TransitionError(
            _("The plan is closed: its results are locked. The HR VP may reopen it."),
            code="closed",
        )


def _require_plan_status(plan: Plan, *statuses: str, message: str) -> None:
    _not_closed(plan)
    if plan.status not in statuses:
        raise TransitionError(message, code="not_allowed")


def _card(actor: Any, pk: int, action: str = access.VIEW) -> Scorecard:
    return access.get_object_or_404(
        Scorecard.objects.select_for_update(of=("self",)).select_related("plan", "employee"),
        actor,
        action,
        pk=pk,
    )


def _lock_plan(actor: Any, pk: int) -> Plan:
    return access.get_object_or_404(Plan.objects.select_for_update(), actor, access.VIEW, pk=pk)


def grade_keys(plan: Plan) -> list[str]:
    """The plan's grades, best first."""
    bands = sorted(services_scoring.plan_grades(plan), key=lambda b: b.lower, reverse=True)
    return [b.key for b in bands]


def below_pass(plan: Plan, grade: str) -> bool:
    """Whether a grade lies below the pass grade ("pass", or the second-lowest band)."""
    keys = grade_keys(plan)
    if grade not in keys:
        return False
    pass_index = keys.index("pass") if "pass" in keys else max(len(keys) - 2, 0)
    return keys.index(grade) > pass_index


def appeal_deadline(plan: Plan) -> datetime.datetime | None:
    if plan.published_at is None:
        return None
    return plan.published_at + datetime.timedelta(days=plan.appeal_days)


def may_calibrate(actor: Any, card: Scorecard) -> bool:
    """The HR VP (any department) or the VP supervising the card's department; never on one's
    own card."""
    scope = get_scope(actor)
    if scope.is_api_key or scope.employee_id is None or card.employee_id == scope.employee_id:
        return False
    return scope.has_role(Role.HR_VP) or card.department_id in scope.supervised_department_ids


def may_handle_appeal(actor: Any, appeal: Appeal) -> bool:
    scope = get_scope(actor)
    if scope.is_api_key or scope.employee_id is None:
        return False
    if not scope.has_role(Role.PERFORMANCE_MANAGER):
        return False
    return appeal.raised_by_id != actor.pk and appeal.scorecard.employee_id != scope.employee_id


def may_plan_improvement(actor: Any, card: Scorecard) -> bool:
    scope = get_scope(actor)
    if scope.is_api_key or scope.employee_id is None or card.employee_id == scope.employee_id:
        return False
    return card.department_id in scope.department_ids


def is_own(actor: Any, card: Scorecard) -> bool:
    scope = get_scope(actor)
    return not scope.is_api_key and scope.employee_id == card.employee_id


def _bulk_step(
    cards: models.QuerySet, workflow, step: str, source: str, *, extra: dict | None = None
) -> int:
    """Move every card of ``cards`` (all in ``source``) along ``step`` in one UPDATE, through
    the workflow table (a compare-and-set on the source status), bump their versions and write
    one audit row each (before → after)."""
    target = workflow.target(source, step)  # TransitionError when the table forbids it
    rows = list(cards.filter(status=source).order_by("pk"))
    if not rows:
        return 0
    befores = {c.pk: snapshot(c) for c in rows}
    now = timezone.now()
    fields = {"status": target, "updated_at": now, **(extra or {})}
    updated = Scorecard._base_manager.filter(pk__in=[c.pk for c in rows], status=source).update(
        version=models.F("version") + 1, **fields
    )
    if updated != len(rows):
        raise TransitionError(
            _("Someone else has just moved this on. Reload the page."), code="stale"
        )
    for card in rows:
        for key, value in fields.items():
            setattr(card, key, value)
        card.version += 1
    audit_bulk(rows, action=AuditLog.Action.UPDATE, befores=befores)
    return len(rows)


def _user_ids(employee_ids) -> list[int]:
    return [
        pk
        for pk in Employee.objects.filter(pk__in=list(employee_ids)).values_list(
            "user_id", flat=True
        )
        if pk
    ]


def _managers_of_results(company_id: int, role: str) -> list[int]:
    return [
        pk
        for pk in Employee.objects.filter(
            company_id=company_id,
            role_assignments__role=role,
        )
        .exclude(status=Employee.Status.LEFT)
        .values_list("user_id", flat=True)
        if pk
    ]


def report_url(card: Scorecard) -> str:
    return reverse("performance:results_report", kwargs={"pk": card.pk})


# --- calibration --------------------------------------------------------------------------------


@transaction.atomic
def scorecard_calibrate(
    *, actor: Any, scorecard: Scorecard, grade: str, reason: str, version: int | None
) -> Scorecard:
    """Set (or, with ``grade=""``, remove) the calibrated grade of an evaluated card, with a
    mandatory reason. The computed score and grade stay; ``final_grade`` follows the
    calibration. Audited (calibrated_grade, calibration_reason, calibrated_by before → after)."""
    _scope(actor)
    card = _card(actor, scorecard.pk)
    if not may_calibrate(actor, card):
        raise PermissionDenied
    _require_plan_status(
        card.plan,
        P.CALIBRATION,
        message=_("Grades can be calibrated only while the plan is in calibration."),
    )
    if card.status != S.EVALUATED:
        raise TransitionError(_("Only evaluated scorecards can be calibrated."), code="not_allowed")
    reason = _reason(reason)
    grade = (grade or "").strip()
    if grade and grade not in grade_keys(card.plan):
        raise ValidationError({"grade": _("Unknown grade.")})
    bump_version(card, expected_version=version)
    card.calibrated_grade = "" if grade == card.grade else grade
    card.calibration_reason = reason
    card.calibrated_by = _user(actor)
    card.save(
        update_fields=[
            "calibrated_grade",
            "calibration_reason",
            "calibrated_by",
            "version",
            "updated_at",
        ]
    )
    return card


# --- publication, close, reopen -----------------------------------------------------------------


@transaction.atomic
def plan_publish_results(*, actor: Any, plan: Plan, version: int | None) -> Plan:
    """Publish a plan's results (performance manager): every scorecard must be evaluated
    (``NotReadyError`` lists those that are not); all are scored again in bulk, moved to
    published, and each employee is notified with a link to their report."""
    access.require_perm(actor, "performance.publish_results")
    plan = _lock_plan(actor, plan.pk)
    _require_plan_status(
        plan, P.CALIBRATION, message=_("Results can be published only from calibration.")
    )
    workflows.PLAN.target(plan.status, "publish_results")
    pending = list(
        Scorecard.objects.filter(plan=plan)
        .exclude(status=S.EVALUATED)
        .select_related("employee", "department")
        .order_by("department__name", "employee__name")
    )
    if pending:
        raise NotReadyError(
            _("%(count)s scorecard(s) are not evaluated yet: %(names)s")
            % {
                "count": len(pending),
                "names": "、".join(c.employee.name for c in pending[:20])
                + ("…" if len(pending) > 20 else ""),
            },
            cards=pending,
        )
    bump_version(plan, expected_version=version)
    services_scoring.plan_score_all(plan=plan, statuses=[S.EVALUATED])
    now = timezone.now()
    cards = Scorecard.objects.filter(plan=plan)
    _bulk_step(cards, workflows.SCORECARD, "publish", S.EVALUATED, extra={"published_at": now})
    workflows.PLAN.advance(plan, "publish_results", published_at=now, closed_at=None)
    plan.save()
    rows = Scorecard.objects.filter(plan=plan).values_list("pk", "employee__user_id")
    title = _("Your result of “%(plan)s” is published") % {"plan": plan.name}
    body = _("Read your report and acknowledge it, or appeal within %(days)s days.") % {
        "days": plan.appeal_days
    }
    notification_send_each(
        company_id=plan.company_id,
        event=hooks_results.RESULTS_PUBLISHED,
        messages=[
            Message(
                recipient=user_id,
                title=title,
                body=body,
                url=reverse("performance:results_report", kwargs={"pk": pk}),
            )
            for pk, user_id in rows
            if user_id
        ],
        actor=actor,
    )
    return plan


@transaction.atomic
def plan_close(*, actor: Any, plan: Plan, version: int | None) -> Plan:
    """Close a published plan (performance manager) once the appeal window has passed and no
    appeal is open. Its results are locked from then on."""
    access.require_perm(actor, "performance.publish_results")
    plan = _lock_plan(actor, plan.pk)
    _require_plan_status(plan, P.PUBLISHED, message=_("Only published results can be closed."))
    workflows.PLAN.target(plan.status, "close")
    deadline = appeal_deadline(plan)
    if deadline is not None and timezone.now() < deadline:
        raise TransitionError(
            _("The appeal window is open until %(date)s.")
            % {"date": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
            code="window_open",
        )
    open_appeals = Appeal.objects.filter(scorecard__plan=plan, status=Appeal.Status.OPEN).count()
    if open_appeals:
        raise TransitionError(
            _("%(count)s appeal(s) are still open.") % {"count": open_appeals},
            code="open_appeals",
        )
    bump_version(plan, expected_version=version)
    workflows.PLAN.advance(plan, "close", closed_at=timezone.now())
    plan.save()
    return plan


@transaction.atomic
def plan_reopen(*, actor: Any, plan: Plan, version: int | None, reason: str) -> Plan:
    """Reopen a closed plan (HR VP, with a reason): back to calibration; its published cards
    go back to evaluated (``SCORECARD`` reopen). Audited with the reason."""
    access.require_perm(actor, "performance.reopen_results")
    plan = _lock_plan(actor, plan.pk)
    reason = _reason(reason)
    workflows.PLAN.target(plan.status, "reopen")  # only from closed
    bump_version(plan, expected_version=version)
    cards = Scorecard.objects.filter(plan=plan)
    moved = 0
    for source in (S.PUBLISHED, S.ACKNOWLEDGED):
        moved += _bulk_step(cards, workflows.SCORECARD, "reopen", source)
    workflows.PLAN.advance(plan, "reopen", closed_at=None)
    plan.save()
    audit_event(plan, "results reopened", {"reason": reason, "scorecards": moved})
    notification_send(
        company_id=plan.company_id,
        recipients=_managers_of_results(plan.company_id, Role.PERFORMANCE_MANAGER),
        event=hooks_results.PLAN_REOPENED,
        title=_("“%(plan)s” is reopened for calibration") % {"plan": plan.name},
        body=reason,
        url=reverse("performance:results_calibration", kwargs={"pk": plan.pk}),
        target=plan,
        actor=actor,
    )
    return plan


# --- the employee: acknowledge or appeal --------------------------------------------------------


def _own_published_card(actor: Any, pk: int) -> Scorecard:
    _scope(actor)
    card = _card(actor, pk)
    if not is_own(actor, card):
        raise PermissionDenied
    _require_plan_status(
        card.plan, P.PUBLISHED, message=_("The results of this plan are not published.")
    )
    return card


@transaction.atomic
def scorecard_acknowledge(*, actor: Any, scorecard: Scorecard, version: int | None) -> Scorecard:
    """The employee acknowledges their published result."""
    card = _own_published_card(actor, scorecard.pk)
    workflows.SCORECARD.target(card.status, "acknowledge")
    bump_version(card, expected_version=version)
    workflows.SCORECARD.advance(card, "acknowledge", acknowledged_at=timezone.now())
    card.save()
    return card


@transaction.atomic
def appeal_create(*, actor: Any, scorecard: Scorecard, reason: str, version: int | None) -> Appeal:
    """The employee appeals their published result within the plan's appeal window; the
    performance managers are notified."""
    card = _own_published_card(actor, scorecard.pk)
    reason = _reason(reason)
    workflows.SCORECARD.target(card.status, "appeal")
    deadline = appeal_deadline(card.plan)
    if deadline is not None and timezone.now() > deadline:
        raise TransitionError(
            _("The appeal window closed on %(date)s.")
            % {"date": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
            code="window_closed",
        )
    bump_version(card, expected_version=version)
    workflows.SCORECARD.advance(card, "appeal")
    card.save()
    appeal = Appeal(company_id=card.company_id, scorecard=card, reason=reason, raised_by=actor)
    appeal.full_clean()
    appeal.save()
    notification_send(
        company_id=card.company_id,
        recipients=_managers_of_results(card.company_id, Role.PERFORMANCE_MANAGER),
        event=hooks_results.APPEAL_RAISED,
        title=_("%(name)s appeals their result of “%(plan)s”")
        % {"name": card.employee.name, "plan": card.plan.name},
        body=reason[:500],
        url=reverse("performance:results_appeal_handle", kwargs={"pk": appeal.pk}),
        target=appeal,
        actor=actor,
    )
    return appeal


# --- appeals: the performance manager -----------------------------------------------------------


@dataclass(frozen=True)
class ItemChange:
    """A disputed item's corrected actual and/or rating (``None``: unchanged)."""

    item_id: int
    actual: Decimal | None = None
    rating: Decimal | None = None


def _open_appeal(actor: Any, pk: int, version: int | None) -> Appeal:
    scope = _scope(actor)
    appeal = access.get_object_or_404(
        Appeal.objects.select_for_update(of=("self",)).select_related(
            "scorecard__plan", "scorecard__employee"
        ),
        actor,
        access.VIEW,
        pk=pk,
    )
    if not scope.has_role(Role.PERFORMANCE_MANAGER) or not may_handle_appeal(actor, appeal):
        raise PermissionDenied
    _require_plan_status(
        appeal.scorecard.plan,
        P.PUBLISHED,
        message=_("Appeals are handled while the results are published."),
    )
    bump_version(appeal, expected_version=version)
    return appeal


def _resolve(actor: Any, appeal: Appeal, card: Scorecard, *, step: str, reason: str) -> Appeal:
    workflows.APPEAL.advance(
        appeal, step, response=reason, handled_by_id=actor.pk, handled_at=timezone.now()
    )
    appeal.save()
    card = Scorecard.objects.select_for_update().select_related("plan").get(pk=card.pk)
    bump_version(card, expected_version=card.version)
    workflows.SCORECARD.advance(card, "resolve")
    card.save()
    notification_send(
        company_id=appeal.company_id,
        recipients=[appeal.raised_by_id],
        event=hooks_results.APPEAL_HANDLED,
        title=(
            _("Your appeal of “%(plan)s” was re-scored")
            if step == "rescore"
            else _("Your appeal of “%(plan)s” was rejected")
        )
        % {"plan": card.plan.name},
        body=reason[:500],
        url=report_url(card),
        target=appeal,
        actor=actor,
    )
    return appeal


@transaction.atomic
def appeal_rescore(
    *,
    actor: Any,
    appeal: Appeal,
    version: int | None,
    reason: str,
    changes: list[ItemChange],
) -> Appeal:
    """Re-score an appeal: correct the actual/rating of the disputed items, score the card
    again (``scorecard_score``), keep the old and new score in the audit log (an event on the
    appeal) and resolve the appeal; the appellant is notified."""
    reason = _reason(reason)
    appeal = _open_appeal(actor, appeal.pk, version)
    workflows.APPEAL.target(appeal.status, "rescore")
    card = appeal.scorecard
    workflows.SCORECARD.target(card.status, "resolve")
    if not changes:
        raise ValidationError({"items": _("Change at least one indicator to re-score.")})
    items = {
        i.pk: i
        for i in ScorecardItem.objects.select_for_update()
        .filter(scorecard=card, pk__in=[c.item_id for c in changes])
        .select_related("indicator")
    }
    changed = []
    for change in changes:
        item = items.get(change.item_id)
        if item is None:
            raise ValidationError({"items": _("This indicator is not on the appealed card.")})
        before = {"actual": item.actual, "rating": item.rating}
        if change.actual is not None:
            item.actual = change.actual
            item.actual_source = "appeal"
        if change.rating is not None:
            item.rating = change.rating
        if before != {"actual": item.actual, "rating": item.rating}:
            item.full_clean(exclude=["scorecard", "indicator", "company"])
            item.version += 1
            item.save()
            changed.append(
                {
                    "item": item.pk,
                    "name": item.indicator.name,
                    "actual": [_plain(before["actual"]), _plain(item.actual)],
                    "rating": [_plain(before["rating"]), _plain(item.rating)],
                }
            )
    if not changed:
        raise ValidationError({"items": _("Nothing changed: enter a corrected actual or rating.")})
    old = {"score": _plain(card.score), "grade": card.grade, "final": card.final_grade}
    try:
        card = services_scoring.scorecard_score(scorecard=card)
    except services_scoring.scoring.ScoringError as exc:
        raise ValidationError({"items": str(exc)}) from exc
    new = {"score": _plain(card.score), "grade": card.grade, "final": card.final_grade}
    audit_event(
        appeal,
        "appeal re-scored",
        {"old": old, "new": new, "items": changed, "reason": reason},
    )
    return _resolve(actor, appeal, card, step="rescore", reason=reason)


@transaction.atomic
def appeal_reject(*, actor: Any, appeal: Appeal, version: int | None, reason: str) -> Appeal:
    """Reject an appeal with a reason; the card is published again, the appellant notified."""
    reason = _reason(reason)
    appeal = _open_appeal(actor, appeal.pk, version)
    workflows.APPEAL.target(appeal.status, "reject")
    workflows.SCORECARD.target(appeal.scorecard.status, "resolve")
    return _resolve(actor, appeal, appeal.scorecard, step="reject", reason=reason)


def _plain(value) -> str | None:
    return None if value is None else f"{Decimal(value).normalize():f}"


# --- improvement plan ---------------------------------------------------------------------------


@transaction.atomic
def improvement_plan_save(
    *,
    actor: Any,
    scorecard: Scorecard,
    goals: str,
    actions: str,
    review_date: datetime.date,
    version: int | None = None,
) -> ImprovementPlan:
    """Record (or update, with the version read) the improvement plan of an employee whose
    published final grade is below pass. A head or VP whose scope holds the department."""
    _scope(actor)
    card = _card(actor, scorecard.pk)
    if not may_plan_improvement(actor, card):
        raise PermissionDenied
    _require_plan_status(
        card.plan,
        P.PUBLISHED,
        message=_("An improvement plan is recorded once the results are published."),
    )
    if card.status not in PUBLISHED_CARD_STATUSES or not below_pass(card.plan, card.final_grade):
        raise ValidationError(
            _("An improvement plan is for employees whose published grade is below pass.")
        )
    goals, actions = (goals or "").strip(), (actions or "").strip()
    errors = {}
    if not goals:
        errors["goals"] = _("Say what must improve.")
    if not actions:
        errors["actions"] = _("Say which actions and support are planned.")
    if review_date is None:
        errors["review_date"] = _("Choose a review date.")
    elif card.plan.period_end and review_date <= card.plan.period_end:
        errors["review_date"] = _("The review date must be after the plan period.")
    if errors:
        raise ValidationError(errors)
    existing = ImprovementPlan.objects.select_for_update().filter(scorecard=card).first()
    if existing is None:
        if version not in (None, 0):
            raise ConflictError()
        plan = ImprovementPlan(
            company_id=card.company_id,
            scorecard=card,
            goals=goals,
            actions=actions,
            review_date=review_date,
            created_by=actor,
        )
        plan.full_clean()
        plan.save()
    else:
        if version is None:
            raise ConflictError(current_version=existing.version)
        bump_version(existing, expected_version=version)
        existing.goals, existing.actions, existing.review_date = goals, actions, review_date
        existing.full_clean()
        existing.save()
        plan = existing
    notification_send(
        company_id=card.company_id,
        recipients=_user_ids([card.employee_id]),
        event=hooks_results.IMPROVEMENT_PLAN,
        title=_("An improvement plan for “%(plan)s” is recorded") % {"plan": card.plan.name},
        url=report_url(card),
        target=plan,
        actor=actor,
    )
    return plan
