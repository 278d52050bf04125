"""Forms of the chat-robot pages (an allow-list of fields; company and version never come from
the request as data). The URL and the secret are never shown again: empty keeps them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .events import registered_events
from .models import Webhook


class WebhookForm(forms.Form):
    kind = forms.ChoiceField(label=_("Platform"), choices=Webhook.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Webhook address"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Copied from the robot's settings; it contains the access token."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "DingTalk: the SEC… secret of “加签”; Feishu: the signature secret; "
            "generic webhook: required. WeCom robots have none."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(e.key, e.label) for e in registered_events()]
        if editing:
            self.fields["url"].help_text = _("Leave empty to keep the stored address.")
            self.fields["secret"].help_text = _("Leave empty to keep the stored secret.")
        else:
            self.fields["url"].required = True
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css
