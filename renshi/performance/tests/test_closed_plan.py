"""A closed plan is locked on every part: no assignment, actual, evaluation, 360 answer,
import or setting changes; only the HR VP's reopen (with a reason) unlocks it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from renshi.core.concurrency import ConflictError
from renshi.core.workflow import TransitionError
from renshi.performance import services_cards, services_plans
from renshi.performance.models import Plan, Scorecard, ScorecardItem
from renshi.performance.testing import build_plan_world

pytestmark = pytest.mark.django_db
REFUSED = (TransitionError, ValidationError, PermissionDenied, ConflictError)


def _state(pw):
    return (
        list(Plan.objects.filter(pk=pw.plan.pk).values_list("status", "version", "name")),
        list(Scorecard.objects.order_by("pk").values_list("status", "version", "score")),
        list(ScorecardItem.objects.order_by("pk").values_list("weight", "target", "actual")),
    )


@pytest.fixture
def closed(world):
    return build_plan_world(
        world, plan_status=Plan.Status.CLOSED, card_status=Scorecard.Status.ACKNOWLEDGED
    )


def test_every_write_on_a_closed_plan_is_refused(closed, world):
    pw, before = closed, _state(closed)
    card = pw.cards["emp_east"]
    sales = pw.indicators["sales"]
    attempts = [
        lambda: services_cards.scorecard_items_update(
            actor=world.users["head_east"],
            rows=[
                {
                    "scorecard": card.pk,
                    "version": card.version,
                    "items": {sales.pk: {"weight": "50"}},
                }
            ],
        ),
        lambda: services_cards.scorecard_actuals_update(
            actor=world.users["emp_east"],
            rows=[
                {
                    "scorecard": card.pk,
                    "version": card.version,
                    "items": {sales.pk: {"actual": "99"}},
                }
            ],
        ),
        lambda: services_cards.scorecard_evaluation_save(
            actor=world.users["head_east"], scorecard=card, version=card.version, submit=True
        ),
        lambda: services_cards.scorecard_self_evaluation_save(
            actor=world.users["emp_east"], scorecard=card, version=card.version, submit=True
        ),
        lambda: services_plans.plan_update(
            actor=world.users["perf"], plan=pw.plan, version=pw.plan.version, name="改名"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(REFUSED):
            attempt()
    assert _state(pw) == before
    assert ScorecardItem.objects.get(pk=pw.items[("emp_east", "sales")].pk).actual != Decimal(99)
