"""Target calculators: pure functions (no database) that suggest a target and explain it.

Each method returns a ``TargetResult(value, derivation, warnings)``:
* ``value`` — a Decimal rounded ROUND_HALF_UP to ``places`` decimals (the goal's useful
  precision: 0 for counts such as new customers, 1–2 for percentages and money);
* ``derivation`` — readable steps, each with its numbers, in the order they were computed;
* ``warnings`` — capacity limits and doubtful inputs (the target is still suggested).

Periods are explicit: an input "per quarter" converted to a target "per month" divides by the
number of months (1 quarter = 3 months), and the derivation says so. This is where the seeds'
example goes wrong: "18 per quarter ÷ 6 salespeople = 3 per month" — 18 ÷ 6 = 3 per person
*per quarter*, which is 1 per month.

Capacity (any method): the most the inputs allow is either a typed ``capacity`` or
``market_prospects × max_conversion% × average_value`` (``average_value`` defaults to 1, i.e.
a count of deals). A target above it gets a warning with that product.

``compute(method, raw_inputs)`` parses a mapping of raw values (form or JSON) into Decimals,
raising ``django.core.exceptions.ValidationError`` with per-field messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PIPELINE = "pipeline"
HISTORY = "history"
SHARE = "share"
METHODS = (PIPELINE, HISTORY, SHARE)

# months in a period
PERIOD_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
PERIOD_CHOICES = [
    ("month", gettext_lazy("month")),
    ("quarter", gettext_lazy("quarter")),
    ("half", gettext_lazy("half-year")),
    ("year", gettext_lazy("year")),
]
PER_PERIOD = {
    "month": gettext_lazy("per month"),
    "quarter": gettext_lazy("per quarter"),
    "half": gettext_lazy("per half-year"),
    "year": gettext_lazy("per year"),
}
MAX_PLACES = 4
DEFAULT_PLACES = 2
HUNDRED = Decimal(100)
# history with fewer periods than this gets a warning (an average of one or two is noise)
MIN_HISTORY = 3


class TargetResult(NamedTuple):
    value: Decimal
    derivation: list[str]
    warnings: list[str]


def fmt(value: Decimal) -> str:
    """A number as people write it: no exponent, no trailing zeros (30, 13.2, 0.5)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def pct(value: Decimal) -> str:
    return f"{fmt(value)}%"


def round_to(value: Decimal, places: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _per(period: str) -> str:
    return str(PER_PERIOD[period])


def _convert_period(
    value: Decimal, source: str, target: str, steps: list[str]
) -> tuple[Decimal, str | None]:
    """Convert an amount per ``source`` period into an amount per ``target`` period (exact)."""
    if source == target:
        return value, None
    months_from, months_to = PERIOD_MONTHS[source], PERIOD_MONTHS[target]
    converted = value * Decimal(months_to) / Decimal(months_from)
    if months_from > months_to:
        steps.append(
            _(
                "Period: %(value)s %(source_per)s ÷ %(factor)s = %(result)s %(target_per)s "
                "(1 %(source)s = %(factor)s %(target)s)"
            )
            % {
                "value": fmt(value),
                "source_per": _per(source),
                "factor": fmt(Decimal(months_from) / Decimal(months_to)),
                "result": fmt(round_to(converted, MAX_PLACES)),
                "target_per": _per(target),
                "source": dict(PERIOD_CHOICES)[source],
                "target": _plural_period(target),
            }
        )
    else:
        steps.append(
            _(
                "Period: %(value)s %(source_per)s × %(factor)s = %(result)s %(target_per)s "
                "(1 %(target)s = %(factor)s %(source)s)"
            )
            % {
                "value": fmt(value),
                "source_per": _per(source),
                "factor": fmt(Decimal(months_to) / Decimal(months_from)),
                "result": fmt(round_to(converted, MAX_PLACES)),
                "target_per": _per(target),
                "source": _plural_period(source),
                "target": dict(PERIOD_CHOICES)[target],
            }
        )
    return converted, source


def _plural_period(period: str) -> str:
    return {
        "month": _("months"),
        "quarter": _("quarters"),
        "half": _("half-years"),
        "year": _("years"),
    }[period]


def _finish(
    exact: Decimal,
    places: int,
    steps: list[str],
    warnings: list[str],
    capacity: Mapping[str, Any] | None,
    per: str,
) -> TargetResult:
    value = round_to(exact, places)
    if value != exact:
        steps.append(
            _("Rounded half up to %(places)s decimal places: %(exact)s → %(value)s")
            % {"places": places, "exact": fmt(round_to(exact, MAX_PLACES)), "value": fmt(value)}
        )
    steps.append(_("Suggested target: %(value)s %(per)s") % {"value": fmt(value), "per": _per(per)})
    warnings.extend(capacity_warnings(value, **(capacity or {})))
    return TargetResult(value, steps, warnings)


# --- the methods --------------------------------------------------------------------------------


def pipeline_conversion(
    *,
    prospects: Decimal,
    conversion: Decimal,
    period: str = "quarter",
    per: str | None = None,
    places: int = DEFAULT_PLACES,
    capacity: Mapping[str, Any] | None = None,
) -> TargetResult:
    """``prospects`` in the pipeline per ``period`` × ``conversion`` % → deals per ``per``.

    100 prospects × 30% = 30 per quarter = 10 per month."""
    per = per or period
    steps: list[str] = []
    warnings: list[str] = []
    deals = prospects * conversion / HUNDRED
    steps.append(
        _("Pipeline: %(prospects)s prospects × conversion %(conversion)s = %(deals)s %(per)s")
        % {
            "prospects": fmt(prospects),
            "conversion": pct(conversion),
            "deals": fmt(round_to(deals, MAX_PLACES)),
            "per": _per(period),
        }
    )
    exact, _source = _convert_period(deals, period, per, steps)
    return _finish(exact, places, steps, warnings, capacity, per)


def history_stretch(
    *,
    actuals: Sequence[Decimal],
    stretch: Decimal,
    lower_is_better: bool = False,
    per: str = "quarter",
    places: int = DEFAULT_PLACES,
    capacity: Mapping[str, Any] | None = None,
) -> TargetResult:
    """The average of the last periods' actuals, stretched by ``stretch`` % (up when higher is
    better, down when lower is better)."""
    steps: list[str] = []
    warnings: list[str] = []
    count = len(actuals)
    total = sum(actuals, Decimal(0))
    average = total / Decimal(count)
    steps.append(
        _("Actuals of the last %(count)s periods (%(per)s): %(values)s")
        % {"count": count, "per": _per(per), "values": ", ".join(fmt(a) for a in actuals)}
    )
    steps.append(
        _("Average = (%(sum_terms)s) ÷ %(count)s = %(total)s ÷ %(count)s = %(average)s")
        % {
            "sum_terms": " + ".join(fmt(a) for a in actuals),
            "count": count,
            "total": fmt(total),
            "average": fmt(round_to(average, MAX_PLACES)),
        }
    )
    if lower_is_better:
        exact = average * (HUNDRED - stretch) / HUNDRED
        steps.append(
            _("Stretch (lower is better): %(average)s × (1 − %(stretch)s) = %(result)s")
            % {
                "average": fmt(round_to(average, MAX_PLACES)),
                "stretch": pct(stretch),
                "result": fmt(round_to(exact, MAX_PLACES)),
            }
        )
    else:
        exact = average * (HUNDRED + stretch) / HUNDRED
        steps.append(
            _("Stretch: %(average)s × (1 + %(stretch)s) = %(result)s")
            % {
                "average": fmt(round_to(average, MAX_PLACES)),
                "stretch": pct(stretch),
                "result": fmt(round_to(exact, MAX_PLACES)),
            }
        )
    if count < MIN_HISTORY:
        warnings.append(
            _("Only %(count)s periods of history: an average of so few periods is a weak basis.")
            % {"count": count}
        )
    return _finish(exact, places, steps, warnings, capacity, per)


def share_of_parent(
    *,
    parent_target: Decimal,
    period: str = "quarter",
    per: str | None = None,
    people: int | None = None,
    weights: Sequence[Decimal] | None = None,
    weight: Decimal | None = None,
    places: int = DEFAULT_PLACES,
    capacity: Mapping[str, Any] | None = None,
) -> TargetResult:
    """A parent target per ``period`` split evenly across ``people``, or in proportion to
    capacity ``weights`` (this person's ``weight`` among them), then converted to ``per``.

    18 per quarter across 6 salespeople = 3 per person per quarter = 1 per month."""
    per = per or period
    steps: list[str] = []
    warnings: list[str] = []
    if weights:
        weight_sum = sum(weights, Decimal(0))
        share = parent_target * weight / weight_sum
        steps.append(
            _("Capacity weights: %(terms)s = %(sum)s; this person's weight: %(weight)s")
            % {
                "terms": " + ".join(fmt(w) for w in weights),
                "sum": fmt(weight_sum),
                "weight": fmt(weight),
            }
        )
        steps.append(
            _("Share: %(parent)s %(per)s × %(weight)s ÷ %(sum)s = %(share)s per person %(per)s")
            % {
                "parent": fmt(parent_target),
                "per": _per(period),
                "weight": fmt(weight),
                "sum": fmt(weight_sum),
                "share": fmt(round_to(share, MAX_PLACES)),
            }
        )
    else:
        share = parent_target / Decimal(people)
        steps.append(
            _("Share: %(parent)s %(per)s ÷ %(people)s people = %(share)s per person %(per)s")
            % {
                "parent": fmt(parent_target),
                "per": _per(period),
                "people": people,
                "share": fmt(round_to(share, MAX_PLACES)),
            }
        )
    exact, source = _convert_period(share, period, per, steps)
    if source is not None:
        steps.append(
            _(
                "Note: %(share)s is each person's share %(source_per)s, so %(per_target)s it "
                "is %(value)s; reading %(share)s as a target %(per_target)s would mix the "
                "periods."
            )
            % {
                "share": fmt(round_to(share, MAX_PLACES)),
                "source_per": _per(period),
                "per_target": _per(per),
                "value": fmt(round_to(exact, MAX_PLACES)),
            }
        )
    rounded = round_to(share, places)
    if rounded != share and not weights:
        warnings.append(
            _(
                "%(parent)s does not divide evenly by %(people)s: the rounded shares do not add "
                "up to the parent target exactly."
            )
            % {"parent": fmt(parent_target), "people": people}
        )
    return _finish(exact, places, steps, warnings, capacity, per)


def capacity_warnings(
    value: Decimal,
    *,
    capacity: Decimal | None = None,
    market_prospects: Decimal | None = None,
    max_conversion: Decimal | None = None,
    average_value: Decimal | None = None,
) -> list[str]:
    """Warnings when ``value`` exceeds what the inputs allow.

    The limit is a typed ``capacity``, or ``market_prospects × max_conversion% ×
    average_value`` (max conversion defaults to 100%, average value to 1 = a count of deals)."""
    warnings: list[str] = []
    if capacity is not None and value > capacity:
        warnings.append(
            _("The target %(value)s exceeds the capacity %(capacity)s by %(excess)s.")
            % {"value": fmt(value), "capacity": fmt(capacity), "excess": fmt(value - capacity)}
        )
    if market_prospects is not None:
        conversion = HUNDRED if max_conversion is None else max_conversion
        deal = Decimal(1) if average_value is None else average_value
        limit = market_prospects * conversion / HUNDRED * deal
        if value > limit:
            warnings.append(
                _(
                    "The target %(value)s exceeds what the market allows: %(prospects)s "
                    "prospects × max conversion %(conversion)s × average value %(deal)s = "
                    "%(limit)s."
                )
                % {
                    "value": fmt(value),
                    "prospects": fmt(market_prospects),
                    "conversion": pct(conversion),
                    "deal": fmt(deal),
                    "limit": fmt(round_to(limit, MAX_PLACES)),
                }
            )
    return warnings


# --- parsing raw inputs (forms, JSON) -----------------------------------------------------------

CAPACITY_FIELDS = ("capacity", "market_prospects", "max_conversion", "average_value")
FIELDS = {
    PIPELINE: ("prospects", "conversion", "period", "per", "places", *CAPACITY_FIELDS),
    HISTORY: ("actuals", "stretch", "lower_is_better", "per", "places", *CAPACITY_FIELDS),
    SHARE: (
        "parent_target",
        "period",
        "per",
        "people",
        "weights",
        "weight",
        "places",
        *CAPACITY_FIELDS,
    ),
}


class _Parser:
    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.errors: dict[str, list[str]] = {}

    def _blank(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is None or (isinstance(value, str) and not value.strip())

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def decimal(
        self,
        name: str,
        *,
        required: bool = True,
        minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        if self._blank(name):
            if required:
                self.error(name, _("This field is required."))
            return None
        value = self._to_decimal(name, self.raw[name])
        if value is None:
            return None
        if positive and value <= 0:
            self.error(name, _("Enter a number greater than 0."))
        elif minimum is not None and value < minimum:
            self.error(name, _("Enter a number of at least %(min)s.") % {"min": fmt(minimum)})
        elif maximum is not None and value > maximum:
            self.error(name, _("Enter a number of at most %(max)s.") % {"max": fmt(maximum)})
        return value

    def _to_decimal(self, name: str, raw: Any) -> Decimal | None:
        if isinstance(raw, bool):
            self.error(name, _("Enter a number."))
            return None
        try:
            value = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            self.error(name, _("Enter a number."))
            return None
        if not value.is_finite() or abs(value) >= Decimal(10) ** 13:
            self.error(name, _("Enter a number."))
            return None
        return value

    def decimals(self, name: str, *, required: bool = True) -> list[Decimal] | None:
        if self._blank(name):
            if required:
                self.error(name, _("This field is required."))
            return None
        raw = self.raw[name]
        items = raw if isinstance(raw, list | tuple) else str(raw).replace("，", ",").split(",")
        items = [i for i in items if not (isinstance(i, str) and not i.strip())]
        if not items or len(items) > 60:
            self.error(name, _("Enter between 1 and 60 numbers separated by commas."))
            return None
        values = []
        for item in items:
            value = self._to_decimal(name, item)
            if value is None:
                return None
            if value < 0:
                self.error(name, _("Numbers must not be negative."))
                return None
            values.append(value)
        return values

    def period(self, name: str, default: str | None) -> str | None:
        if self._blank(name):
            return default
        value = str(self.raw[name])
        if value not in PERIOD_MONTHS:
            self.error(name, _("Choose month, quarter, half or year."))
            return default
        return value

    def places(self) -> int:
        if self._blank("places"):
            return DEFAULT_PLACES
        value = self.raw["places"]
        try:
            places = int(str(value))
        except ValueError:
            places = -1
        if isinstance(value, bool) or not 0 <= places <= MAX_PLACES:
            self.error("places", _("Enter a whole number from 0 to 4."))
            return DEFAULT_PLACES
        return places

    def boolean(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "on", "yes")
        return bool(value)

    def capacity(self) -> dict[str, Decimal]:
        found = {}
        for name in CAPACITY_FIELDS:
            value = self.decimal(
                name,
                required=False,
                maximum=HUNDRED if name == "max_conversion" else None,
            )
            if value is not None:
                found[name] = value
        return found


def compute(method: str, raw: Mapping[str, Any]) -> tuple[TargetResult, dict[str, Any]]:
    """Parse ``raw`` for ``method`` and compute. Returns the result and the cleaned inputs as
    JSON-ready values (stored with the suggestion). Unknown fields are refused."""
    if method not in METHODS:
        raise ValidationError({"method": [_("Unknown method.")]})
    unknown = sorted(set(raw) - set(FIELDS[method]))
    if unknown:
        raise ValidationError({name: [_("Unknown input for this method.")] for name in unknown})
    p = _Parser(raw)
    places = p.places()
    capacity = p.capacity()
    if method == PIPELINE:
        args = {
            "prospects": p.decimal("prospects"),
            "conversion": p.decimal("conversion", maximum=HUNDRED),
            "period": p.period("period", "quarter"),
            "per": p.period("per", None),
        }
        func = pipeline_conversion
    elif method == HISTORY:
        args = {
            "actuals": p.decimals("actuals"),
            "stretch": p.decimal("stretch", minimum=Decimal(-100), maximum=Decimal(1000)),
            "lower_is_better": p.boolean("lower_is_better"),
            "per": p.period("per", "quarter"),
        }
        if args["lower_is_better"] and args["stretch"] is not None and args["stretch"] > 100:
            p.error("stretch", _("A lower-is-better stretch cannot exceed 100%."))
        func = history_stretch
    else:
        weights = p.decimals("weights", required=False)
        args = {
            "parent_target": p.decimal("parent_target"),
            "period": p.period("period", "quarter"),
            "per": p.period("per", None),
        }
        if weights:
            weight = p.decimal("weight")
            if sum(weights, Decimal(0)) <= 0:
                p.error("weights", _("The weights must add up to more than 0."))
            if weight is not None and weight not in weights:
                p.error("weight", _("This person's weight must be one of the weights."))
            args |= {"weights": weights, "weight": weight}
        else:
            people = p.decimal("people", positive=True)
            if people is not None and people != people.to_integral_value():
                p.error("people", _("Enter a whole number of people."))
            if people is not None and people > 100000:
                p.error("people", _("Enter a number of at most %(max)s.") % {"max": 100000})
            args["people"] = int(people) if people is not None and not p.errors else None
        func = share_of_parent
    if p.errors:
        raise ValidationError(p.errors)
    result = func(**args, places=places, capacity=capacity)
    cleaned = {k: _jsonable(v) for k, v in args.items() if v is not None}
    cleaned["places"] = places
    cleaned |= {k: _jsonable(v) for k, v in capacity.items()}
    return result, cleaned


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
