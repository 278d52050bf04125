"""Scoring stored on the scorecard, with its trace; bulk scoring of a plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from renshi.core.models import AuditLog
from renshi.performance.models import Answer360, Plan, Scorecard, ScorecardItem
from renshi.performance.services_scoring import plan_score_all, scorecard_score, trace_lines

pytestmark = pytest.mark.django_db


def _fill(pw, emp, actuals, ratings):
    for key, value in actuals.items():
        ScorecardItem.objects.filter(pk=pw.items[(emp, key)].pk).update(actual=Decimal(value))
    for key, value in ratings.items():
        ScorecardItem.objects.filter(pk=pw.items[(emp, key)].pk).update(rating=Decimal(value))


def test_seed_example_inside_a_plan(plan_world):
    pw = plan_world
    # sales 12 against 10 at 60, new customers 5 against 4 at 40 → 122 in results
    _fill(pw, "emp_east", {"sales": 12, "customers": 5}, {"teamwork": 4, "communication": 3})
    card = scorecard_score(scorecard=pw.cards["emp_east"])
    assert card.trace["subtotals"] == {"results": "122", "competency": "70"}
    # 122 × 70 % + (80 × 50 % + 60 × 50 % = 70) × 30 % = 85.4 + 21 = 106.4
    assert card.score == Decimal("106.40")
    assert card.grade == "excellent" and card.complete
    lines = trace_lines(card)
    assert any("122" in line for line in lines)
    assert AuditLog.objects.filter(object_id=str(card.pk), action="update").exists()


def test_missing_data_is_incomplete(plan_world):
    card = scorecard_score(scorecard=plan_world.cards["emp_prod"])
    assert card.score == Decimal("0.00") and not card.complete and card.grade == "fail"


def test_360_counts_with_three_answers(plan_world):
    pw = plan_world
    Plan.objects.filter(pk=pw.plan.pk).update(weight_360=20)
    _fill(pw, "emp_east", {"sales": 10, "customers": 4}, {"teamwork": 5, "communication": 5})
    card = pw.cards["emp_east"]
    for score in (70, 80, 90):
        Answer360.objects.create(
            company=pw.company, scorecard=card, relation="peer", score=score,
            submitted_on="2026-04-01",
        )  # fmt: skip
    card = scorecard_score(scorecard=card)
    # base 100; 100 × 80 % + 80 × 20 % = 96
    assert card.score == Decimal("96.00")


def test_plan_score_all_constant_queries(plan_world, django_assert_max_num_queries):
    pw = plan_world
    _fill(pw, "emp_east", {"sales": 9, "customers": 4}, {"teamwork": 3, "communication": 3})
    with django_assert_max_num_queries(12):
        changed = plan_score_all(plan=pw.plan)
    assert changed == 3
    # (54 + 40) × 70 % + 60 × 30 % = 65.8 + 18 = 83.8
    assert Scorecard.objects.get(pk=pw.cards["emp_east"].pk).score == Decimal("83.80")
    assert plan_score_all(plan=pw.plan) == 0  # nothing moved
