"""Input parsing of the results pages (the services validate the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

REASON_WIDGET = forms.Textarea(attrs={"rows": 3, "class": "form-control", "maxlength": 4000})


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ReasonVersionForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=REASON_WIDGET)


class CalibrateForm(ReasonVersionForm):
    grade = forms.ChoiceField(label=_("Calibrated grade"), required=False)

    def __init__(self, *args, grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", _("As computed")), *grades]
        self.fields["grade"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["reason"].widget = forms.TextInput(
            attrs={"class": "form-control form-control-sm", "maxlength": 4000}
        )


class AppealForm(VersionForm):
    reason = forms.CharField(label=_("Why do you appeal?"), max_length=4000, widget=REASON_WIDGET)


class AppealHandleForm(forms.Form):
    """action=rescore|reject, version, reason; for a re-score the corrected values arrive as
    ``actual_<item id>`` / ``rating_<item id>`` (parsed by the view with the card's items)."""

    ACTIONS = (("rescore", _("Re-score")), ("reject", _("Reject")))

    action = forms.ChoiceField(choices=ACTIONS)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=REASON_WIDGET)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"actual_{item.pk}"] = forms.DecimalField(
                label=_("Actual"),
                required=False,
                max_digits=18,
                decimal_places=4,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "step": "any"}
                ),
            )
            self.fields[f"rating_{item.pk}"] = forms.DecimalField(
                label=_("Rating"),
                required=False,
                max_digits=5,
                decimal_places=2,
                min_value=0,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "step": "any"}
                ),
            )

    def changes(self):
        from .services_results import ItemChange

        found = []
        for item in self.items:
            actual = self.cleaned_data.get(f"actual_{item.pk}")
            rating = self.cleaned_data.get(f"rating_{item.pk}")
            if actual is not None and actual == item.actual:
                actual = None
            if rating is not None and rating == item.rating:
                rating = None
            if actual is not None or rating is not None:
                found.append(ItemChange(item_id=item.pk, actual=actual, rating=rating))
        return found


class ImprovementPlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    goals = forms.CharField(label=_("What must improve"), widget=REASON_WIDGET, max_length=4000)
    actions = forms.CharField(label=_("Actions and support"), widget=REASON_WIDGET, max_length=4000)
    review_date = forms.DateField(
        label=_("Review on"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )


class PromotionForm(forms.Form):
    min_score = forms.DecimalField(
        label=_("Or everyone from score"),
        required=False,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"}),
    )
