"""Input parsing of the scorecard pages. Numbers stay text here: the services validate them
(and key their errors by card, indicator and field, so the grid marks the cell)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

GRID_FIELD = re.compile(r"^(?P<kind>[wtag])-(?P<card>\d+)-(?P<indicator>\d+)$")
GRID_KINDS = {"w": "weight", "t": "target", "a": "actual", "g": "goal"}


def parse_grid(data, *, mode: str, only: set[int] | None = None) -> list[dict[str, Any]]:
    """The grid's POST as service rows: ``w-<card>-<indicator>`` (weight), ``t-…`` (target),
    ``g-…`` (goal id), ``a-…`` (actual) and ``v-<card>`` (the version read). ``mode`` "assign"
    keeps weights/targets/goals, "actuals" the actuals. ``only``: these cards (a row save, or
    the rows the page marked changed)."""
    fields = ("weight", "target", "goal") if mode == "assign" else ("actual",)
    rows: dict[int, dict[str, Any]] = {}
    for key in data:
        match = GRID_FIELD.match(key)
        if match is None:
            continue
        name = GRID_KINDS[match["kind"]]
        card = int(match["card"])
        if name not in fields or (only is not None and card not in only):
            continue
        version = data.get(f"v-{card}")
        if not (version or "").isdigit():
            continue  # a row without its version is not a grid row
        row = rows.setdefault(card, {"scorecard": card, "version": int(version), "items": {}})
        value: Any = data.get(key, "").strip()
        if name == "goal":
            value = int(value) if value.isdigit() else None
        row["items"].setdefault(int(match["indicator"]), {})[name] = value
    return list(rows.values())


def card_ids(values) -> set[int]:
    return {int(v) for v in values if str(v).isdigit()}


class StepForm(forms.Form):
    step = forms.ChoiceField(
        choices=[(s, s) for s in ("send", "confirm", "object", "self_evaluate", "evaluate")]
    )
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=4000)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


def parse_item_fields(data, names: tuple[str, ...]) -> dict[int, dict[str, str]]:
    """``<name>-<item id>`` fields of the self-evaluation and evaluation forms."""
    pattern = re.compile(r"^(?P<name>[a-z_]+)-(?P<item>\d+)$")
    items: dict[int, dict[str, str]] = {}
    for key in data:
        match = pattern.match(key)
        if match is None or match["name"] not in names:
            continue
        items.setdefault(int(match["item"]), {})[match["name"]] = data.get(key, "")
    return items
