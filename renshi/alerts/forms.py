"""Input parsing of the alert pages."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from renshi.org.forms import BootstrapMixin

from .models import AlertRule


class RuleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    threshold = forms.DecimalField(
        label=_("Threshold"),
        max_digits=6,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(10),
        help_text=_("An alert opens when completion is below this share of pace (0.7 = 70%)."),
    )
    escalate_after_days = forms.IntegerField(
        label=_("Escalate after (days)"),
        min_value=0,
        max_value=365,
        help_text=_("Unresolved this many days after opening: escalated one level up. 0: never."),
    )
    active = forms.BooleanField(label=_("Active"), required=False)
    params = forms.CharField(
        label=_("Parameters (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('For example {"metric": "crm.new_customers"}.'),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rule: AlertRule, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": rule.name,
                "threshold": rule.threshold,
                "escalate_after_days": rule.escalate_after_days,
                "active": rule.active,
                "params": json.dumps(rule.params or {}, ensure_ascii=False),
                "version": rule.version,
            },
        )
        super().__init__(*args, **kwargs)
        self._style()

    def clean_params(self):
        text = (self.cleaned_data.get("params") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Parameters are a JSON object."))
        return value

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


DATE_SPLIT = re.compile(r"[\s,;，；]+")


class CalendarForm(BootstrapMixin, forms.Form):
    KIND_CHOICES = [
        ("holiday", _("Holiday (day off)")),
        ("workday", _("Make-up working day (调休)")),
    ]

    dates = forms.CharField(
        label=_("Dates"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One or more dates (YYYY-MM-DD), separated by spaces, commas or new lines; a range "
            "as 2026-10-01..2026-10-07. A whole year's holidays can be pasted at once."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    note = forms.CharField(label=_("Note"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_dates(self) -> list[datetime.date]:
        out: list[datetime.date] = []
        for token in DATE_SPLIT.split(self.cleaned_data.get("dates") or ""):
            if not token:
                continue
            try:
                if ".." in token:
                    first, last = (datetime.date.fromisoformat(t) for t in token.split("..", 1))
                    if last < first or (last - first).days > 366:
                        raise ValueError
                    day = first
                    while day <= last:
                        out.append(day)
                        day += datetime.timedelta(days=1)
                else:
                    out.append(datetime.date.fromisoformat(token))
            except ValueError as exc:
                raise forms.ValidationError(
                    _("%(value)s is not a date (YYYY-MM-DD) or a range of dates."),
                    params={"value": token},
                ) from exc
        if not out:
            raise forms.ValidationError(_("Give at least one date."))
        if len(set(out)) > 400:
            raise forms.ValidationError(_("At most 400 days at once."))
        return out


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False)
