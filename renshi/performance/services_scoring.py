"""Scoring a scorecard: the plan's rules applied to its items by the pure engine
(``renshi.performance.scoring``), the result and its full trace stored on the scorecard.

``scorecard_score`` is called by the evaluation services (after the manager's evaluation, after
a re-score on appeal) and ``plan_score_all`` scores a whole plan in bulk (constant queries,
one bulk update and one bulk audit). Nothing here decides *who* may score: callers check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from renshi.core.audit import audit_bulk, snapshot
from renshi.core.models import AuditLog

from . import scoring
from .models import Answer360, Plan, PlanIndicator, Scorecard, ScorecardItem


def plan_split(plan: Plan) -> dict[str, Decimal]:
    return {
        scoring.RESULTS: Decimal(plan.results_share),
        scoring.COMPETENCY: Decimal(plan.competency_share),
    }


def plan_grades(plan: Plan) -> tuple[scoring.GradeBand, ...]:
    """The plan's grade bands (JSON) as engine bands; the default bands when none are set.
    A band with an empty lower bound is the bottom band."""
    bands = []
    for row in plan.grade_bands or ():
        lower = row.get("lower")
        bands.append(
            scoring.GradeBand(
                key=str(row["key"]),
                label=str(row.get("label") or row["key"]),
                lower=Decimal("-Infinity") if lower in (None, "") else Decimal(str(lower)),
            )
        )
    return tuple(bands) or scoring.DEFAULT_GRADES


def item_input(item: ScorecardItem, indicator: PlanIndicator) -> scoring.IndicatorInput:
    return scoring.IndicatorInput(
        name=indicator.name,
        weight=item.weight,
        category=indicator.category,
        rule=scoring.Rule.from_dict(indicator.rule),
        target=item.target,
        actual=item.actual,
        rating=item.rating,
        key=item.pk,
    )


def compute(plan: Plan, items: Iterable[ScorecardItem], scores360: list[Decimal]) -> scoring.Result:
    inputs = [item_input(i, i.indicator) for i in items]
    return scoring.score_result(
        inputs,
        split=plan_split(plan),
        scores360=scores360,
        weight360=Decimal(plan.weight_360),
        grades=plan_grades(plan),
    )


def _apply(card: Scorecard, result: scoring.Result, now) -> None:
    card.score = result.final
    card.grade = result.grade.key
    card.complete = result.complete
    card.trace = result.as_dict()
    card.scored_at = now


def _answers(card_ids: list[int]) -> dict[int, list[Decimal]]:
    found: dict[int, list[Decimal]] = defaultdict(list)
    for card_id, score in Answer360.objects.filter(scorecard_id__in=card_ids).values_list(
        "scorecard_id", "score"
    ):
        found[card_id].append(score)
    return found


@transaction.atomic
def scorecard_score(*, scorecard: Scorecard) -> Scorecard:
    """Compute and store one scorecard's score, grade and trace (audited)."""
    card = Scorecard.objects.select_for_update().select_related("plan").get(pk=scorecard.pk)
    items = list(ScorecardItem.objects.filter(scorecard=card).select_related("indicator"))
    result = compute(card.plan, items, _answers([card.pk]).get(card.pk, []))
    _apply(card, result, timezone.now())
    card.save(update_fields=["score", "grade", "complete", "trace", "scored_at", "updated_at"])
    return card


@transaction.atomic
def plan_score_all(*, plan: Plan, statuses: Iterable[str] | None = None) -> int:
    """Score every scorecard of a plan (or those in ``statuses``) in bulk. Returns how many
    changed. Queries: cards, items, 360 answers, the bulk update and the audit rows."""
    cards = Scorecard.objects.filter(plan=plan)
    if statuses is not None:
        cards = cards.filter(status__in=list(statuses))
    cards = list(cards)
    if not cards:
        return 0
    by_card: dict[int, list[ScorecardItem]] = defaultdict(list)
    indicators = {i.pk: i for i in PlanIndicator.objects.filter(plan=plan)}
    for item in ScorecardItem.objects.filter(scorecard__in=[c.pk for c in cards]).order_by(
        "scorecard_id", "id"
    ):
        item.indicator = indicators[item.indicator_id]
        by_card[item.scorecard_id].append(item)
    answers = _answers([c.pk for c in cards]) if plan.weight_360 else {}
    now = timezone.now()
    changed, befores = [], {}
    for card in cards:
        result = compute(plan, by_card.get(card.pk, []), answers.get(card.pk, []))
        if card.score == result.final and card.grade == result.grade.key and card.trace:
            continue
        befores[card.pk] = snapshot(card)
        _apply(card, result, now)
        card.updated_at = now
        changed.append(card)
    Scorecard.objects.bulk_update(
        changed, ["score", "grade", "complete", "trace", "scored_at", "updated_at"], batch_size=500
    )
    audit_bulk(changed, action=AuditLog.Action.UPDATE, befores=befores)
    return len(changed)


def trace_lines(card: Scorecard) -> list[str]:
    """The stored calculation of a scorecard as readable lines in the active language."""
    return scoring.render((card.trace or {}).get("trace", []))


def result_summary(card: Scorecard) -> dict[str, Any]:
    trace = card.trace or {}
    return {
        "score": card.score,
        "grade": card.final_grade,
        "complete": card.complete,
        "subtotals": trace.get("subtotals", {}),
        "indicators": trace.get("indicators", []),
    }
