"""Forms of the metric catalogue pages and the point filter."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renshi.org.forms import BootstrapMixin, DateInput

from .models import Metric, SubjectKind, metric_key_validator


class MetricChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Metric) -> str:
        return f"{obj.name} ({obj.key})"


class MetricForm(BootstrapMixin, forms.Form):
    key = forms.CharField(
        label=_("Key"),
        max_length=100,
        validators=[metric_key_validator],
        help_text=_("e.g. crm.new_customers; cannot change once data points exist"),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    subject_kind = forms.ChoiceField(label=_("Subject"), choices=SubjectKind.choices)
    aggregation = forms.ChoiceField(label=_("Aggregation"), choices=Metric.Aggregation.choices)
    numerator = MetricChoiceField(
        label=_("Numerator"), queryset=Metric.objects.none(), required=False
    )
    denominator = MetricChoiceField(
        label=_("Denominator"), queryset=Metric.objects.none(), required=False
    )
    source = forms.CharField(label=_("Source system"), max_length=100, required=False)
    pace_curve = forms.CharField(
        label=_("Seasonal curve"),
        required=False,
        help_text=_("Empty, or 12 monthly weights separated by commas (January first)."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, metrics=None, metric: Metric | None = None, **kwargs: Any):
        if metric is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "key": metric.key,
                "name": metric.name,
                "description": metric.description,
                "unit": metric.unit,
                "subject_kind": metric.subject_kind,
                "aggregation": metric.aggregation,
                "numerator": metric.numerator_id,
                "denominator": metric.denominator_id,
                "source": metric.source,
                "pace_curve": ", ".join(f"{v:g}" for v in metric.pace_curve or []),
                "active": metric.active,
                "version": metric.version,
            }
        super().__init__(*args, **kwargs)
        choices = metrics.exclude(aggregation=Metric.Aggregation.RATIO)
        if metric is not None:
            choices = choices.exclude(pk=metric.pk)
        self.fields["numerator"].queryset = choices
        self.fields["denominator"].queryset = choices
        if metric is not None and metric.built_in:
            for name in self.fields:
                if name not in ("name", "description", "version"):
                    self.fields[name].disabled = True
        self._style()

    def clean_pace_curve(self):
        text = (self.cleaned_data.get("pace_curve") or "").strip()
        if not text:
            return []
        try:
            return [
                float(Decimal(part.strip()))
                for part in text.replace("，", ",").split(",")
                if part.strip()
            ]
        except (InvalidOperation, ValueError):
            raise forms.ValidationError(_("Give numbers separated by commas.")) from None

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class PointFilterForm(BootstrapMixin, forms.Form):
    metric = forms.CharField(label=_("Metric"), required=False)
    subject = forms.CharField(
        label=_("Subject"), required=False, help_text=_("employee number or department code")
    )
    date_from = forms.DateField(label=_("From date"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To date"), required=False, widget=DateInput)
    batch = forms.IntegerField(label=_("Batch"), required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()
