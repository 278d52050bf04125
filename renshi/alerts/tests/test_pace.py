"""Pace: working days, holidays, make-up days, seasonal curves and the edges, against values
computed by hand (2026: 1 January is a Thursday, 1 June a Monday)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from django.utils import translation

from renshi.alerts import pace as p

d = datetime.date
JUNE = (d(2026, 6, 1), d(2026, 6, 30))  # 22 working days: 4 weeks + Mon 29, Tue 30


def test_working_days_monday_to_friday():
    assert p.PLAIN.working_days(*JUNE) == 22
    assert p.PLAIN.working_days(d(2026, 1, 1), d(2026, 12, 31)) == 261  # 52 × 5 + Thu 1 Jan
    assert p.PLAIN.working_days(d(2026, 6, 6), d(2026, 6, 7)) == 0  # a weekend
    assert p.PLAIN.working_days(d(2026, 6, 2), d(2026, 6, 1)) == 0  # end before start


def test_share_counts_the_working_days_before_today():
    share = p.elapsed_share(*JUNE, d(2026, 6, 8))  # Mon 8 June: 1–5 June done
    assert share.value == D(5) / D(22)
    # on the last day, that day is not done yet
    assert p.elapsed_share(*JUNE, d(2026, 6, 30)).value == D(21) / D(22)


def test_holidays_and_make_up_days():
    # 端午 Fri 19 June off; make-up working day Sun 14 June
    holiday = p.WorkCalendar({d(2026, 6, 19): False})
    assert holiday.working_days(*JUNE) == 21
    # before Mon 22 June: 1–5, 8–12, 15–18 = 14 of 21
    assert p.elapsed_share(*JUNE, d(2026, 6, 22), calendar=holiday).value == D(14) / D(21)
    both = p.WorkCalendar({d(2026, 6, 19): False, d(2026, 6, 14): True})
    assert both.working_days(*JUNE) == 22
    share = p.elapsed_share(*JUNE, d(2026, 6, 22), calendar=both)
    assert share.value == D(15) / D(22)  # the Sunday counts, the Friday does not
    with translation.override("en"):
        assert share.trace_text() == [
            "working days are Monday to Friday; in the period 1 holidays off and "
            "1 make-up working days on",
            "elapsed: 15 of 22 working days from 2026-06-01 to 2026-06-30 (before 2026-06-22) "
            "= 68.2%",
        ]


def test_before_the_start_and_after_the_end():
    start_day = p.elapsed_share(*JUNE, d(2026, 6, 1))
    assert start_day.value == 0
    assert p.elapsed_share(*JUNE, d(2026, 5, 20)).value == 0
    after = p.elapsed_share(*JUNE, d(2026, 7, 1))
    assert after.value == 1
    with translation.override("en"):
        assert after.trace_text() == ["the period ended on 2026-06-30: 100% expected"]
        assert start_day.trace_text() == [
            "the period starts on 2026-06-01; today is 2026-06-01: nothing expected yet (0%)"
        ]


def test_a_period_without_working_days():
    weekend = (d(2026, 6, 6), d(2026, 6, 7))
    assert p.elapsed_share(*weekend, d(2026, 6, 7)).value == 0
    assert p.elapsed_share(*weekend, d(2026, 6, 8)).value == 1


def test_seasonal_curve_spreads_a_month_over_its_working_days():
    year = (d(2026, 1, 1), d(2026, 12, 31))
    curve = [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]  # total weight 12
    # 1 February: all of January (weight 2) of 12 = 1/6, whatever the working days
    assert p.elapsed_share(*year, d(2026, 2, 1), curve=curve).value == D(2) / D(12)
    # 15 January: 10 of January's 22 working days (1–2, 5–9, 12–14): 2 × 10/22 / 12 = 5/66
    mid = p.elapsed_share(*year, d(2026, 1, 15), curve=curve).value
    assert abs(mid - D(5) / D(66)) < D("1e-20")
    # New Year's Day off: 9 of 21 → 2 × 9/21 / 12 = 1/14
    new_year = p.WorkCalendar({d(2026, 1, 1): False})
    value = p.elapsed_share(*year, d(2026, 1, 15), calendar=new_year, curve=curve).value
    assert abs(value - D(1) / D(14)) < D("1e-20")
    # December weighs nothing: on 1 December everything is expected
    assert p.elapsed_share(*year, d(2026, 12, 1), curve=curve).value == 1


def test_invalid_or_zero_curves_fall_back_to_working_days():
    plain = p.elapsed_share(*JUNE, d(2026, 6, 8)).value
    assert p.elapsed_share(*JUNE, d(2026, 6, 8), curve=[1, 2, 3]).value == plain  # not 12
    assert p.elapsed_share(*JUNE, d(2026, 6, 8), curve=[1] * 5 + [0] * 7).value == plain


def test_expected_and_completion():
    share = D(2) / D(12)
    expected = p.expected_to_date(D(12), share)
    assert expected == 2
    assert p.completion(D(1), expected) == D("0.5")
    assert p.completion(D(1), D(0)) is None  # nothing expected yet: no completion, no alert
    assert p.completion(None, D(2)) is None
    with translation.override("en"):
        assert str(p.expected_steps(D(12), share, expected)) == ("expected to date: 12 × 16.7% = 2")
        assert str(p.completion_step(D(1), expected, D("0.5"))) == "completion: 1 ÷ 2 = 50.0%"


def test_shares_are_cached_per_calendar():
    calendar = p.WorkCalendar()
    first = p.elapsed_share(*JUNE, d(2026, 6, 8), calendar=calendar)
    assert p.elapsed_share(*JUNE, d(2026, 6, 8), calendar=calendar) is first
