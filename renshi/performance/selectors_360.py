"""Reads of the 360 review (constant query counts).

* Scorecards and plans come through ``access.restrict``; who may choose raters is
  ``services_360.is_chooser`` on top of that.
* A rater's own requests are their own ``Rater360`` rows (``rater`` = their employee record):
  the scorecard policy does not show a colleague's scorecard to a rater, so these rows are
  selected by identity, with only the rated person's name and the plan.
* Answers (``Answer360``) are never readable through the access layer. ``aggregate`` reads them
  here after an explicit visibility check and hands out only means and a count — nothing when
  fewer than ``scoring.MIN_360_RATERS`` answered. Comments are shown sorted by their text (never
  in answering order, never with a date or relation).
* The rater choice list is a deliberate, minimal company directory (name, number, department)
  for someone who may choose raters on that scorecard: cross-department raters are by
  definition outside a head's own scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404

from renshi.core import access
from renshi.org.models import Department, Employee, Role
from renshi.org.scope import get_scope

from . import scoring
from .models import Answer360, Plan, Rater360, Scorecard
from .permissions import PLAN_OFFICE
from .services_360 import (
    ANSWER_STATUSES,
    CHOOSE_STATUSES,
    REMOVE_STATUSES,
    is_chooser,
    plan_has_360,
    questions,
    relation_of,
)

P = Plan.Status
# managers (heads, plan office) see the aggregate from the moment answers can arrive
MANAGER_STATUSES = frozenset(
    {P.SELF_EVALUATION, P.MANAGER_EVALUATION, P.CALIBRATION, P.PUBLISHED, P.CLOSED}
)
EMPLOYEE_STATUSES = frozenset({P.PUBLISHED, P.CLOSED})
CANDIDATE_LIMIT = 30
TWO = Decimal("0.01")


def _person(scope) -> bool:
    return scope.employee_id is not None and not scope.is_api_key


# --- scorecards and plans of a chooser ----------------------------------------------------------


def card_for_chooser(*, user: Any, pk: int) -> Scorecard:
    """A scorecard the user may choose raters on: 404 out of sight, 403 when not a chooser."""
    card = access.get_object_or_404(
        Scorecard.objects.select_related("plan", "employee", "department"), user, pk=pk
    )
    if not is_chooser(get_scope(user), card):
        raise PermissionDenied
    return card


def plans_for_chooser(*, user: Any) -> list[Plan]:
    """Visible plans with a 360 review where raters can be chosen now (choosers only)."""
    scope = get_scope(user)
    if not _person(scope) or not (
        scope.has_role(Role.PERFORMANCE_MANAGER) or scope.headed_department_ids
    ):
        return []
    return list(
        access.restrict(Plan, user)
        .filter(weight_360__gt=0, status__in=CHOOSE_STATUSES | MANAGER_STATUSES)
        .exclude(questions_360=[])
        .order_by("-period_start", "name")
    )


def cards_for_chooser(*, user: Any, plan: Plan) -> list[Scorecard]:
    """The plan's scorecards the user may choose raters on, with ``rater_count`` and
    ``answer_count`` (two queries: the scope is cached)."""
    scope = get_scope(user)
    cards = (
        access.restrict(Scorecard, user).filter(plan=plan).exclude(employee_id=scope.employee_id)
    )
    if not scope.has_role(Role.PERFORMANCE_MANAGER):
        cards = cards.filter(department_id__in=scope.headed_department_ids)
    return list(
        cards.select_related("employee", "department")
        .annotate(
            rater_count=Count("raters", distinct=True),
            answer_count=Count(
                "raters", filter=Q(raters__answered_at__isnull=False), distinct=True
            ),
        )
        .order_by("department__name", "employee__employee_no")
    )


@dataclass
class RaterRow:
    pk: int
    name: str
    employee_no: str
    department: str
    relation: str
    answered: bool | None  # None: hidden (anonymous cycle)
    removable: bool


def card_raters(*, user: Any, card: Scorecard) -> list[RaterRow]:
    """The people asked on a scorecard (caller checked ``card_for_chooser``). In an anonymous
    cycle whether each one answered is not shown (only the count, ``answer_counts``): watching
    the aggregate move when one known person answers would reveal that answer."""
    plan = card.plan
    removable = plan.status in REMOVE_STATUSES
    rows = (
        Rater360.objects.filter(scorecard_id=card.pk)
        .select_related("rater__department")
        .order_by("relation", "rater__employee_no")
    )
    return [
        RaterRow(
            pk=r.pk,
            name=r.rater.name,
            employee_no=r.rater.employee_no,
            department=r.rater.department.name if r.rater.department_id else "",
            relation=r.get_relation_display(),
            answered=None if plan.anonymous_360 else r.answered_at is not None,
            removable=removable,
        )
        for r in rows
    ]


def answer_counts(*, card: Scorecard) -> tuple[int, int]:
    """(asked, answered) of a scorecard, one query."""
    counts = Rater360.objects.filter(scorecard_id=card.pk).aggregate(
        asked=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    return counts["asked"], counts["answered"]


@dataclass
class Candidate:
    pk: int
    name: str
    employee_no: str
    department: str
    relation: str


def rater_candidates(*, card: Scorecard, query: str = "") -> dict[str, list[Candidate]]:
    """Suggestions for a scorecard (caller checked ``card_for_chooser``): same-department
    peers, direct reports, and others of the company (filtered by ``query``, at most
    ``CANDIDATE_LIMIT``). People already asked, the employee, the evaluator, people who left
    and people without a login are left out. Three queries."""
    asked = Rater360.objects.filter(scorecard_id=card.pk).values("rater_id")
    base = (
        Employee.objects.filter(company_id=card.company_id, user__isnull=False)
        .exclude(status=Employee.Status.LEFT)
        .exclude(pk__in=asked)
        .exclude(pk=card.employee_id)
        .select_related("department")
        .only("id", "name", "employee_no", "department_id", "manager_id", "department__name")
    )
    if card.evaluator_id:
        base = base.exclude(pk=card.evaluator_id)
    head_of = set(Department.objects.filter(head_id=card.employee_id).values_list("pk", flat=True))
    near = Q(department_id=card.department_id) | Q(manager_id=card.employee_id)
    if head_of:
        near |= Q(department_id__in=head_of)
    groups: dict[str, list[Candidate]] = {"peers": [], "subordinates": [], "others": []}

    def candidate(e: Employee) -> Candidate:
        relation = relation_of(card, e, head_of)
        label = dict(Rater360.Relation.choices)[relation]
        return Candidate(e.pk, e.name, e.employee_no, e.department.name, str(label))

    for e in base.filter(near).order_by("employee_no")[:200]:
        c = candidate(e)
        key = "subordinates" if relation_of(card, e, head_of) == "subordinate" else "peers"
        groups[key].append(c)
    others = base.exclude(near)
    query = (query or "").strip()
    if query:
        others = others.filter(Q(name__icontains=query) | Q(employee_no__icontains=query))
    groups["others"] = [candidate(e) for e in others.order_by("employee_no")[:CANDIDATE_LIMIT]]
    return groups


# --- a rater's requests -------------------------------------------------------------------------


@dataclass
class Request:
    pk: int
    employee_name: str
    plan_name: str
    plan_status: str
    answered: bool
    open: bool
    anonymous: bool


def my_requests(*, user: Any) -> list[Request]:
    """The user's own 360 requests (newest plans first), one query after the scope."""
    scope = get_scope(user)
    if not _person(scope):
        return []
    rows = (
        Rater360.objects.filter(rater_id=scope.employee_id, company_id=scope.company_id)
        .exclude(scorecard__employee_id=scope.employee_id)
        .select_related("scorecard__employee", "scorecard__plan")
        .only(
            "id",
            "answered_at",
            "scorecard__employee__name",
            "scorecard__plan__name",
            "scorecard__plan__status",
            "scorecard__plan__weight_360",
            "scorecard__plan__questions_360",
            "scorecard__plan__anonymous_360",
            "scorecard__plan__period_start",
        )
        .order_by("-scorecard__plan__period_start", "scorecard__employee__name", "id")
    )
    return [
        Request(
            pk=r.pk,
            employee_name=r.scorecard.employee.name,
            plan_name=r.scorecard.plan.name,
            plan_status=r.scorecard.plan.get_status_display(),
            answered=r.answered_at is not None,
            open=r.answered_at is None
            and plan_has_360(r.scorecard.plan)
            and r.scorecard.plan.status in ANSWER_STATUSES,
            anonymous=r.scorecard.plan.anonymous_360,
        )
        for r in rows
    ]


def my_request(*, user: Any, pk: int) -> Rater360:
    """One of the user's own requests (with scorecard, employee and plan); 404 otherwise."""
    scope = get_scope(user)
    if not _person(scope):
        raise Http404
    row = (
        Rater360.objects.filter(pk=pk, rater_id=scope.employee_id, company_id=scope.company_id)
        .exclude(scorecard__employee_id=scope.employee_id)
        .select_related("scorecard__employee", "scorecard__plan")
        .first()
    )
    if row is None:
        raise Http404
    return row


# --- aggregates ---------------------------------------------------------------------------------


@dataclass
class QuestionMean:
    key: str
    text: str
    mean: Decimal | None


@dataclass
class Aggregate:
    count: int
    minimum: int
    shown: bool
    questions: list[QuestionMean] = field(default_factory=list)
    overall: Decimal | None = None  # mean of the answers' scores, 0–100
    comments: list[str] = field(default_factory=list)
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "count": self.count,
            "minimum": self.minimum,
            "shown": self.shown,
            "overall": None if self.overall is None else str(self.overall),
            "questions": [
                {"key": q.key, "text": q.text, "mean": None if q.mean is None else str(q.mean)}
                for q in self.questions
            ],
            "comments": list(self.comments),
        }


def aggregate_allowed(scope, card: Scorecard) -> bool:
    """Who may see a scorecard's 360 aggregate (the card is visible to them already):
    the employee after publication; during and after evaluation the heads whose headed subtree
    holds it and the plan office (performance manager, HR VP) — never on their own card."""
    if not _person(scope) or scope.company_id != card.company_id:
        return False
    status = card.plan.status
    if card.employee_id == scope.employee_id:
        return status in EMPLOYEE_STATUSES
    manager = bool(scope.roles & PLAN_OFFICE) or card.department_id in scope.headed_department_ids
    return manager and status in MANAGER_STATUSES


def card_for_aggregate(*, user: Any, pk: int) -> Scorecard:
    card = access.get_object_or_404(
        Scorecard.objects.select_related("plan", "employee"), user, pk=pk
    )
    if not aggregate_allowed(get_scope(user), card):
        raise PermissionDenied
    return card


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / Decimal(len(values))).quantize(TWO, rounding=ROUND_HALF_UP)


def aggregate(*, card: Scorecard) -> Aggregate:
    """The 360 aggregate of a scorecard (caller checked ``card_for_aggregate``). One query."""
    plan = card.plan
    minimum = scoring.MIN_360_RATERS
    if not plan_has_360(plan):
        return Aggregate(count=0, minimum=minimum, shown=False, enabled=False)
    answers = list(
        Answer360.objects.filter(scorecard_id=card.pk).values_list("ratings", "score", "comment")
    )
    count = len(answers)
    if count < minimum:
        return Aggregate(count=count, minimum=minimum, shown=False)
    result = Aggregate(count=count, minimum=minimum, shown=True)
    for q in questions(plan):
        values = [
            Decimal(int(r[q["key"]]))
            for r, _s, _c in answers
            if isinstance(r, dict) and r.get(q["key"]) is not None
        ]
        result.questions.append(
            QuestionMean(q["key"], q["text"], _mean(values) if values else None)
        )
    result.overall = _mean([Decimal(s) for _r, s, _c in answers])
    result.comments = sorted(c.strip() for _r, _s, c in answers if c and c.strip())
    return result
