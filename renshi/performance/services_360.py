"""Writes of the 360 review (docs/performance-360.md): choosing raters, removing one, answering.

Who:
* raters are chosen for a scorecard by the performance manager (any scorecard of the company)
  or a department head (scorecards of their subtree) — never on their own scorecard;
* a rater answers only their own request, once, while the plan is in self-evaluation or
  manager evaluation; nobody rates themselves (refused when choosing and again when answering).

Anonymity (``Plan.anonymous_360``): the answer is stored without the rater and without the
relation, with a date only; the request is marked answered in the same transaction with the
day only (no time), by a plain UPDATE that writes no audit row (an audit row's exact time next to
the answers' insertion order would tie them together). No notification, log line or audit row
mentions an answer. Nothing here returns an answer.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from renshi.core import access
from renshi.notifications.services import Message, notification_send_each
from renshi.org.models import Department, Employee, Role
from renshi.org.scope import get_scope

from .hooks_360 import R360_REQUESTED
from .models import Answer360, Plan, Rater360, Scorecard

P = Plan.Status
# raters may be chosen until answering closes; removed only before anyone could answer
CHOOSE_STATUSES = frozenset({P.ASSIGNING, P.TRACKING, P.SELF_EVALUATION, P.MANAGER_EVALUATION})
REMOVE_STATUSES = frozenset({P.ASSIGNING, P.TRACKING})
ANSWER_STATUSES = frozenset({P.SELF_EVALUATION, P.MANAGER_EVALUATION})
MAX_RATERS = 20
SCALE = (1, 2, 3, 4, 5)
SCALE_TEXT = frozenset(str(n) for n in SCALE)
COMMENT_MAX = 2000


# --- rules shared with the selectors ----------------------------------------------------------


def plan_has_360(plan: Plan) -> bool:
    return Decimal(plan.weight_360 or 0) > 0 and bool(plan.questions_360)


def questions(plan: Plan) -> list[dict[str, str]]:
    return [
        {"key": str(q.get("key")), "text": str(q.get("text") or q.get("key"))}
        for q in plan.questions_360 or ()
        if isinstance(q, Mapping) and q.get("key")
    ]


def is_chooser(scope, card: Scorecard) -> bool:
    """May choose raters on this scorecard: the performance manager, or a head whose headed
    subtree holds the scorecard's department; never on one's own scorecard."""
    if scope.employee_id is None or scope.is_api_key or scope.company_id != card.company_id:
        return False
    if card.employee_id == scope.employee_id:
        return False
    return scope.has_role(Role.PERFORMANCE_MANAGER) or (
        card.department_id in scope.headed_department_ids
    )


def _card_for_chooser(actor: Any, scorecard: Scorecard) -> Scorecard:
    """The scorecard, locked, with its plan; 404 when out of sight, 403 when not a chooser."""
    card = (
        access.restrict(Scorecard, actor, access.VIEW)
        .select_for_update(of=("self",))
        .select_related("plan", "employee")
        .filter(pk=scorecard.pk)
        .first()
    )
    if card is None:
        raise Http404
    if not is_chooser(get_scope(actor), card):
        raise PermissionDenied
    return card


def relation_of(card: Scorecard, rater: Employee, head_of: set[int] | None = None) -> str:
    """How a rater stands to the rated employee (computed, never typed)."""
    employee = card.employee
    if rater.manager_id == employee.pk or (head_of and rater.department_id in head_of):
        return Rater360.Relation.SUBORDINATE
    if rater.pk == employee.manager_id:
        return Rater360.Relation.MANAGER
    if rater.department_id == card.department_id:
        return Rater360.Relation.PEER
    return Rater360.Relation.CROSS


# --- choosing raters ----------------------------------------------------------------------------


@transaction.atomic
def rater360_assign(
    *, actor: Any, scorecard: Scorecard, rater_ids: Iterable[int]
) -> list[Rater360]:
    """Ask these employees to rate the scorecard's employee. Already asked people are skipped;
    the new raters are notified (inbox). Returns the new Rater360 rows."""
    card = _card_for_chooser(actor, scorecard)
    plan = card.plan
    if not plan_has_360(plan):
        raise ValidationError(_("This plan has no 360 review."))
    if plan.status not in CHOOSE_STATUSES:
        raise ValidationError(_("Raters can no longer be chosen at this stage of the plan."))
    wanted = []
    for raw in rater_ids:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"raters": [_("Unknown employee.")]}) from None
        if pk not in wanted:
            wanted.append(pk)
    if not wanted:
        raise ValidationError({"raters": [_("Choose at least one rater.")]})
    if card.employee_id in wanted:
        raise ValidationError({"raters": [_("Nobody rates themselves.")]})
    if card.evaluator_id in wanted:
        raise ValidationError(
            {"raters": [_("The evaluator rates this scorecard directly, not in the 360 review.")]}
        )
    people = {
        e.pk: e
        for e in Employee.objects.filter(
            company_id=card.company_id, pk__in=wanted, user__isnull=False
        )
        .exclude(status=Employee.Status.LEFT)
        .select_related("user")
    }
    if len(people) != len(wanted):
        raise ValidationError(
            {"raters": [_("Unknown employee, or the person has left or has no login.")]}
        )
    existing = set(Rater360.objects.filter(scorecard=card).values_list("rater_id", flat=True))
    new_ids = [pk for pk in wanted if pk not in existing]
    if len(existing) + len(new_ids) > MAX_RATERS:
        raise ValidationError(
            {"raters": [_("At most %(count)s raters per scorecard.") % {"count": MAX_RATERS}]}
        )
    head_of = set(Department.objects.filter(head_id=card.employee_id).values_list("pk", flat=True))
    created = []
    for pk in new_ids:
        row = Rater360(
            company_id=card.company_id,
            scorecard=card,
            rater=people[pk],
            relation=relation_of(card, people[pk], head_of),
        )
        row.full_clean()
        row.save()
        created.append(row)
    if created:
        _notify(actor, card, created)
    return created


def _notify(actor: Any, card: Scorecard, rows: list[Rater360]) -> None:
    plan = card.plan
    title = _("360 review: please rate %(name)s (%(plan)s)") % {
        "name": card.employee.name,
        "plan": plan.name,
    }
    body = (
        _("Your answers are anonymous: they are stored without your name.")
        if plan.anonymous_360
        else _("This cycle is not anonymous: the head sees that the answer is yours.")
    )
    notification_send_each(
        company_id=card.company_id,
        event=R360_REQUESTED,
        actor=actor,
        messages=[
            Message(
                recipient=row.rater.user_id,
                title=title,
                body=body,
                url=reverse("performance:r360_answer", kwargs={"pk": row.pk}),
            )
            for row in rows
        ],
    )


@transaction.atomic
def rater360_remove(*, actor: Any, rater: Rater360) -> None:
    """Withdraw a request before answering opens (afterwards a removal could reveal who
    answered, so it is refused)."""
    row = Rater360.objects.select_for_update().filter(pk=rater.pk).first()
    if row is None:
        raise Http404
    card = _card_for_chooser(actor, Scorecard(pk=row.scorecard_id))
    if card.plan.status not in REMOVE_STATUSES:
        raise ValidationError(_("Raters can be removed only before the 360 review opens."))
    row.delete()


# --- answering ----------------------------------------------------------------------------------


def clean_ratings(plan: Plan, ratings: Mapping[str, Any]) -> dict[str, int]:
    """Every question of the plan rated 1–5, nothing else. Raises ValidationError."""
    keys = [q["key"] for q in questions(plan)]
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for key in keys:
        value = ratings.get(key)
        text = "" if value is None or isinstance(value, bool) else str(value).strip()
        if text not in SCALE_TEXT:
            errors[key] = [_("Rate from 1 to 5.")]
            continue
        number = int(text)
        clean[key] = number
    unknown = set(ratings) - set(keys)
    if unknown:
        errors["ratings"] = [_("Unknown question.")]
    if errors:
        raise ValidationError(errors)
    return clean


def score_of(ratings: Mapping[str, int]) -> Decimal:
    """Mean rating ÷ 5 × 100, two decimals."""
    mean = Decimal(sum(ratings.values())) / Decimal(len(ratings))
    return (mean / Decimal(5) * Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _today() -> datetime.date:
    return timezone.localdate()


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@transaction.atomic
def answer360_submit(
    *, actor: Any, request: Rater360, ratings: Mapping[str, Any], comment: str = ""
) -> Rater360:
    """Answer one 360 request (the actor's own). Returns the request, marked answered."""
    scope = get_scope(actor)
    if scope.employee_id is None or scope.is_api_key:
        raise Http404
    row = (
        Rater360.objects.select_for_update(of=("self",))
        .select_related("scorecard__plan")
        .filter(pk=request.pk, rater_id=scope.employee_id, company_id=scope.company_id)
        .first()
    )
    if row is None:
        raise Http404
    card = row.scorecard
    plan = card.plan
    if card.employee_id == scope.employee_id:
        raise PermissionDenied
    if row.answered_at is not None:
        raise ValidationError(_("You have already answered this questionnaire."))
    if not plan_has_360(plan) or plan.status not in ANSWER_STATUSES:
        raise ValidationError(_("The questionnaire is not open at this stage of the plan."))
    clean = clean_ratings(plan, ratings)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": [_("At most %(count)s characters.") % {"count": COMMENT_MAX}]}
        )
    today = _today()
    anonymous = plan.anonymous_360
    Answer360.objects.create(
        company_id=card.company_id,
        scorecard_id=card.pk,
        rater_id=None if anonymous else scope.employee_id,
        relation="" if anonymous else row.relation,
        ratings=clean,
        score=score_of(clean),
        comment=comment,
        submitted_on=today,
    )
    # the day only, by UPDATE: no audit row, no exact time (see the module docstring)
    answered = _start_of_day(today)
    updated = Rater360.objects.filter(pk=row.pk, answered_at__isnull=True).update(
        answered_at=answered
    )
    if updated != 1:  # pragma: no cover - the row is locked above
        raise ValidationError(_("You have already answered this questionnaire."))
    row.answered_at = answered
    return row


def answer_open(plan: Plan) -> bool:
    return plan_has_360(plan) and plan.status in ANSWER_STATUSES
