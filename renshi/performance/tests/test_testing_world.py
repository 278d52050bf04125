"""The shared plan fixture is consistent: weights total 100 per category on every scorecard,
and the scoring engine can score it."""

from decimal import Decimal

import pytest

from renshi.performance import scoring

pytestmark = pytest.mark.django_db


def test_plan_world_weights_total_100(plan_world):
    for card in plan_world.cards.values():
        inputs = [
            scoring.IndicatorInput(
                name=i.indicator.name,
                weight=i.weight,
                category=i.indicator.category,
                rule=scoring.Rule.from_dict(i.indicator.rule),
                target=i.target,
                actual=i.target,
                rating=Decimal(3),
            )
            for i in card.items.select_related("indicator")
        ]
        assert scoring.weight_problems(inputs) == {}
        result = scoring.score_result(inputs)
        # on target everywhere (100) and "meets expectations" (3/5 = 60): 100×70% + 60×30% = 88
        assert result.final == Decimal("88.00")
