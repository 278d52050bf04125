"""The progress engine (renshi/goals/progress.py): pure functions, no database.

Numbers are worked by hand in the comments; docs/goals.md has the same examples.
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.utils import translation

from renshi.goals import progress as p


def own(direction="higher", baseline=None, target=None, actual=None, low=None, high=None):
    return p.own_progress(
        title="G",
        direction=direction,
        baseline=None if baseline is None else D(str(baseline)),
        target=None if target is None else D(str(target)),
        actual=None if actual is None else D(str(actual)),
        range_low=None if low is None else D(str(low)),
        range_high=None if high is None else D(str(high)),
    )


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- own progress ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "actual", "expected"),
    [
        ("higher", 50, 80, 65, D("0.5")),  # (65 − 50) / (80 − 50) = 15/30
        ("higher", 50, 80, 80, D(1)),
        ("higher", 50, 80, 95, D("1.5")),  # over-achievement stays visible: 150 %
        ("higher", 50, 80, 44, D("-0.2")),  # went back: (44 − 50) / 30 = −20 %
        ("higher", None, 12, 6, D("0.5")),  # no baseline = 0: 6 / 12
        ("lower", 2, 1, D("1.5"), D("0.5")),  # (1.5 − 2) / (1 − 2) = −0.5 / −1
        ("lower", 4, 3, 3, D(1)),
        ("lower", 4, 3, D("2.5"), D("1.5")),  # beat the target by half the gap
        ("lower", 4, 3, 5, D(-1)),  # got worse by one gap
    ],
)
def test_own_progress_by_direction_and_baseline(direction, baseline, target, actual, expected):
    result = own(direction, baseline, target, actual)
    assert result.value == expected
    assert result.trace  # every value explains itself


def test_trace_reads_like_the_formula():
    result = p.own_progress(
        title="销售部营收",
        direction="higher",
        baseline=D("50.0000"),
        target=D("80.0000"),
        actual=D("65.0000"),
    )
    assert result.trace_text() == ["销售部营收: (65 − 50) / (80 − 50) = 50.0%"]
    assert result.percent == "50.0%"


def test_no_actual_means_no_progress_not_zero():
    result = own("higher", 0, 12, None)
    assert result.value is None
    assert "no actual" in result.trace_text()[0]


def test_missing_baseline_is_zero_for_higher_and_explained():
    result = own("higher", None, 12, 3)
    assert result.value == D("0.25")
    assert "no baseline" in result.trace_text()[0]


def test_lower_is_better_needs_a_baseline():
    assert own("lower", None, 3, D("3.5")).value is None


def test_no_target_no_progress():
    assert own("higher", 0, None, 5).value is None


def test_target_equal_to_baseline_is_met_or_missed():
    assert own("higher", 85, 85, 86).value == 1
    assert own("higher", 85, 85, 84).value == 0
    assert own("lower", 1, 1, D("0.8")).value == 1


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (80, D(1)),  # on the low edge
        (85, D(1)),  # inside [80, 90]
        (90, D(1)),
        (75, D("0.5")),  # 5 below, width 10: 100 % − 5/10
        (95, D("0.5")),  # 5 above
        (70, D(0)),  # one width outside: 0 %
        (60, D(0)),  # never below 0
    ],
)
def test_range_full_inside_and_falling_linearly_by_its_width(actual, expected):
    assert own("range", actual=actual, low=80, high=90).value == expected


def test_range_edge_cases():
    assert own("range", actual=5, low=None, high=10).value is None
    assert own("range", actual=5, low=10, high=1).value is None  # low above high
    assert own("range", actual=5, low=5, high=5).value == 1  # point range hit
    assert own("range", actual=6, low=5, high=5).value == 0  # point range missed
    assert own("range", actual=None, low=1, high=2).value is None


# --- roll-up --------------------------------------------------------------------------------


def node(pk, parent, weight, value, measured=None):
    prog = p.Progress(None if value is None else D(str(value)), ())
    return p.RollupInput(
        id=pk,
        parent_id=parent,
        weight=D(str(weight)),
        own=prog,
        measured=(value is not None) if measured is None else measured,
        title=f"g{pk}",
    )


def test_rollup_is_weighted_not_a_plain_average():
    # parent without a measure; children 50 % (weight 3) and 100 % (weight 1)
    # (3 × 50 % + 1 × 100 %) / 4 = 62.5 % (a plain average would say 75 %)
    results = p.rollup([node(1, None, 1, None), node(2, 1, 3, "0.5"), node(3, 1, 1, "1")])
    assert results[1].progress.value == D("0.625")
    assert results[1].own.value is None
    assert "roll-up: (3 × 50.0% + 1 × 100.0%) / 4 = 62.5%" in results[1].progress.trace_text()


def test_weights_need_not_add_up_to_one():
    # weights 0.3 and 0.1: (0.3 × 50 % + 0.1 × 100 %) / 0.4 = 62.5 %, same as 3 and 1
    results = p.rollup([node(1, None, 1, None), node(2, 1, "0.3", "0.5"), node(3, 1, "0.1", "1")])
    assert results[1].progress.value == D("0.625")


def test_an_outlier_cannot_hide_a_failing_sibling():
    # 300 % and 20 %: capped (1 × 100 % + 1 × 20 %) / 2 = 60 %; uncapped would be 160 %
    results = p.rollup([node(1, None, 1, None), node(2, 1, 1, 3), node(3, 1, 1, "0.2")])
    assert results[1].progress.value == D("0.6")
    assert results[2].progress.value == 3  # the child's own display stays uncapped
    text = results[1].progress.trace_text()
    assert "g2 counts 100.0% in the roll-up (capped from 300.0%)" in text


def test_a_child_that_went_back_counts_zero_not_negative():
    # −50 % and 80 %: (1 × 0 % + 1 × 80 %) / 2 = 40 %
    results = p.rollup([node(1, None, 1, None), node(2, 1, 1, "-0.5"), node(3, 1, 1, "0.8")])
    assert results[1].progress.value == D("0.4")


def test_children_without_progress_are_left_out():
    # only child 2 has data: 1 × 40 % / 1
    results = p.rollup([node(1, None, 1, None), node(2, 1, 1, "0.4"), node(3, 1, 5, None)])
    assert results[1].progress.value == D("0.4")
    none = p.rollup([node(1, None, 1, None), node(2, 1, 1, None)])
    assert none[1].progress.value is None


def test_a_proposal_does_not_move_its_parent():
    # child 3 is a proposal at 100 %: only child 2 counts, 1 × 40 % / 1 = 40 %
    proposal = node(3, 1, 1, "1")
    proposal.counts = False
    results = p.rollup([node(1, None, 1, None), node(2, 1, 1, "0.4"), proposal])
    assert results[1].progress.value == D("0.4")
    assert "g3 is not approved yet; left out of the roll-up" in results[1].progress.trace_text()


def test_zero_total_weight_gives_no_progress():
    results = p.rollup([node(1, None, 1, None), node(2, 1, 0, "0.5"), node(3, 1, 0, "1")])
    assert results[1].progress.value is None
    assert "weights add up to 0" in results[1].progress.trace_text()[-1]


def test_measured_parent_keeps_its_own_value_and_shows_the_roll_up_beside_it():
    # own 57.1 %; children 50 % and 50 % → from children 50 %
    results = p.rollup([node(1, None, 1, "0.5714"), node(2, 1, 3, "0.5"), node(3, 1, 1, "0.5")])
    assert results[1].progress.value == D("0.5714")
    assert results[1].from_children.value == D("0.5")


def test_grandchildren_roll_up_through_unmeasured_parents():
    # 1 ← 2 (no measure) ← {4: 100 %, 5: 0 %};  1 ← 3: 40 %
    # 2 = (1 × 100 % + 1 × 0 %) / 2 = 50 %; 1 = (1 × 50 % + 1 × 40 %) / 2 = 45 %
    results = p.rollup(
        [
            node(1, None, 1, None),
            node(2, 1, 1, None),
            node(3, 1, 1, "0.4"),
            node(4, 2, 1, "1"),
            node(5, 2, 1, "0"),
        ]
    )
    assert results[2].progress.value == D("0.5")
    assert results[1].progress.value == D("0.45")


def test_deep_chains_do_not_recurse_and_loops_are_safe():
    chain = [node(0, None, 1, None)] + [node(i, i - 1, 1, None) for i in range(1, 5000)]
    chain.append(node(5000, 4999, 1, "0.3"))
    results = p.rollup(chain)
    assert results[0].progress.value == D("0.3")
    loop = p.rollup([node(1, 2, 1, "0.5"), node(2, 1, 1, "0.7")])
    assert loop[1].progress.value == D("0.5")
    assert "loop" in loop[1].progress.trace_text()[-1]


def test_a_parent_outside_the_set_makes_a_root():
    results = p.rollup([node(7, 99, 1, "0.2")])
    assert results[7].progress.value == D("0.2")


# --- pace ----------------------------------------------------------------------------------

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)  # 364 days after the start


def pace(progress, today, **kw):
    value = None if progress is None else D(str(progress))
    return p.pace(progress=value, start=START, deadline=END, today=today, **kw)


def test_pace_statuses_at_fixed_dates():
    mid = datetime.date(2026, 7, 2)  # 182 / 364 = 50 % elapsed
    assert p.elapsed_share(START, END, mid) == D("0.5")
    assert pace("0.5", mid).status == p.ON_TRACK  # ratio 1.00
    assert pace("0.45", mid).status == p.ON_TRACK  # 0.90 ≥ 0.9
    assert pace("0.44", mid).status == p.AT_RISK  # 0.88
    assert pace("0.35", mid).status == p.AT_RISK  # 0.70 ≥ 0.7
    assert pace("0.34", mid).status == p.BEHIND  # 0.68
    assert pace("1", mid).status == p.DONE
    assert pace("1.2", mid).status == p.DONE
    assert pace(None, mid).status == p.NO_DATA
    assert pace("0.1", datetime.date(2025, 12, 31)).status == p.NOT_STARTED
    assert pace("0", START).status == p.ON_TRACK  # nothing expected yet
    # after the deadline the elapsed share stays 1: 90 % is on track only by the threshold
    late = pace("0.9", datetime.date(2027, 3, 1))
    assert late.elapsed == 1 and late.status == p.ON_TRACK
    assert pace("0.6", datetime.date(2027, 3, 1)).status == p.BEHIND


def test_pace_thresholds_are_parameters():
    mid = datetime.date(2026, 7, 2)
    strict = {"on_track": D("1.0"), "at_risk": D("0.95")}
    assert pace("0.49", mid, **strict).status == p.AT_RISK  # 0.98
    assert pace("0.45", mid, **strict).status == p.BEHIND  # 0.90


def test_pace_trace_shows_the_numbers():
    result = pace("0.5", datetime.date(2026, 7, 2))
    assert result.trace_text() == [
        "elapsed: (2026-07-02 − 2026-01-01) / (2026-12-31 − 2026-01-01) = 182 / 364 days = 50.0%",
        "pace: 50.0% ÷ 50.0% = 1.00",
        "1.00 ≥ 0.90: on track",
    ]


def test_display_helpers():
    assert p.fmt_num(D("65.0000")) == "65"
    assert p.fmt_num(D("1.5000")) == "1.5"
    assert p.fmt_num(D("100")) == "100"
    assert p.fmt_pct(D("0.571428")) == "57.1%"
    assert p.fmt_pct(None) == "—"
