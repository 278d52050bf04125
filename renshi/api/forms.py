"""Form of the integration-key page."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import API_KEY_SCOPES


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(k, v) for k, v in API_KEY_SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["org.read"],
    )
    metric_keys = forms.CharField(
        label=_("Metrics it may write"),
        required=False,
        help_text=_(
            'With "Send data points": metric keys or patterns, separated by commas or spaces '
            "(crm.*, attendance.rate)."
        ),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        help_text=_("Optional. The key stops working at the end of this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_metric_keys(self) -> list[str]:
        text = self.cleaned_data.get("metric_keys") or ""
        return [p for p in text.replace("，", ",").replace(",", " ").split() if p]

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return value

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
        return timezone.make_aware(end)
