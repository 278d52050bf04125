"""The bulk scorer's speed-ups (renshi/performance/services_scoring.py, optimised for
bench/performance_bench.py) keep exactly what the engine says: the stored trace equals
``Result.as_dict()``, a single-card score equals the bulk one, and the audit row keeps the
score before → after."""

from __future__ import annotations

from decimal import Decimal

import pytest

from renshi.core.models import AuditLog
from renshi.performance.models import Scorecard, ScorecardItem
from renshi.performance.services_scoring import compute, plan_score_all, scorecard_score

from .matrix_results import fill_results

pytestmark = pytest.mark.django_db


def test_stored_trace_is_the_engine_result(plan_world):
    pw = plan_world
    fill_results(pw)
    for emp, card in pw.cards.items():
        card = Scorecard.objects.get(pk=card.pk)
        items = list(ScorecardItem.objects.filter(scorecard=card).select_related("indicator"))
        result = compute(pw.plan, items, [])
        assert card.trace == result.as_dict(), emp
        assert card.score == result.final and card.grade == result.grade.key


def test_bulk_equals_single_and_audits_the_score(plan_world):
    pw = plan_world
    fill_results(pw)
    bulk = {c.pk: (c.score, c.grade, c.trace) for c in Scorecard.objects.filter(plan=pw.plan)}
    for card in Scorecard.objects.filter(plan=pw.plan):
        single = scorecard_score(scorecard=card)
        assert (single.score, single.grade, single.trace) == bulk[card.pk]
    card = pw.cards["emp_east"]
    entry = AuditLog.objects.filter(object_id=str(card.pk), changes__has_key="score").first()
    assert entry.changes["score"] == {"before": None, "after": "106.40"}
    assert entry.changes["grade"] == {"before": "", "after": "excellent"}
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(actual=Decimal(10))
    assert plan_score_all(plan=pw.plan) == 1
    latest = AuditLog.objects.filter(object_id=str(card.pk)).latest("id")
    # 10/10 × 60 + 5/4 × 40 = 60 + 50 = 110;
    # 110 × 70 % + 70 × 30 % = 77 + 21 = 98
    assert latest.changes["score"] == {"before": "106.40", "after": "98.00"}
    assert plan_score_all(plan=pw.plan) == 0
