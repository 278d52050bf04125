"""``{% load goal_numbers %}{{ goal.target|num }}``: a measure value without trailing zeros
(``Decimal("65.0000")`` → ``65``, ``Decimal("10.0000")`` → ``10``, not ``1E+1``); ``—`` for none."""

from __future__ import annotations

from django import template

from renshi.goals.progress import fmt_num

register = template.Library()


@register.filter
def num(value):
    return fmt_num(value)
