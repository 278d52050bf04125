"""The scoring engine of performance cycles: pure functions on plain values (no database).

Every function returns its result together with a **trace**: a list of ``Line`` objects, each a
code and the numbers it used. A trace is stored as JSON with the score (``Line.as_dict``) and
rendered in the reader's language (``render``), so an appeal can be answered line by line.

Units. An indicator's *achievement* is a fraction (1 = 100 %). Its *score* is on a 0–100 scale
(it may exceed 100 when a result beats its target and no cap applies). Its *points* are
``score × weight ÷ 100``; the points of a category's indicators add up to the category's
subtotal, because the weights inside a category total 100. The final score blends the category
subtotals by the plan's split (70:30 by default) and, when the cycle has one, the 360 component.

The seeds' example, uncapped: sales 12 against 10 at weight 60 and new customers 5 against 4 at
weight 40 give 12/10 × 60 + 5/4 × 40 = 72 + 50 = 122.

Rules (``Rule.kind``):
* ``ratio`` — achievement = actual ÷ target (higher is better). Lower is better: target ÷ actual
  (``inverse="ratio"``) or 2 − actual ÷ target (``inverse="deviation"``, the "defined inverse":
  1 % better than target scores 101 %). An actual of 0 under ``inverse="ratio"`` cannot be
  divided; the deviation formula is used and the trace says so. Then the optional floor and cap
  apply (e.g. cap 1.2 = 120 %), and score = achievement × 100.
* ``bands`` — a table of (lowest achievement, score) rows; the row with the highest lower bound
  not above the achievement gives the score; below every row the score is 0.
* ``threshold`` — a limit that must be respected (``actual ≤ limit`` for lower-is-better, e.g.
  server downtime ≤ 1 %; ``actual ≥ limit`` for higher-is-better): 100 when respected; otherwise
  0, or, with ``step``/``step_points``, 100 − step_points for every started step beyond the limit
  (never below 0).
* ``rating`` — the evaluator's rating on a scale (1–5 by default, or custom anchors):
  score = rating ÷ scale maximum × 100.

Missing data: an indicator without an actual (or without a rating) scores 0 points, is marked
``missing`` and makes the whole result ``complete=False``; nothing is guessed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ZERO = Decimal(0)
ONE = Decimal(1)
TWO = Decimal(2)
HUNDRED = Decimal(100)

RATIO, BANDS, THRESHOLD, RATING = "ratio", "bands", "threshold", "rating"
HIGHER, LOWER = "higher", "lower"
INVERSE_RATIO, INVERSE_DEVIATION = "ratio", "deviation"
RESULTS, COMPETENCY = "results", "competency"

MIN_360_RATERS = 3


class ScoringError(ValueError):
    """A rule or an input that cannot be scored (bad configuration, not missing data)."""


def D(value: Any) -> Decimal:
    if type(value) is Decimal:
        return value
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def q2(value: Decimal) -> Decimal:
    """Rounded for storage and display: two places, half up (the only rounding we do)."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    value = D(value)
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{q2(value).normalize():f}"


def plain(value: Decimal | None) -> str | None:
    """Exact, without exponent or trailing zeros, for stored traces: 122.0000 → "122"."""
    if value is None:
        return None
    text = str(value)
    if "E" in text or "e" in text:
        return f"{D(value).normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def pct(value: Decimal) -> str:
    return f"{fmt(value * HUNDRED)}%"


# --- trace -------------------------------------------------------------------------------------

# Message templates per line code; the numbers are filled in when a line is rendered.
MESSAGES: dict[str, Any] = {
    "ratio": _("%(name)s: achievement = actual %(actual)s ÷ target %(target)s = %(achievement)s"),
    "ratio_inverse": _(
        "%(name)s (lower is better): achievement = target %(target)s ÷ actual %(actual)s "
        "= %(achievement)s"
    ),
    "ratio_deviation": _(
        "%(name)s (lower is better): achievement = 2 − actual %(actual)s ÷ target %(target)s "
        "= %(achievement)s"
    ),
    "ratio_zero_actual": _(
        "%(name)s: the actual is 0, so target ÷ actual cannot be computed; the deviation "
        "formula is used instead"
    ),
    "zero_target": _(
        "%(name)s: the target is 0; achievement is 100%% when the actual meets it, else 0%%"
    ),
    "cap": _("%(name)s: achievement %(before)s capped at %(limit)s"),
    "floor": _("%(name)s: achievement %(before)s raised to the floor %(limit)s"),
    "band": _(
        "%(name)s: achievement %(achievement)s falls in the band from %(lower)s: score %(score)s"
    ),
    "band_none": _("%(name)s: achievement %(achievement)s is below every band: score 0"),
    "threshold_met": _("%(name)s: %(actual)s respects the limit %(op)s %(limit)s: score 100"),
    "threshold_missed": _(
        "%(name)s: %(actual)s does not respect the limit %(op)s %(limit)s: score 0"
    ),
    "threshold_steps": _(
        "%(name)s: %(actual)s is %(excess)s beyond the limit %(limit)s, %(steps)s started step(s) "
        "of %(step)s × %(step_points)s points deducted: score %(score)s"
    ),
    "rating": _("%(name)s: rating %(rating)s of %(scale)s (%(anchor)s): score %(score)s"),
    "score": _("%(name)s: score %(score)s × weight %(weight)s ÷ 100 = %(points)s points"),
    "missing_actual": _("%(name)s: no actual recorded: 0 points (result incomplete)"),
    "missing_rating": _("%(name)s: not rated yet: 0 points (result incomplete)"),
    "subtotal": _("%(category)s: %(terms)s = %(subtotal)s"),
    "category_empty": _("%(category)s: no indicators"),
    "split": _("Weighted by the split: %(terms)s = %(score)s"),
    "blend_360": _(
        "360 component: %(base)s × %(base_share)s + 360 average %(score360)s (%(raters)s raters) "
        "× %(share360)s = %(score)s"
    ),
    "skip_360": _(
        "360 component left out: %(raters)s rater(s) answered, at least %(minimum)s are needed; "
        "the base score counts in full"
    ),
    "final": _("Final score %(score)s (rounded to two places)"),
    "grade": _("Grade: %(grade)s (band from %(lower)s)"),
}

CATEGORY_LABELS = {
    RESULTS: pgettext_lazy("performance category", "Results"),
    COMPETENCY: pgettext_lazy("performance category", "Competency"),
}

# Lines keep their numbers raw (exact Decimal text once stored); they are formatted only when a
# line is rendered, so scoring 10,000 scorecards formats nothing. Parameters listed here are
# fractions shown as percentages; lists are sums shown as "a + b"; other numbers are shown
# without trailing zeros, rounded to two places.
PCT_PARAMS: dict[str, frozenset[str]] = {
    "ratio": frozenset({"achievement"}),
    "ratio_inverse": frozenset({"achievement"}),
    "ratio_deviation": frozenset({"achievement"}),
    "cap": frozenset({"before", "limit"}),
    "floor": frozenset({"before", "limit"}),
    "band": frozenset({"achievement", "lower"}),
    "band_none": frozenset({"achievement"}),
    "blend_360": frozenset({"base_share", "share360"}),
}
TEXT_PARAMS = frozenset({"name", "category", "grade", "anchor", "op", "lower_text", "terms"})


def _shown(value: Any, percent: bool) -> Any:
    if isinstance(value, (list, tuple)):
        return " + ".join(str(_shown(v, percent)) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = D(value)
    except (ArithmeticError, ValueError, TypeError):
        return value
    if not number.is_finite():
        return value
    return pct(number) if percent else fmt(number)


class Line(NamedTuple):
    """One step of a calculation: a message code and the raw values it shows (a tuple: cheap
    to create, 10,000 scorecards make half a million of them)."""

    code: str
    params: Mapping[str, Any] = {}  # never mutated

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "params": {
                k: (str(v) if type(v) is Decimal else _stored(v)) for k, v in self.params.items()
            },
        }

    def __str__(self) -> str:
        return render_line(self.code, self.params)


def _stored(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, (list, tuple)):
        return [_stored(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(value)


def render_line(code: str, params: Mapping[str, Any]) -> str:
    template = MESSAGES.get(code)
    if template is None:
        return f"{code}: {dict(params)}"
    percent = PCT_PARAMS.get(code, frozenset())
    values = {
        k: v if k in TEXT_PARAMS and not isinstance(v, list) else _shown(v, k in percent)
        for k, v in params.items()
    }
    if "category" in values:
        values["category"] = CATEGORY_LABELS.get(values["category"], values["category"])
    try:
        return str(template) % values
    except (KeyError, ValueError, TypeError):
        return f"{code}: {dict(params)}"


class _Discard:
    """A trace that keeps nothing: bulk scoring stores numbers, and the lines are rebuilt from
    them when someone reads the calculation (``stored_lines``)."""

    __slots__ = ()

    def append(self, _line: Any) -> None:
        pass


DISCARD = _Discard()


def render(trace: Iterable[Line | Mapping[str, Any]]) -> list[str]:
    """A stored (dict) or live (Line) trace as readable lines in the active language."""
    lines = []
    for item in trace:
        if isinstance(item, Line):
            lines.append(str(item))
        else:
            lines.append(render_line(item.get("code", ""), item.get("params", {})))
    return lines


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str = RATIO
    direction: str = HIGHER
    inverse: str = INVERSE_RATIO  # lower-is-better ratio: "ratio" or "deviation"
    cap: Decimal | None = None  # achievement cap, e.g. Decimal("1.2")
    floor: Decimal | None = None  # achievement floor, e.g. Decimal(0)
    bands: tuple[tuple[Decimal, Decimal], ...] = ()  # (lowest achievement, score)
    limit: Decimal | None = None  # threshold
    step: Decimal | None = None  # threshold: size of a deduction step beyond the limit
    step_points: Decimal | None = None  # threshold: points deducted per started step
    scale_max: int = 5  # rating
    anchors: tuple[tuple[int, str], ...] = ()  # rating: (level, description)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Rule:
        """From the JSON stored on an indicator (unknown keys are refused)."""
        data = dict(data or {})
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ScoringError(f"unknown rule settings: {sorted(unknown)}")
        for key in ("cap", "floor", "limit", "step", "step_points"):
            if data.get(key) not in (None, ""):
                data[key] = D(data[key])
            else:
                data.pop(key, None)
        if "bands" in data:
            data["bands"] = tuple((D(lo), D(score)) for lo, score in data["bands"])
        if "anchors" in data:
            data["anchors"] = tuple((int(level), str(text)) for level, text in data["anchors"])
        if "scale_max" in data:
            data["scale_max"] = int(data["scale_max"])
        return cls(**data)  # validated on construction

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "direction": self.direction}
        if self.kind == RATIO:
            out["inverse"] = self.inverse
        for key in ("cap", "floor", "limit", "step", "step_points"):
            value = getattr(self, key)
            if value is not None:
                out[key] = str(value)
        if self.bands:
            out["bands"] = [[str(lo), str(score)] for lo, score in self.bands]
        if self.kind == RATING:
            out["scale_max"] = self.scale_max
            if self.anchors:
                out["anchors"] = [[level, text] for level, text in self.anchors]
        return out

    def __post_init__(self) -> None:
        self.validate()  # a Rule is valid by construction, so scoring never re-checks it

    def validate(self) -> None:
        if self.kind not in (RATIO, BANDS, THRESHOLD, RATING):
            raise ScoringError(f"unknown rule kind {self.kind!r}")
        if self.direction not in (HIGHER, LOWER):
            raise ScoringError(f"unknown direction {self.direction!r}")
        if self.inverse not in (INVERSE_RATIO, INVERSE_DEVIATION):
            raise ScoringError(f"unknown inverse {self.inverse!r}")
        if self.cap is not None and self.cap <= 0:
            raise ScoringError("the cap must be positive")
        if self.floor is not None and self.floor < 0:
            raise ScoringError("the floor must not be negative")
        if self.cap is not None and self.floor is not None and self.floor > self.cap:
            raise ScoringError("the floor must not exceed the cap")
        if self.kind == BANDS:
            if not self.bands:
                raise ScoringError("a band rule needs at least one band")
            lows = [lo for lo, _score in self.bands]
            if len(set(lows)) != len(lows):
                raise ScoringError("two bands start at the same achievement")
            if any(score < 0 for _lo, score in self.bands):
                raise ScoringError("band scores must not be negative")
        if self.kind == THRESHOLD:
            if self.limit is None:
                raise ScoringError("a threshold rule needs a limit")
            if (self.step is None) != (self.step_points is None):
                raise ScoringError("a stepped deduction needs both the step and its points")
            if self.step is not None and (self.step <= 0 or self.step_points < 0):
                raise ScoringError("the step must be positive and its points not negative")
        if self.kind == RATING:
            if self.scale_max < 1:
                raise ScoringError("a rating scale needs a maximum of at least 1")
            if any(not 1 <= level <= self.scale_max for level, _t in self.anchors):
                raise ScoringError("an anchor lies outside the scale")


@dataclass(slots=True)
class IndicatorInput:
    name: str
    weight: Decimal  # inside its category; a category's weights total 100
    rule: Rule = field(default_factory=Rule)
    category: str = RESULTS
    target: Decimal | None = None
    actual: Decimal | None = None
    rating: Decimal | None = None  # for rating rules
    key: Any = None  # the caller's id (assignment id), carried to the result


@dataclass(slots=True)
class IndicatorScore:
    key: Any
    name: str
    category: str
    weight: Decimal
    target: Decimal | None
    actual: Decimal | None
    achievement: Decimal | None  # before cap/floor (None: not a ratio/band rule or missing)
    capped: Decimal | None  # after cap/floor
    score: Decimal  # 0..100+ scale
    points: Decimal  # score × weight ÷ 100
    missing: bool
    trace: list[Line]
    rule: Rule | None = None
    rating: Decimal | None = None

    def as_row(self) -> list[Any]:
        """The stored form: the inputs (rule, weight, target, actual, rating) and every number
        computed from them, in the order of ``INDICATOR_FIELDS`` (a list, not a dict: 10,000
        scorecards × 8 indicators are written at once); ``stored_indicators`` reads it back."""
        s = plain
        return [
            self.key,
            self.name,
            self.category,
            _rule_dict(self.rule) if self.rule is not None else None,
            s(self.weight),
            s(self.target),
            s(self.actual),
            s(self.rating),
            s(self.achievement),
            s(self.capped),
            s(self.score),
            s(self.points),
            self.missing,
        ]

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(INDICATOR_FIELDS, self.as_row(), strict=True))


INDICATOR_FIELDS = (
    "key",
    "name",
    "category",
    "rule",
    "weight",
    "target",
    "actual",
    "rating",
    "achievement",
    "capped",
    "score",
    "points",
    "missing",
)


def stored_indicators(stored: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The indicators of a stored result as dicts (``INDICATOR_FIELDS``), whichever form they
    were stored in (rows since engine 2, dicts before)."""
    rows = (stored or {}).get("indicators", ())
    return [
        row if isinstance(row, dict) else dict(zip(INDICATOR_FIELDS, row, strict=False))
        for row in rows
    ]


_RULE_DICTS: dict[int, tuple[Rule, dict]] = {}


def _rule_dict(rule: Rule) -> dict[str, Any]:
    """``rule.as_dict()``, computed once per rule object (bulk scoring shares one per
    indicator across 10,000 scorecards)."""
    found = _RULE_DICTS.get(id(rule))
    if found is None or found[0] is not rule:
        if len(_RULE_DICTS) > 4096:
            _RULE_DICTS.clear()
        found = _RULE_DICTS[id(rule)] = (rule, rule.as_dict())
    return found[1]


def _achievement(ind: IndicatorInput, rule: Rule, trace: list[Line]) -> Decimal:
    name, actual, target = ind.name, D(ind.actual), ind.target
    if target is None:
        raise ScoringError(f"{name}: a ratio or band rule needs a target")
    target = D(target)
    if target == 0:
        met = actual <= 0 if rule.direction == LOWER else actual >= 0
        trace.append(Line("zero_target", {"name": name}))
        return ONE if met else ZERO
    if rule.direction == HIGHER:
        value = actual / target
        trace.append(
            Line("ratio", {"name": name, "actual": actual, "target": target,
                           "achievement": value})
        )  # fmt: skip
        return value
    inverse = rule.inverse
    if inverse == INVERSE_RATIO and actual == 0:
        trace.append(Line("ratio_zero_actual", {"name": name}))
        inverse = INVERSE_DEVIATION
    if inverse == INVERSE_RATIO:
        value = target / actual
        code = "ratio_inverse"
    else:
        value = TWO - actual / target
        code = "ratio_deviation"
    trace.append(
        Line(code, {"name": name, "actual": actual, "target": target,
                    "achievement": value})
    )  # fmt: skip
    return value


def _bounded(name: str, value: Decimal, rule: Rule, trace: list[Line]) -> Decimal:
    if rule.floor is not None and value < rule.floor:
        trace.append(Line("floor", {"name": name, "before": value, "limit": rule.floor}))
        value = rule.floor
    if rule.cap is not None and value > rule.cap:
        trace.append(Line("cap", {"name": name, "before": value, "limit": rule.cap}))
        value = rule.cap
    return value


def _threshold_score(ind: IndicatorInput, rule: Rule, trace: list[Line]) -> Decimal:
    actual, limit = D(ind.actual), rule.limit
    op = "≤" if rule.direction == LOWER else "≥"
    excess = actual - limit if rule.direction == LOWER else limit - actual
    base = {"name": ind.name, "actual": actual, "limit": limit, "op": op}
    if excess <= 0:
        trace.append(Line("threshold_met", base))
        return HUNDRED
    if rule.step is None:
        trace.append(Line("threshold_missed", base))
        return ZERO
    steps = math.ceil(excess / rule.step)
    score = max(ZERO, HUNDRED - rule.step_points * steps)
    trace.append(
        Line("threshold_steps", {**base, "excess": excess, "steps": steps,
                                 "step": rule.step, "step_points": rule.step_points,
                                 "score": score})
    )  # fmt: skip
    return score


def _band_score(name: str, achievement: Decimal, rule: Rule, trace: list[Line]) -> Decimal:
    eligible = [(lo, score) for lo, score in rule.bands if lo <= achievement]
    if not eligible:
        trace.append(Line("band_none", {"name": name, "achievement": achievement}))
        return ZERO
    lower, score = max(eligible, key=lambda band: band[0])
    trace.append(
        Line("band", {"name": name, "achievement": achievement, "lower": lower,
                      "score": score})
    )  # fmt: skip
    return score


def score_indicator(ind: IndicatorInput, *, explain: bool = True) -> IndicatorScore:
    """One indicator: achievement, cap/floor, score, points, with the trace (``explain=False``:
    the numbers only, for bulk scoring)."""
    rule = ind.rule
    weight = D(ind.weight)
    trace: Any = [] if explain else DISCARD
    achievement = capped = None
    missing = False
    if rule.kind == RATING:
        if ind.rating is None:
            missing, score = True, ZERO
            trace.append(Line("missing_rating", {"name": ind.name}))
        else:
            rating = D(ind.rating)
            if not 0 <= rating <= rule.scale_max:
                raise ScoringError(f"{ind.name}: rating {rating} outside 0–{rule.scale_max}")
            score = rating / D(rule.scale_max) * HUNDRED
            anchor = dict(rule.anchors).get(int(rating), "") if rating == int(rating) else ""
            trace.append(
                Line("rating", {"name": ind.name, "rating": rating,
                                "scale": rule.scale_max, "anchor": anchor or "—",
                                "score": score})
            )  # fmt: skip
    elif ind.actual is None:
        missing, score = True, ZERO
        trace.append(Line("missing_actual", {"name": ind.name}))
    elif rule.kind == THRESHOLD:
        score = _threshold_score(ind, rule, trace)
    else:
        achievement = _achievement(ind, rule, trace)
        capped = _bounded(ind.name, achievement, rule, trace)
        if rule.kind == BANDS:
            score = _band_score(ind.name, capped, rule, trace)
        else:
            score = capped * HUNDRED
    points = score * weight / HUNDRED
    if not missing:
        trace.append(
            Line("score", {"name": ind.name, "score": score, "weight": weight,
                           "points": points})
        )  # fmt: skip
    return IndicatorScore(
        key=ind.key,
        name=ind.name,
        category=ind.category,
        weight=weight,
        target=None if ind.target is None else D(ind.target),
        actual=None if ind.actual is None else D(ind.actual),
        achievement=achievement,
        capped=capped,
        score=score,
        points=points,
        missing=missing,
        trace=trace if explain else [],
        rule=rule,
        rating=None if ind.rating is None else D(ind.rating),
    )


# --- weights, grades, distribution -------------------------------------------------------------


def weight_problems(indicators: Sequence[IndicatorInput]) -> dict[str, Decimal]:
    """Categories whose weights do not total 100: {category: total}. Empty when all is well."""
    totals: dict[str, Decimal] = {}
    for ind in indicators:
        if D(ind.weight) < 0:
            raise ScoringError(f"{ind.name}: a weight must not be negative")
        totals[ind.category] = totals.get(ind.category, ZERO) + D(ind.weight)
    return {cat: total for cat, total in totals.items() if total != HUNDRED}


@dataclass(frozen=True)
class GradeBand:
    key: str
    label: str
    lower: Decimal  # inclusive lower bound of the final score


DEFAULT_GRADES: tuple[GradeBand, ...] = (
    GradeBand("excellent", "优秀", Decimal(90)),
    GradeBand("good", "良好", Decimal(80)),
    GradeBand("pass", "合格", Decimal(70)),
    GradeBand("fail", "不合格", Decimal("-Infinity")),
)


def grade_for(score: Decimal, bands: Sequence[GradeBand] = DEFAULT_GRADES) -> GradeBand:
    """The band with the highest lower bound not above the score (bands: any order). A score
    of 89.99 is "good" (80 ≤ s < 90): the bounds apply to the rounded final score."""
    ordered = sorted(bands, key=lambda b: b.lower, reverse=True)
    for band in ordered:
        if score >= band.lower:
            return band
    return ordered[-1]


def largest_remainder(total: int, shares: Sequence[Decimal]) -> list[int]:
    """Split ``total`` seats in proportion to ``shares`` (Hamilton's method): everyone gets the
    floor of their quota, the remaining seats go to the largest remainders; ties go to the
    earlier share (grades are listed best first, so a tie favours the better grade)."""
    shares = [D(s) for s in shares]
    whole = sum(shares)
    if total < 0 or whole <= 0 or any(s < 0 for s in shares):
        raise ScoringError("the shares must be non-negative and not all zero")
    quotas = [D(total) * s / whole for s in shares]
    seats = [int(q) for q in quotas]  # floor: quotas are non-negative
    left = total - sum(seats)
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - seats[i]), i))
    for i in order[:left]:
        seats[i] += 1
    return seats


@dataclass(frozen=True)
class Quota:
    grade: str
    share: Decimal
    seats: int


def forced_distribution(
    group_size: int, shares: Mapping[str, Decimal]
) -> tuple[list[Quota], list[str]]:
    """Seats per grade for a group, and warnings (a group under 5 people cannot honour a
    distribution meaningfully: it is computed, and flagged)."""
    keys = list(shares)
    seats = largest_remainder(group_size, [shares[k] for k in keys])
    warnings = []
    if group_size < 5:
        warnings.append("small_group")
    return [Quota(k, D(shares[k]), s) for k, s in zip(keys, seats, strict=True)], warnings


# --- the whole result ----------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    indicators: list[IndicatorScore]
    subtotals: dict[str, Decimal]
    base: Decimal  # after the split, before 360
    score360: Decimal | None
    raters360: int
    final: Decimal  # rounded to 2 places
    grade: GradeBand
    complete: bool
    trace: list[Line]
    split: dict[str, Decimal] = field(default_factory=dict)
    weight360: Decimal = ZERO

    def as_dict(self) -> dict[str, Any]:
        """What is stored with a scorecard: every input and computed number, from which
        ``stored_lines`` rebuilds the readable calculation line by line."""
        return {
            "engine": ENGINE_VERSION,
            "indicators": [i.as_row() for i in self.indicators],
            "split": {k: plain(v) for k, v in self.split.items()},
            "subtotals": {k: plain(v) for k, v in self.subtotals.items()},
            "base": plain(self.base),
            "weight360": plain(self.weight360),
            "score360": plain(self.score360),
            "raters360": self.raters360,
            "final": plain(self.final),
            "grade": self.grade.key,
            "grade_label": self.grade.label,
            "grade_lower": None if self.grade.lower.is_infinite() else plain(self.grade.lower),
            "complete": self.complete,
        }


# Bump when the rules of the engine change, so a stored result says which rules produced it.
ENGINE_VERSION = 2  # 2: indicators stored as rows (INDICATOR_FIELDS)


def _stored_decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else D(value)


def indicator_lines(stored: Mapping[str, Any]) -> list[Any]:
    """The lines of one stored indicator (``IndicatorScore.as_dict``): the engine run again on
    the stored inputs — the same numbers, in the reader's language."""
    if "trace" in stored:  # stored before lines were rebuilt from the numbers
        return list(stored["trace"])
    rule = stored.get("rule")
    if rule is None:
        return []
    again = score_indicator(
        IndicatorInput(
            name=stored.get("name", ""),
            weight=_stored_decimal(stored.get("weight")) or ZERO,
            rule=Rule.from_dict(rule),
            category=stored.get("category", RESULTS),
            target=_stored_decimal(stored.get("target")),
            actual=_stored_decimal(stored.get("actual")),
            rating=_stored_decimal(stored.get("rating")),
        )
    )
    return again.trace


def stored_lines(stored: Mapping[str, Any] | None) -> list[Any]:
    """The whole calculation of a stored result (``Result.as_dict``), in order: every
    indicator's lines, then the result's own (subtotals, split, 360, final score, grade)."""
    stored = stored or {}
    lines: list[Any] = []
    indicators = stored_indicators(stored)
    for indicator in indicators:
        lines.extend(indicator_lines(indicator))
    if "trace" in stored:  # the older stored form kept the result's own lines
        lines.extend(stored["trace"])
        return lines
    if "final" not in stored:
        return lines
    split = {k: D(v) for k, v in (stored.get("split") or {}).items()}
    points: dict[str, list[Decimal]] = {}
    for indicator in indicators:
        points.setdefault(indicator.get("category", RESULTS), []).append(
            _stored_decimal(indicator.get("points")) or ZERO
        )
    lower = stored.get("grade_lower")
    lines.extend(
        _summary_lines(
            split=split,
            points=points,
            subtotals={k: D(v) for k, v in (stored.get("subtotals") or {}).items()},
            base=_stored_decimal(stored.get("base")) or ZERO,
            weight360=_stored_decimal(stored.get("weight360")) or ZERO,
            raters360=int(stored.get("raters360") or 0),
            score360=_stored_decimal(stored.get("score360")),
            final=D(stored["final"]),
            grade=GradeBand(
                key=stored.get("grade", ""),
                label=stored.get("grade_label") or stored.get("grade", ""),
                lower=Decimal("-Infinity") if lower in (None, "") else D(lower),
            ),
        )
    )
    return lines


def _summary_lines(
    *,
    split: Mapping[str, Decimal],
    points: Mapping[str, list[Decimal]],
    subtotals: Mapping[str, Decimal],
    base: Decimal,
    weight360: Decimal,
    raters360: int,
    score360: Decimal | None,
    final: Decimal,
    grade: GradeBand,
) -> list[Line]:
    """The result's own lines, the same whether the result was just computed or is read back
    from storage."""
    lines: list[Line] = []
    for category in split:
        if category not in subtotals:
            lines.append(Line("category_empty", {"category": category}))
            continue
        lines.append(
            Line("subtotal", {"category": category, "terms": points.get(category, []),
                              "subtotal": subtotals[category]})
        )  # fmt: skip
    used = sum((split[c] for c in subtotals), ZERO)
    if used:
        terms = " + ".join(f"{fmt(subtotals[c])} × {pct(split[c] / used)}" for c in subtotals)
        lines.append(Line("split", {"terms": terms, "score": base}))
    if weight360 > 0:
        if score360 is not None:
            share = weight360 / HUNDRED
            blended = base * (ONE - share) + score360 * share
            lines.append(
                Line("blend_360", {"base": base, "base_share": ONE - share,
                                   "score360": score360, "raters": raters360,
                                   "share360": share, "score": blended})
            )  # fmt: skip
        else:
            lines.append(Line("skip_360", {"raters": raters360, "minimum": MIN_360_RATERS}))
    lines.append(Line("final", {"score": final}))
    lower = "—" if grade.lower.is_infinite() else fmt(grade.lower)
    lines.append(Line("grade", {"grade": grade.label, "lower": lower}))
    return lines


DEFAULT_SPLIT = {RESULTS: Decimal(70), COMPETENCY: Decimal(30)}


def score_result(
    indicators: Sequence[IndicatorInput],
    *,
    split: Mapping[str, Decimal] | None = None,
    scores360: Sequence[Decimal] = (),
    weight360: Decimal = ZERO,
    grades: Sequence[GradeBand] = DEFAULT_GRADES,
    explain: bool = True,
) -> Result:
    """An employee's result for a cycle (``explain=False``: numbers only, no lines — what bulk
    scoring stores; ``stored_lines`` rebuilds the lines from them).

    ``split``: the share (percent, totalling 100) of each category in the final score; a
    category without indicators gets no share and the others are scaled up to 100 (shown in
    the trace). ``scores360``: the 360 raters' scores (0–100); counted only with at least
    three raters, blended as base × (100 − weight360)% + average × weight360%.
    """
    split = dict(split or DEFAULT_SPLIT)
    if sum(D(v) for v in split.values()) != HUNDRED:
        raise ScoringError("the category split must total 100")
    problems = weight_problems(indicators)
    if problems:
        raise ScoringError(f"weights do not total 100 in: {sorted(problems)}")
    scored = [score_indicator(i, explain=explain) for i in indicators]
    split = {k: D(v) for k, v in split.items()}
    subtotals: dict[str, Decimal] = {}
    points: dict[str, list[Decimal]] = {}
    for s in scored:
        points.setdefault(s.category, []).append(s.points)
    unknown = set(points) - set(split)
    if unknown:
        raise ScoringError(f"categories without a share in the split: {sorted(unknown)}")
    for category in split:
        if category in points:
            subtotals[category] = sum(points[category], ZERO)
    used = sum((split[c] for c in subtotals), ZERO)
    base = sum((subtotals[c] * split[c] / used for c in subtotals), ZERO) if used else ZERO
    score = base
    avg360 = None
    weight360 = D(weight360)
    if weight360 > 0 and len(scores360) >= MIN_360_RATERS:
        avg360 = sum((D(x) for x in scores360), ZERO) / len(scores360)
        share = weight360 / HUNDRED
        score = base * (ONE - share) + avg360 * share
    final = q2(score)
    grade = grade_for(final, grades)
    trace: list[Line] = []
    if explain:
        for s in scored:
            trace.extend(s.trace)
        trace.extend(
            _summary_lines(
                split=split, points=points, subtotals=subtotals, base=base,
                weight360=weight360, raters360=len(scores360), score360=avg360,
                final=final, grade=grade,
            )
        )  # fmt: skip
    return Result(
        indicators=scored,
        subtotals=subtotals,
        base=base,
        score360=avg360,
        raters360=len(scores360),
        final=final,
        grade=grade,
        complete=not any(s.missing for s in scored),
        trace=trace,
        split=split,
        weight360=weight360,
    )


@dataclass(frozen=True)
class Outcome:
    grade: str
    raise_percent: Decimal
    bonus_coefficient: Decimal


DEFAULT_OUTCOMES: dict[str, Outcome] = {
    "excellent": Outcome("excellent", Decimal(10), Decimal("1.5")),
    "good": Outcome("good", Decimal(6), Decimal("1.2")),
    "pass": Outcome("pass", Decimal(3), Decimal("1.0")),
    "fail": Outcome("fail", Decimal(0), Decimal("0.5")),
}


def outcome_for(grade: str, table: Mapping[str, Outcome] | None = None) -> Outcome | None:
    """The pay raise and bonus coefficient of a grade (the company's table; None when the
    table has no row for it)."""
    return (table or DEFAULT_OUTCOMES).get(grade)
