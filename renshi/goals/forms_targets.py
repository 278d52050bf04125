"""Forms of the target-suggestion page: one form per method, and the decision form.

The forms only give the page its fields; the inputs are validated by the calculator
(``renshi.goals.targets.compute``) inside ``target_suggest``, whose per-field errors are
attached back to the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renshi.org.forms import BootstrapMixin

from . import targets

PERIODS = targets.PERIOD_CHOICES


class _MethodForm(BootstrapMixin, forms.Form):
    method = ""
    title: Any = ""
    per = forms.ChoiceField(label=_("Target per"), choices=PERIODS, initial="month")
    places = forms.IntegerField(
        label=_("Decimal places"),
        min_value=0,
        max_value=targets.MAX_PLACES,
        initial=0,
        help_text=_("0 for counts (new customers), 1–2 for percentages and money."),
    )
    capacity = forms.CharField(
        label=_("Capacity (optional)"),
        required=False,
        help_text=_("The most this person or team can deliver in the period, if known."),
    )
    market_prospects = forms.CharField(label=_("Prospects in the market"), required=False)
    max_conversion = forms.CharField(label=_("Max conversion %"), required=False)
    average_value = forms.CharField(
        label=_("Average deal value"),
        required=False,
        help_text=_(
            "Capacity limit: prospects × max conversion × average deal value; "
            "a target above it gets a warning."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", self.method)
        super().__init__(*args, **kwargs)
        self._style()

    def inputs(self) -> dict[str, Any]:
        """The raw inputs for the calculator (blank fields left out)."""
        return {
            name: str(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and value is not False
        }


class PipelineForm(_MethodForm):
    method = targets.PIPELINE
    title = _("Pipeline × conversion")
    prospects = forms.CharField(label=_("Prospects in the pipeline"))
    conversion = forms.CharField(label=_("Conversion %"))
    period = forms.ChoiceField(label=_("Pipeline per"), choices=PERIODS, initial="quarter")
    field_order = ["prospects", "conversion", "period", "per", "places"]


class HistoryForm(_MethodForm):
    method = targets.HISTORY
    title = _("History + stretch")
    actuals = forms.CharField(
        label=_("Actuals of the last periods"),
        help_text=_("Oldest first, separated by commas, e.g. 10, 12, 14."),
    )
    stretch = forms.CharField(label=_("Stretch %"), initial="10")
    lower_is_better = forms.BooleanField(label=_("Lower is better"), required=False)
    field_order = ["actuals", "stretch", "lower_is_better", "per", "places"]

    def __init__(self, *args: Any, goal=None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if goal is not None and goal.direction == "lower":
            self.fields["lower_is_better"].initial = True
        self.fields["per"].label = _("Period of the actuals and the target")
        self.fields["per"].initial = "quarter"


class ShareForm(_MethodForm):
    method = targets.SHARE
    title = _("Share of a parent target")
    parent_target = forms.CharField(label=_("Parent target"))
    period = forms.ChoiceField(label=_("Parent target per"), choices=PERIODS, initial="quarter")
    people = forms.CharField(
        label=_("People sharing it"),
        required=False,
        help_text=_("Even split. Or give capacity weights below instead."),
    )
    weights = forms.CharField(
        label=_("Capacity weights (optional)"),
        required=False,
        help_text=_("One per person, separated by commas, e.g. 1, 2, 3."),
    )
    weight = forms.CharField(label=_("This person's weight"), required=False)
    field_order = ["parent_target", "period", "people", "weights", "weight", "per", "places"]


METHOD_FORMS = {f.method: f for f in (PipelineForm, HistoryForm, ShareForm)}


class DecideForm(forms.Form):
    """Parsed only (the page renders the accept and override buttons itself)."""

    ACCEPT, OVERRIDE = "accept", "override"

    decision = forms.ChoiceField(
        choices=[(ACCEPT, _("Accept")), (OVERRIDE, _("Override"))], widget=forms.HiddenInput
    )
    goal_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    value = forms.DecimalField(
        label=_("Target instead"), max_digits=18, decimal_places=4, required=False
    )
    reason = forms.CharField(
        label=_("Reason for the override"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
