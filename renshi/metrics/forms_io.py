"""Forms of the upload, attendance and connector pages (input parsing only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .connectors import MIN_INTERVAL, clean_mapping
from .models import Connector

MAPPING_FIELDS = (
    "records",
    "metric",
    "metric_field",
    "subject_field",
    "date_field",
    "value_field",
    "source",
)


class _Bootstrap:
    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )


class ConnectorForm(_Bootstrap, forms.Form):
    """A connector's settings. The authentication value is write-only: never sent back to the
    browser; left blank it keeps the stored value (tick "remove" to clear it)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The http or https address that returns JSON (no redirects are followed)."),
    )
    auth_header = forms.CharField(
        label=_("Authentication header"),
        max_length=100,
        required=False,
        initial="Authorization",
        help_text=_("e.g. Authorization or X-Api-Key; leave empty for none."),
    )
    auth_value = forms.CharField(
        label=_("Authentication value"),
        required=False,
        max_length=2000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave blank to keep the stored one."),
    )
    clear_auth = forms.BooleanField(label=_("Remove the stored value"), required=False)
    records = forms.CharField(
        label=_("Records path"),
        required=False,
        max_length=200,
        help_text=_(
            "Dot path to the list of records, e.g. data.items (empty: the body is a list)."
        ),
    )
    metric = forms.CharField(
        label=_("Fixed metric key"),
        required=False,
        max_length=100,
        help_text=_("Every record feeds this metric, or:"),
    )
    metric_field = forms.CharField(
        label=_("Metric field"),
        required=False,
        max_length=200,
        help_text=_("The record field holding the metric key."),
    )
    subject_field = forms.CharField(
        label=_("Subject field"),
        required=False,
        max_length=200,
        help_text=_("Employee number or department code; empty for company metrics."),
    )
    date_field = forms.CharField(label=_("Date field"), max_length=200)
    value_field = forms.CharField(label=_("Value field"), max_length=200)
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=64,
        help_text=_("Written on the points (default: connector)."),
    )
    interval_minutes = forms.IntegerField(
        label=_("Every (minutes)"), min_value=MIN_INTERVAL, initial=60
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, company_id: int, connector: Connector | None = None, **kwargs: Any
    ) -> None:
        self.company_id = company_id
        self.connector = connector
        if connector is not None and "initial" not in kwargs:
            mapping = connector.mapping if isinstance(connector.mapping, dict) else {}
            kwargs["initial"] = {
                "name": connector.name,
                "url": connector.url,
                "auth_header": connector.auth_header,
                "interval_minutes": connector.interval_minutes,
                "active": connector.active,
                "version": connector.version,
                **{key: mapping.get(key, "") for key in MAPPING_FIELDS},
            }
        super().__init__(*args, **kwargs)
        if connector is None:
            del self.fields["version"]
            del self.fields["clear_auth"]
        elif connector.auth_value:
            self.fields["auth_value"].help_text = _(
                "A value is stored (hidden). Leave blank to keep it."
            )
        self._style()

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Only http and https URLs are supported."))
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        mapping = {key: data.get(key) or "" for key in MAPPING_FIELDS}
        clean, errors = clean_mapping(mapping, company_id=self.company_id)
        for key, message in errors.items():
            target = key if key in self.fields and key not in self.errors else None
            if target is None and key in self.errors:
                continue
            self.add_error(target, message)
        data["mapping"] = clean
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "url": data["url"],
            "auth_header": data.get("auth_header") or "",
            "mapping": data["mapping"],
            "interval_minutes": data["interval_minutes"],
            "active": data.get("active", False),
        }
        secret = data.get("auth_value") or ""
        if self.connector is None:
            values["auth_value"] = secret
        elif data.get("clear_auth"):
            values["auth_value"] = ""
        else:
            values["auth_value"] = secret or None  # None keeps the stored value
        return values
