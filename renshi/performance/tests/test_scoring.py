"""The scoring engine (renshi/performance/scoring.py), checked against hand arithmetic."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import translation

from renshi.performance import scoring as s


def ratio(name, weight, target, actual, **rule):
    return s.IndicatorInput(
        name=name, weight=D(weight), target=D(target),
        actual=None if actual is None else D(actual), rule=s.Rule(**rule),
    )  # fmt: skip


def test_seed_example_comes_out_exactly_122():
    result = s.score_result(
        [ratio("销售额", 60, 10, 12), ratio("新客户数", 40, 4, 5)], split={s.RESULTS: D(100)}
    )
    assert [i.points for i in result.indicators] == [D(72), D(50)]
    assert result.subtotals[s.RESULTS] == D(122)
    assert result.final == D("122.00")
    assert result.grade.key == "excellent"
    assert result.complete


def test_seed_example_trace_reads_line_by_line():
    result = s.score_result(
        [ratio("销售额", 60, 10, 12), ratio("新客户数", 40, 4, 5)], split={s.RESULTS: D(100)}
    )
    with translation.override("en"):
        text = s.render(result.trace)
    assert "销售额: achievement = actual 12 ÷ target 10 = 120%" in text
    assert "销售额: score 120 × weight 60 ÷ 100 = 72 points" in text
    assert "Results: 72 + 50 = 122" in text
    assert text[-2:] == ["Final score 122 (rounded to two places)", "Grade: 优秀 (band from 90)"]
    # stored form round-trips to the same text
    stored = [line.as_dict() for line in result.trace]
    with translation.override("en"):
        assert s.render(stored) == text


def test_trace_renders_in_chinese():
    result = s.score_result([ratio("销售额", 100, 10, 12)], split={s.RESULTS: D(100)})
    with translation.override("zh-hans"):
        text = s.render(result.trace)
    assert any("销售额" in line for line in text)


def test_cap_and_floor():
    capped = s.score_indicator(ratio("x", 60, 10, 15, cap=D("1.2")))
    assert capped.achievement == D("1.5")
    assert capped.capped == D("1.2")
    assert capped.points == D(72)  # 1.2 × 100 × 60 / 100
    floored = s.score_indicator(ratio("x", 50, 10, 2, floor=D("0.5")))
    assert floored.capped == D("0.5")
    assert floored.points == D(25)


def test_lower_is_better_ratio_and_deviation():
    inv = s.score_indicator(ratio("次品率", 100, 2, D("1.6"), direction=s.LOWER))
    assert inv.achievement == D("1.25")  # 2 / 1.6
    assert inv.points == D(125)
    dev = s.score_indicator(
        ratio("次品率", 100, 2, D("2.5"), direction=s.LOWER, inverse=s.INVERSE_DEVIATION)
    )
    assert dev.achievement == D("0.75")  # 2 - 2.5/2
    assert dev.points == D(75)


def test_lower_is_better_zero_actual_falls_back_to_deviation():
    zero = s.score_indicator(ratio("宕机", 100, 1, 0, direction=s.LOWER, cap=D("1.5")))
    assert zero.achievement == D(2)
    assert zero.capped == D("1.5")
    assert [line.code for line in zero.trace][:2] == ["ratio_zero_actual", "ratio_deviation"]


def test_zero_target():
    met = s.score_indicator(ratio("投诉", 100, 0, 0, direction=s.LOWER))
    missed = s.score_indicator(ratio("投诉", 100, 0, 3, direction=s.LOWER))
    assert (met.score, missed.score) == (D(100), D(0))


def test_bands():
    rule = s.Rule(kind=s.BANDS, bands=((D(1), D(100)), (D("0.9"), D(80)), (D("0.8"), D(60))))

    def score(actual):
        return s.score_indicator(
            s.IndicatorInput(name="x", weight=D(100), target=D(100), actual=D(actual), rule=rule)
        ).score

    assert score(120) == 100
    assert score(100) == 100
    assert score(95) == 80
    assert score(90) == 80
    assert score(85) == 60
    assert score("79.99") == 0


def test_threshold_plain_and_stepped():
    plain = s.Rule(kind=s.THRESHOLD, direction=s.LOWER, limit=D(1))
    stepped = s.Rule(kind=s.THRESHOLD, direction=s.LOWER, limit=D(30), step=D(5), step_points=D(20))

    def score(rule, actual):
        return s.score_indicator(
            s.IndicatorInput(name="x", weight=D(100), actual=D(actual), rule=rule)
        ).score

    assert score(plain, "0.8") == 100  # downtime 0.8 % ≤ 1 %
    assert score(plain, 1) == 100
    assert score(plain, "1.1") == 0
    assert score(stepped, 30) == 100  # response 30 min ≤ 30
    assert score(stepped, 31) == 80  # one started step
    assert score(stepped, 40) == 60  # two steps
    assert score(stepped, 90) == 0  # never below 0
    at_least = s.Rule(kind=s.THRESHOLD, direction=s.HIGHER, limit=D(95))
    assert score(at_least, 96) == 100
    assert score(at_least, 94) == 0


def test_rating_scale():
    rule = s.Rule(kind=s.RATING, scale_max=5, anchors=((4, "超出期望"), (3, "达到期望")))
    result = s.score_indicator(
        s.IndicatorInput(name="团队合作", weight=D(50), category=s.COMPETENCY, rating=D(4),
                         rule=rule)
    )  # fmt: skip
    assert result.score == D(80)
    assert result.points == D(40)
    assert result.trace[0].params["anchor"] == "超出期望"
    with pytest.raises(s.ScoringError):
        s.score_indicator(s.IndicatorInput(name="x", weight=D(1), rating=D(6), rule=rule))


def test_missing_data_scores_zero_and_marks_incomplete():
    result = s.score_result(
        [ratio("销售额", 60, 10, None), ratio("新客户数", 40, 4, 4)], split={s.RESULTS: D(100)}
    )
    assert result.indicators[0].missing
    assert result.indicators[0].points == 0
    assert result.final == D("40.00")
    assert not result.complete
    assert result.grade.key == "fail"


def test_split_70_30_and_missing_category_scaled():
    rating = s.Rule(kind=s.RATING)
    indicators = [
        ratio("销售额", 100, 10, 9),
        s.IndicatorInput(name="沟通", weight=D(100), category=s.COMPETENCY, rating=D(4),
                         rule=rating),
    ]  # fmt: skip
    result = s.score_result(indicators)
    # 90 × 70 % + 80 × 30 % = 63 + 24 = 87
    assert result.final == D("87.00")
    assert result.grade.key == "good"
    only_results = s.score_result([ratio("销售额", 100, 10, 9)])
    assert only_results.final == D("90.00")  # results scaled to 100 % (trace says so)
    assert "category_empty" in [line.code for line in only_results.trace]
    eighty = s.score_result(indicators, split={s.RESULTS: D(80), s.COMPETENCY: D(20)})
    assert eighty.final == D("88.00")  # 72 + 16


def test_weights_must_total_100_per_category():
    with pytest.raises(s.ScoringError):
        s.score_result([ratio("a", 60, 1, 1), ratio("b", 30, 1, 1)], split={s.RESULTS: D(100)})
    assert s.weight_problems([ratio("a", 60, 1, 1), ratio("b", 30, 1, 1)]) == {s.RESULTS: D(90)}
    with pytest.raises(s.ScoringError):
        s.score_result([ratio("a", 100, 1, 1)], split={s.RESULTS: D(70), s.COMPETENCY: D(20)})


def test_360_needs_three_raters():
    base = [ratio("销售额", 100, 10, 9)]
    skipped = s.score_result(
        base, split={s.RESULTS: D(100)}, scores360=[D(100), D(100)], weight360=D(20)
    )
    assert skipped.final == D("90.00")
    assert skipped.score360 is None
    blended = s.score_result(
        base, split={s.RESULTS: D(100)}, scores360=[D(70), D(80), D(90)], weight360=D(20)
    )
    assert blended.score360 == D(80)
    assert blended.final == D("88.00")  # 90 × 0.8 + 80 × 0.2


@pytest.mark.parametrize(
    ("score", "grade"),
    [("90", "excellent"), ("89.99", "good"), ("80", "good"), ("79.99", "pass"),
     ("70", "pass"), ("69.99", "fail"), ("0", "fail"), ("-5", "fail"), ("122", "excellent")],
)  # fmt: skip
def test_default_grade_bands(score, grade):
    assert s.grade_for(D(score)).key == grade


def test_largest_remainder_and_forced_distribution():
    assert s.largest_remainder(10, [D(20), D(30), D(40), D(10)]) == [2, 3, 4, 1]
    # 7 people, 20/30/40/10: quotas 1.4 2.1 2.8 0.7 → floors 1 2 2 0, 2 seats left → 2.8, 0.7
    assert s.largest_remainder(7, [D(20), D(30), D(40), D(10)]) == [1, 2, 3, 1]
    # ties go to the earlier (better) grade
    assert s.largest_remainder(1, [D(50), D(50)]) == [1, 0]
    quotas, warnings = s.forced_distribution(4, {"excellent": D(25), "good": D(75)})
    assert [q.seats for q in quotas] == [1, 3]
    assert warnings == ["small_group"]
    assert s.forced_distribution(12, {"a": D(1)})[1] == []
    assert sum(s.largest_remainder(1000, [D(15), D(35), D(40), D(10)])) == 1000


def test_rules_round_trip_and_refuse_bad_settings():
    rule = s.Rule(kind=s.THRESHOLD, direction=s.LOWER, limit=D(30), step=D(5), step_points=D(20))
    assert s.Rule.from_dict(rule.as_dict()) == rule
    bands = s.Rule(kind=s.BANDS, bands=((D(1), D(100)), (D("0.8"), D(60))), cap=D("1.5"))
    assert s.Rule.from_dict(bands.as_dict()) == bands
    for bad in (
        {"kind": "magic"},
        {"kind": "ratio", "cap": "0"},
        {"kind": "ratio", "floor": "2", "cap": "1.5"},
        {"kind": "bands"},
        {"kind": "threshold"},
        {"kind": "threshold", "limit": "1", "step": "5"},
        {"kind": "rating", "scale_max": 0},
        {"kind": "ratio", "evil": "__import__('os')"},
    ):
        with pytest.raises(s.ScoringError):
            s.Rule.from_dict(bad)


def test_outcomes_table():
    assert s.outcome_for("excellent").bonus_coefficient == D("1.5")
    assert s.outcome_for("nope") is None


def test_stored_result_keeps_the_numbers_and_reads_back_every_line():
    result = s.score_result(
        [ratio("销售额", 60, 10, 12), ratio("新客户数", 40, 4, 5)], split={s.RESULTS: D(100)}
    )
    stored = result.as_dict()
    indicators = s.stored_indicators(stored)
    assert "trace" not in stored and all("trace" not in i for i in indicators)
    assert indicators[0]["rule"] == {"kind": "ratio", "direction": "higher",
                                               "inverse": "ratio"}  # fmt: skip
    assert (stored["final"], stored["grade_label"], stored["grade_lower"]) == ("122", "优秀", "90")
    with translation.override("en"):
        assert s.render(s.stored_lines(stored)) == s.render(result.trace)


def test_bulk_mode_computes_the_same_numbers_without_lines():
    inputs = [ratio("销售额", 60, 10, 12), ratio("新客户数", 40, 4, 5)]
    explained = s.score_result(inputs, split={s.RESULTS: D(100)})
    bare = s.score_result(inputs, split={s.RESULTS: D(100)}, explain=False)
    assert bare.trace == [] and all(i.trace == [] for i in bare.indicators)
    assert bare.as_dict() == explained.as_dict()


def test_numbers_are_stored_exact_and_shown_rounded():
    result = s.score_result([ratio("x", 100, 3, 1)], split={s.RESULTS: D(100)})
    stored = result.as_dict()
    indicator = s.stored_indicators(stored)[0]
    assert indicator["achievement"].startswith("0.3333")  # exact in storage
    with translation.override("en"):
        line = s.render(s.indicator_lines(indicator))[0]
        assert line == "x: achievement = actual 1 ÷ target 3 = 33.33%"
    assert s.plain(D("122.0000")) == "122" and s.plain(D("0.500")) == "0.5"
    assert s.plain(D("0E-8")) == "0" and s.plain(D("-1.50")) == "-1.5"


def test_360_and_empty_category_lines_read_back_too():
    rating = s.Rule(kind=s.RATING)
    result = s.score_result(
        [s.IndicatorInput(name="沟通", weight=D(100), category=s.COMPETENCY, rating=D(4),
                          rule=rating)],
        scores360=[D(70), D(80)], weight360=D(20),
    )  # fmt: skip
    with translation.override("en"):
        assert s.render(s.stored_lines(result.as_dict())) == s.render(result.trace)
    codes = [line.code for line in result.trace]
    assert "category_empty" in codes and "skip_360" in codes
