"""Target calculators (renshi/goals/targets.py): exact numbers and derivation lines."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from renshi.goals import targets


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


D = Decimal


def test_pipeline_100_prospects_at_30_percent_is_30_per_quarter_10_per_month():
    value, steps, warnings = targets.pipeline_conversion(
        prospects=D(100), conversion=D(30), period="quarter", per="month", places=0
    )
    assert value == D(10)
    assert steps == [
        "Pipeline: 100 prospects × conversion 30% = 30 per quarter",
        "Period: 30 per quarter ÷ 3 = 10 per month (1 quarter = 3 months)",
        "Suggested target: 10 per month",
    ]
    assert warnings == []


def test_pipeline_same_period_and_longer_period():
    value, steps, _w = targets.pipeline_conversion(prospects=D(100), conversion=D(30))
    assert value == D("30.00")
    assert steps[-1] == "Suggested target: 30 per quarter"
    value, steps, _w = targets.pipeline_conversion(
        prospects=D(100), conversion=D(30), period="quarter", per="year"
    )
    assert value == D(120)
    assert steps[1] == "Period: 30 per quarter × 4 = 120 per year (1 year = 4 quarters)"


def test_history_plus_stretch_shows_each_number_and_the_average():
    value, steps, warnings = targets.history_stretch(
        actuals=[D(10), D(12), D(14)], stretch=D(10), per="quarter", places=1
    )
    assert value == D("13.2")
    assert steps == [
        "Actuals of the last 3 periods (per quarter): 10, 12, 14",
        "Average = (10 + 12 + 14) ÷ 3 = 36 ÷ 3 = 12",
        "Stretch: 12 × (1 + 10%) = 13.2",
        "Suggested target: 13.2 per quarter",
    ]
    assert warnings == []


def test_history_lower_is_better_stretches_down_and_rounds_half_up():
    value, steps, warnings = targets.history_stretch(
        actuals=[D(4), D(5)], stretch=D(15), lower_is_better=True, places=2
    )
    # average 4.5 × 0.85 = 3.825 → 3.83 (half up)
    assert value == D("3.83")
    assert "Stretch (lower is better): 4.5 × (1 − 15%) = 3.825" in steps
    assert "Rounded half up to 2 decimal places: 3.825 → 3.83" in steps
    assert warnings == ["Only 2 periods of history: an average of so few periods is a weak basis."]


def test_share_18_per_quarter_across_6_is_3_per_quarter_1_per_month():
    """The seeds' slip: 18 ÷ 6 = 3 per person per quarter, i.e. 1 per month (not 3)."""
    value, steps, warnings = targets.share_of_parent(
        parent_target=D(18), people=6, period="quarter", per="month", places=0
    )
    assert value == D(1)
    assert steps == [
        "Share: 18 per quarter ÷ 6 people = 3 per person per quarter",
        "Period: 3 per quarter ÷ 3 = 1 per month (1 quarter = 3 months)",
        "Note: 3 is each person's share per quarter, so per month it is 1; reading 3 as a "
        "target per month would mix the periods.",
        "Suggested target: 1 per month",
    ]
    assert warnings == []
    quarter, steps, _w = targets.share_of_parent(parent_target=D(18), people=6, places=0)
    assert quarter == D(3)
    assert steps[-1] == "Suggested target: 3 per quarter"


def test_share_weighted_by_capacity():
    value, steps, _w = targets.share_of_parent(
        parent_target=D(18), weights=[D(1), D(2), D(3)], weight=D(2), places=0
    )
    assert value == D(6)
    assert steps[:2] == [
        "Capacity weights: 1 + 2 + 3 = 6; this person's weight: 2",
        "Share: 18 per quarter × 2 ÷ 6 = 6 per person per quarter",
    ]


def test_uneven_share_warns_that_rounded_shares_do_not_add_up():
    value, _steps, warnings = targets.share_of_parent(parent_target=D(20), people=6, places=0)
    assert value == D(3)
    assert warnings == [
        "20 does not divide evenly by 6: the rounded shares do not add up to the parent "
        "target exactly."
    ]


def test_capacity_market_limit():
    """Sales target 100k; 50 prospects, at most 3% convert, average deal 60k → 90k."""
    warnings = targets.capacity_warnings(
        D(100000), market_prospects=D(50), max_conversion=D(3), average_value=D(60000)
    )
    assert warnings == [
        "The target 100000 exceeds what the market allows: 50 prospects × max conversion 3% "
        "× average value 60000 = 90000."
    ]
    assert (
        targets.capacity_warnings(
            D(90000), market_prospects=D(50), max_conversion=D(3), average_value=D(60000)
        )
        == []
    )


def test_capacity_typed_and_on_any_method():
    _v, _s, warnings = targets.pipeline_conversion(
        prospects=D(100), conversion=D(30), capacity={"capacity": D(25)}
    )
    assert warnings == ["The target 30 exceeds the capacity 25 by 5."]
    # count of deals: 20 prospects can give at most 20 deals
    _v, _s, warnings = targets.history_stretch(
        actuals=[D(20), D(22), D(24)], stretch=D(10), capacity={"market_prospects": D(20)}
    )
    assert warnings == [
        "The target 24.2 exceeds what the market allows: 20 prospects × max conversion 100% "
        "× average value 1 = 20."
    ]


def test_compute_parses_raw_inputs_and_returns_clean_json():
    result, cleaned = targets.compute(
        "share",
        {"parent_target": "18", "people": "6", "period": "quarter", "per": "month", "places": "0"},
    )
    assert result.value == D(1)
    assert cleaned == {
        "parent_target": "18",
        "period": "quarter",
        "per": "month",
        "people": 6,
        "places": 0,
    }
    result, cleaned = targets.compute("history", {"actuals": "10, 12，14", "stretch": 10})
    assert result.value == D("13.20")
    assert cleaned["actuals"] == ["10", "12", "14"]


@pytest.mark.parametrize(
    ("method", "raw", "field"),
    [
        ("pipeline", {"prospects": "x", "conversion": "30"}, "prospects"),
        ("pipeline", {"prospects": "100", "conversion": "130"}, "conversion"),
        ("pipeline", {"prospects": "-1", "conversion": "30"}, "prospects"),
        ("pipeline", {"prospects": "100"}, "conversion"),
        ("pipeline", {"prospects": "100", "conversion": "3", "period": "week"}, "period"),
        ("pipeline", {"prospects": "100", "conversion": "3", "places": "9"}, "places"),
        ("pipeline", {"prospects": "NaN", "conversion": "3"}, "prospects"),
        ("history", {"actuals": "", "stretch": "5"}, "actuals"),
        ("history", {"actuals": "1,a", "stretch": "5"}, "actuals"),
        ("share", {"parent_target": "18", "people": "0"}, "people"),
        ("share", {"parent_target": "18", "people": "2.5"}, "people"),
        ("share", {"parent_target": "18", "weights": "0,0", "weight": "0"}, "weights"),
        ("share", {"parent_target": "18", "weights": "1,2", "weight": "5"}, "weight"),
        ("share", {"parent_target": "18", "people": "6", "eval": "1"}, "eval"),
        ("nope", {}, "method"),
    ],
)
def test_compute_refuses_bad_inputs_per_field(method, raw, field):
    with pytest.raises(ValidationError) as info:
        targets.compute(method, raw)
    assert field in info.value.message_dict
