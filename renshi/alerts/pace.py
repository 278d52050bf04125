"""Pace: how much of a target is expected by today. Pure functions on plain values (no
database); docs/alerts.md works an example through by hand.

* A **working day** is Monday–Friday, minus the company's holidays (节假日), plus its make-up
  working days (调休) — both given as a ``WorkCalendar`` of overrides (``CalendarDay`` rows).
* ``elapsed_share(start, end, today, calendar=, curve=None)`` is the share of the period
  [start, end] (both inclusive) that lies behind us: the working days **before** ``today``
  (today's work is not done yet — the rules run in the morning) over the period's working days.
  With a seasonal ``curve`` (12 monthly weights, January first) each month's weight is spread
  evenly over that month's working days, and the share is the weight of the elapsed working days
  over the weight of the period's.
* ``expected_to_date(target, share) = target × share``; ``completion(actual, expected) =
  actual ÷ expected``.

Edge cases (each with its own trace line):
* today on or before the start: share 0 — nothing is expected yet, so nothing can be behind;
* today after the end: share 1;
* a period without working days (or a curve whose months in the period all weigh 0): share 0
  until the end, 1 after it (a zero-weight curve falls back to plain working days first);
* expected 0: completion is None (undefined), never "infinitely ahead" or an alert.

Results are ``Decimal``, never rounded here (``fmt_pct`` is for display). Every result carries
its ``trace``: ``Step`` objects rendered lazily in the active language.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from renshi.core.numbers import Num, Num2, Pct

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
DAY = datetime.timedelta(days=1)


# --- display helpers: renshi.core.numbers (the same rendering as the goals engine's) --------


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a trace: a translatable template and its values (rendered by ``str``)."""

    template: Any
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.template) % {k: str(v) for k, v in self.params.items()}


def render_trace(trace: Iterable[Any]) -> list[str]:
    return [str(step) for step in trace]


T_BEFORE = _("the period starts on %(start)s; today is %(today)s: nothing expected yet (0%%)")
T_AFTER = _("the period ended on %(end)s: 100%% expected")
T_NO_DAYS = _("no working days from %(start)s to %(end)s: nothing expected before the end")
T_WORKDAYS = _(
    "elapsed: %(elapsed)s of %(total)s working days from %(start)s to %(end)s "
    "(before %(today)s) = %(share)s"
)
T_CALENDAR = _(
    "working days are Monday to Friday; in the period %(holidays)s holidays off and "
    "%(makeup)s make-up working days on"
)
T_CURVE_MONTH = _("%(month)s: weight %(weight)s × %(elapsed)s / %(days)s working days = %(result)s")
T_CURVE = _("elapsed (seasonal curve): %(elapsed)s / %(total)s = %(share)s")
T_CURVE_ZERO = _("the seasonal curve gives the period no weight; plain working days instead")
T_EXPECTED = _("expected to date: %(target)s × %(share)s = %(expected)s")
T_COMPLETION = _("completion: %(actual)s ÷ %(expected)s = %(completion)s")
T_COMPLETION_NONE = _("nothing expected yet: no completion")


# --- the calendar ---------------------------------------------------------------------------


@dataclass
class WorkCalendar:
    """Working days of a company: Monday–Friday unless ``overrides`` says otherwise
    (date → True for a make-up working day 调休, False for a holiday 节假日)."""

    overrides: Mapping[datetime.date, bool] = field(default_factory=dict)
    _shares: dict = field(default_factory=dict, repr=False, compare=False)

    def is_working(self, day: datetime.date) -> bool:
        found = self.overrides.get(day)
        if found is not None:
            return found
        return day.weekday() < 5

    def working_dates(self, start: datetime.date, end: datetime.date) -> list[datetime.date]:
        """The working days of [start, end], both inclusive (empty when end < start)."""
        out = []
        day = start
        while day <= end:
            if self.is_working(day):
                out.append(day)
            day += DAY
        return out

    def working_days(self, start: datetime.date, end: datetime.date) -> int:
        return len(self.working_dates(start, end))

    def override_counts(self, start: datetime.date, end: datetime.date) -> tuple[int, int]:
        """(holidays on weekdays, make-up working days on weekends) inside [start, end]."""
        holidays = makeup = 0
        for day, working in self.overrides.items():
            if start <= day <= end:
                weekday = day.weekday() < 5
                if weekday and not working:
                    holidays += 1
                elif not weekday and working:
                    makeup += 1
        return holidays, makeup


PLAIN = WorkCalendar()  # Monday–Friday, no holidays


@dataclass(frozen=True, slots=True)
class Share:
    """An elapsed share in [0, 1] and how it was computed."""

    value: Decimal
    trace: tuple[Step, ...] = ()

    def trace_text(self) -> list[str]:
        return render_trace(self.trace)


def valid_curve(curve: Sequence[Any] | None) -> tuple[Decimal, ...] | None:
    """12 non-negative monthly weights as Decimals, or None (no curve, or not a usable one)."""
    if not curve:
        return None
    try:
        weights = tuple(Decimal(str(w)) for w in curve)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if len(weights) != 12 or any(w < 0 for w in weights):
        return None
    return weights


def elapsed_share(
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    *,
    calendar: WorkCalendar = PLAIN,
    curve: Sequence[Any] | None = None,
) -> Share:
    """The share of [start, end] elapsed before ``today`` in working days (or along a seasonal
    curve). Cached per calendar: 10,000 goals of one period cost one computation."""
    weights = valid_curve(curve)
    key = (start, end, today, weights)
    cached = calendar._shares.get(key)
    if cached is None:
        cached = _elapsed_share(start, end, today, calendar, weights)
        calendar._shares[key] = cached
    return cached


def _elapsed_share(start, end, today, calendar, weights) -> Share:
    if today <= start:
        return Share(ZERO, (Step(T_BEFORE, {"start": start, "today": today}),))
    if today > end:
        return Share(ONE, (Step(T_AFTER, {"end": end}),))
    dates = calendar.working_dates(start, end)
    holidays, makeup = calendar.override_counts(start, end)
    steps: list[Step] = []
    if holidays or makeup:
        steps.append(Step(T_CALENDAR, {"holidays": holidays, "makeup": makeup}))
    if not dates:
        steps.append(Step(T_NO_DAYS, {"start": start, "end": end}))
        return Share(ZERO, tuple(steps))
    elapsed = sum(1 for d in dates if d < today)
    if weights is not None:
        curved = _curve_share(start, end, today, calendar, weights, dates)
        if curved is not None:
            return Share(curved.value, (*steps, *curved.trace))
        steps.append(Step(T_CURVE_ZERO))
    value = Decimal(elapsed) / Decimal(len(dates))
    params = {"elapsed": elapsed, "total": len(dates), "start": start, "end": end}
    params.update(today=today, share=Pct(value))
    steps.append(Step(T_WORKDAYS, params))
    return Share(value, tuple(steps))


MONTHS = (
    _("January"),
    _("February"),
    _("March"),
    _("April"),
    _("May"),
    _("June"),
    _("July"),
    _("August"),
    _("September"),
    _("October"),
    _("November"),
    _("December"),
)


def _month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, month, 1)
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - DAY


def _curve_share(start, end, today, calendar, weights, dates) -> Share | None:
    """Σ over months of weight × elapsed / working days of the month, over the same sum for the
    period's days; a month's weight is spread over all its working days (a period that starts
    mid-month gets only its part of that month)."""
    months: dict[tuple[int, int], list[int]] = {}  # (year, month) → [in period, elapsed]
    for d in dates:
        entry = months.setdefault((d.year, d.month), [0, 0])
        entry[0] += 1
        if d < today:
            entry[1] += 1
    total = done = ZERO
    steps: list[Step] = []
    for (year, month), (in_period, elapsed) in months.items():
        weight = weights[month - 1]
        first, last = _month_bounds(year, month)
        month_days = calendar.working_days(first, last)
        total += weight * in_period / month_days
        part = weight * elapsed / month_days
        done += part
        if elapsed:
            params = {"month": MONTHS[month - 1], "weight": Num(weight), "elapsed": elapsed}
            params.update(days=month_days, result=Num2(part))
            steps.append(Step(T_CURVE_MONTH, params))
    if total == 0:
        return None
    value = done / total
    steps.append(Step(T_CURVE, {"elapsed": Num2(done), "total": Num2(total), "share": Pct(value)}))
    return Share(value, tuple(steps))


# --- expected and completion ----------------------------------------------------------------


def expected_to_date(target: Decimal, share: Decimal) -> Decimal:
    """target × elapsed share."""
    return Decimal(target) * Decimal(share)


def completion(actual: Decimal | None, expected: Decimal | None) -> Decimal | None:
    """actual ÷ expected; None when nothing is expected yet (or nothing is known)."""
    if actual is None or expected is None or expected == 0:
        return None
    return Decimal(actual) / Decimal(expected)


def expected_steps(target: Decimal, share: Decimal, expected: Decimal) -> Step:
    params = {"target": Num(target), "share": Pct(share), "expected": Num(expected)}
    return Step(T_EXPECTED, params)


def completion_step(actual, expected, value) -> Step:
    if value is None:
        return Step(T_COMPLETION_NONE)
    params = {"actual": Num(actual), "expected": Num(expected), "completion": Pct(value)}
    return Step(T_COMPLETION, params)
