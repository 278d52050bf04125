"""``performance.item_below_pace``: scorecard items of plans in tracking/self-evaluation below
their pace (actual ÷ target × elapsed working-day share) → employee and head; escalation one
level up; constant queries in the number of employees."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renshi.alerts.models import Alert, AlertRule
from renshi.alerts.registry import get_evaluator
from renshi.alerts.services import alert_rules_ensure_defaults, alerts_evaluate
from renshi.performance.hooks_cards import ITEM_BELOW_PACE, evaluate_items_below_pace
from renshi.performance.models import Plan, Scorecard, ScorecardItem
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db
# 2026-02-16 (Monday): 32 of the quarter's 64 working days (Jan 1 – Mar 31, Mon–Fri) behind us
TODAY = datetime.date(2026, 2, 16)


def _rule(world):
    alert_rules_ensure_defaults(company=world.company)
    return AlertRule.objects.get(company=world.company, kind=ITEM_BELOW_PACE)


def test_registered_with_default_threshold():
    evaluator = get_evaluator(ITEM_BELOW_PACE)
    assert evaluator is not None and evaluator.default_threshold == Decimal("0.70")


def test_item_below_pace_found_with_trace_and_recipients(world):
    pw = build_plan_world(world, plan_status=Plan.Status.TRACKING)
    # sales target 10: half the period → expected 5; actual 3 → 60 % < 70 %: alert
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(actual=3)
    # emp_east2 on pace (actual 4 → 80 %): no alert
    ScorecardItem.objects.filter(pk=pw.items[("emp_east2", "sales")].pk).update(actual=4)
    rule = _rule(world)
    findings = list(evaluate_items_below_pace(rule, TODAY))
    assert len(findings) == 1
    f = findings[0]
    assert f.completion < Decimal("0.70") and f.expected == Decimal(5)
    assert set(f.recipients) == {world.users["emp_east"].pk, world.users["head_east"].pk}
    assert world.users["head_sales"].pk in set(f.escalation)  # head_east's manager
    text = " ".join(str(s) for s in f.trace)
    assert "60.0%" in text and "70.0%" in text
    alerts_evaluate(company=world.company, today=TODAY)
    assert Alert.objects.filter(rule=rule).count() == 1


def test_not_in_other_stages_nor_for_evaluated_cards(world):
    pw = build_plan_world(world, plan_status=Plan.Status.MANAGER_EVALUATION)
    ScorecardItem.objects.filter(pk=pw.items[("emp_east", "sales")].pk).update(actual=0)
    assert list(evaluate_items_below_pace(_rule(world), TODAY)) == []
    Plan.objects.filter(pk=pw.plan.pk).update(status=Plan.Status.TRACKING)
    Scorecard.objects.filter(pk=pw.cards["emp_east"].pk).update(status=Scorecard.Status.EVALUATED)
    assert list(evaluate_items_below_pace(_rule(world), TODAY)) == []


def test_queries_constant_in_employees(world):
    pw = build_plan_world(world, plan_status=Plan.Status.TRACKING)
    ScorecardItem.objects.filter(scorecard__plan=pw.plan).update(actual=0)
    rule = _rule(world)
    with CaptureQueriesContext(connection) as few:
        list(evaluate_items_below_pace(rule, TODAY))
    from renshi.performance.tests.test_grid_pages import _add_people

    _add_people(world, pw, 20)
    Scorecard.objects.filter(plan=pw.plan).update(status=Scorecard.Status.CONFIRMED)
    ScorecardItem.objects.filter(scorecard__plan=pw.plan).update(actual=0)
    with CaptureQueriesContext(connection) as many:
        found = list(evaluate_items_below_pace(rule, TODAY))
    assert len(found) > 20
    assert len(few.captured_queries) == len(many.captured_queries)
