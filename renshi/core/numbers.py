"""Numbers inside calculation traces, formatted only when a line is rendered.

Shared by every engine that explains its numbers (goals' progress, alerts' pace): a value is
wrapped (``Num``, ``Pct``, ``Num2``) when a trace step is built and turned into text by
``str()`` when someone reads the step, so computing 10,000 traces formats nothing.
"""

from __future__ import annotations

from decimal import Decimal

HUNDRED = Decimal(100)


def fmt_num(value: Decimal | int | None) -> str:
    """A measure value without trailing zeros: Decimal("65.0000") → "65"."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value.normalize():f}"


def fmt_pct(value: Decimal | None, places: int = 1) -> str:
    """A fraction as a percentage for display: Decimal("0.5") → "50.0%"."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    return f"{(value * HUNDRED).quantize(quantum):f}%"


class Num:
    """A measure value inside a step (formatted when the step is rendered)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return fmt_num(self.value)


class Num2:
    """A ratio with two decimals."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return f"{Decimal(self.value).quantize(Decimal('0.01')):f}"


class Pct:
    """A fraction inside a step, shown as a percentage."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return fmt_pct(self.value)
