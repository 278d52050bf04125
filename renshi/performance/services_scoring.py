"""Scoring a scorecard: the plan's rules applied to its items by the pure engine
(``renshi.performance.scoring``), the result and its full trace stored on the scorecard.

``scorecard_score`` is called by the evaluation services (after the manager's evaluation, after
a re-score on appeal) and ``plan_score_all`` scores a whole plan in bulk (constant queries,
one bulk update and one bulk audit). Nothing here decides *who* may score: callers check.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from renshi.core.audit import audit_changes
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


# Columns the bulk scorer reads and writes (plain values, no model instances: at 10,000 cards
# × 8 items, building instances and decoding their JSON costs more than the scoring itself).
_ITEM_COLUMNS = ("scorecard_id", "pk", "indicator_id", "weight", "target", "actual", "rating")
_WRITE_FIELDS = ("score", "grade", "complete", "trace", "scored_at", "updated_at")
_AUDIT_FIELDS = ("score", "grade", "complete", "scored_at")
_WRITE_CHUNK = 500


def _audit_value(value: Any) -> Any:
    """As the audit log stores values (core.audit snapshots): decimals and times as text."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _raw_rows(queryset) -> Iterable[tuple]:
    """The rows of a ``values_list`` queryset straight from the cursor: Django's per-value
    converters (a Decimal quantized per column value) cost more than the scoring at 80,000
    items; ``_dec`` converts what the driver returns instead."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        yield from cursor.fetchall()


def _dec(value: Any) -> Decimal | None:
    if value is None or type(value) is Decimal:
        return value
    return Decimal(repr(value)) if type(value) is float else Decimal(value)


def _json_param(value: Any) -> Any:
    """The trace column's parameter: compact JSON (no spaces: a fifth smaller than the
    default); PostgreSQL gets it through its own jsonb adaptation."""
    if connection.vendor == "sqlite":
        return json.dumps(value, separators=(",", ":"))
    return Scorecard._meta.get_field("trace").get_db_prep_save(value, connection)


@transaction.atomic
def plan_score_all(*, plan: Plan, statuses: Iterable[str] | None = None) -> int:
    """Score every scorecard of a plan (or those in ``statuses``) in bulk. Returns how many
    changed. Queries: cards, indicators, items, 360 answers, the updates (one executemany per
    500 cards) and the audit rows.

    For speed it reads plain columns (no model instances), parses each indicator's rule once,
    writes with one prepared UPDATE per chunk, and logs per changed card the audited fields
    score, grade, complete and scored_at before → after (the trace itself is on the card)."""
    cards_qs = Scorecard.objects.filter(plan=plan)
    if statuses is not None:
        cards_qs = cards_qs.filter(status__in=list(statuses))
    cards = list(
        cards_qs.order_by("pk").values_list(
            "pk", "company_id", "plan_id", "employee_id", *_AUDIT_FIELDS
        )
    )
    if not cards:
        return 0
    card_ids = [c[0] for c in cards]
    indicators = {
        i.pk: (i.name, i.category, scoring.Rule.from_dict(i.rule), (i.category, i.order))
        for i in PlanIndicator.objects.filter(plan=plan).only(
            "id", "name", "category", "rule", "order"
        )
    }
    by_card: dict[int, list[scoring.IndicatorInput]] = defaultdict(list)
    indicators_order: dict[int, tuple[str, int]] = {}
    items = ScorecardItem.objects.filter(scorecard__plan=plan)
    if statuses is not None:
        items = items.filter(scorecard_id__in=card_ids)
    for card_id, pk, indicator_id, weight, target, actual, rating in _raw_rows(
        items.order_by("scorecard_id", "id").values_list(*_ITEM_COLUMNS)
    ):
        weight, target, actual, rating = _dec(weight), _dec(target), _dec(actual), _dec(rating)
        name, category, rule, _order = indicators[indicator_id]
        indicators_order[pk] = indicators[indicator_id][3]
        by_card[card_id].append(
            scoring.IndicatorInput(
                name=name, weight=weight, category=category, rule=rule, target=target,
                actual=actual, rating=rating, key=pk,
            )
        )  # fmt: skip
    # the items' order of ``scorecard_score`` (ScorecardItem.Meta.ordering), so a card's trace
    # reads the same whether it was scored alone or in bulk
    for inputs in by_card.values():
        inputs.sort(key=lambda i: (*indicators_order[i.key], i.key))
    answers = _answers(card_ids) if plan.weight_360 else {}
    split, grades, weight360 = plan_split(plan), plan_grades(plan), Decimal(plan.weight_360)
    now = timezone.now()
    fields = {name: Scorecard._meta.get_field(name) for name in _WRITE_FIELDS}
    params: list[list[Any]] = []
    audit_rows: list[tuple] = []
    for pk, company_id, plan_id, employee_id, score, grade, complete, scored_at in cards:
        result = scoring.score_result(
            by_card.get(pk, []),
            split=split,
            scores360=answers.get(pk, []),
            weight360=weight360,
            grades=grades,
            explain=False,  # numbers only; the lines are rebuilt from them when read
        )
        if score == result.final and grade == result.grade.key and scored_at is not None:
            continue
        values = {
            "score": result.final,
            "grade": result.grade.key,
            "complete": result.complete,
            "trace": result.as_dict(),
            "scored_at": now,
            "updated_at": now,
        }
        params.append(
            [
                _json_param(values[n])
                if n == "trace"
                else fields[n].get_db_prep_save(values[n], connection)
                for n in _WRITE_FIELDS
            ]
            + [pk]
        )
        before = {"score": score, "grade": grade, "complete": complete, "scored_at": scored_at}
        after = {"score": result.final, "grade": result.grade.key, "complete": result.complete,
                 "scored_at": now}  # fmt: skip
        changes = {
            k: {"before": _audit_value(before[k]), "after": _audit_value(after[k])}
            for k in _AUDIT_FIELDS
            if before[k] != after[k]
        }
        audit_rows.append((pk, f"{plan_id}/{employee_id}", company_id, changes))
    table = connection.ops.quote_name(Scorecard._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(fields[n].column)} = %s" for n in _WRITE_FIELDS
    )
    sql = f"UPDATE {table} SET {assignments} WHERE {connection.ops.quote_name('id')} = %s"  # noqa: S608 - names from the model, values as parameters
    with connection.cursor() as cursor:
        for start in range(0, len(params), _WRITE_CHUNK):
            cursor.executemany(sql, params[start : start + _WRITE_CHUNK])
    # per card: score, grade, complete and scored_at before → after (the trace is on the card)
    audit_changes(Scorecard, audit_rows, action=AuditLog.Action.UPDATE)
    return len(params)


def trace_lines(card: Scorecard) -> list[str]:
    """The stored calculation of a scorecard as readable lines in the active language."""
    return scoring.render(scoring.stored_lines(card.trace))


def result_summary(card: Scorecard) -> dict[str, Any]:
    trace = card.trace or {}
    return {
        "score": card.score,
        "grade": card.final_grade,
        "complete": card.complete,
        "subtotals": trace.get("subtotals", {}),
        "indicators": scoring.stored_indicators(trace),
    }
