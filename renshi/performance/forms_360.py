"""Forms of the 360 pages and the actuals import (input parsing only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .services_360 import COMMENT_MAX, SCALE


class IdListField(forms.Field):
    """Several integer ids from repeated form keys (checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, str | int):
            value = [value]
        ids = []
        for raw in value:
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                raise forms.ValidationError(_("Unknown employee.")) from None
        return ids


class RaterAddForm(forms.Form):
    raters = IdListField(label=_("Raters"))

    def clean_raters(self) -> list[int]:
        raters = self.cleaned_data["raters"]
        if not raters:
            raise forms.ValidationError(_("Choose at least one rater."))
        return raters


class AnswerForm(forms.Form):
    """One 1–5 choice per question of the plan, and an optional comment."""

    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args: Any, questions: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(n), str(n)) for n in SCALE]
        rated = {}
        for q in questions:
            rated[f"q_{q['key']}"] = forms.ChoiceField(
                label=q["text"],
                choices=choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
        # the questions first, the comment last
        comment = self.fields.pop("comment")
        self.fields.update(rated)
        self.fields["comment"] = comment
        self.question_keys = [q["key"] for q in questions]

    def ratings(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"q_{key}"] for key in self.question_keys}


class ActualsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.RENSHI_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(limit)s MB).")
                % {"limit": round(settings.RENSHI_IMPORT_MAX_BYTES / (1024 * 1024), 1)}
            )
        return upload


class ActualsCommitForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput, max_length=2_000_000)
