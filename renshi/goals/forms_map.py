"""Forms of the strategy map, alignment tree and pace pages. Choices come from the access layer;
company and version are never taken from the request as data (the version is the one the
client read, compared by the service)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.org.forms import BootstrapMixin, DateInput
from renshi.org.models import Department

from .models import CauseEffectLink, Goal, KeySuccessFactor, PaceSettings, Perspective, StrategyMap


class StrategyMapForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = StrategyMap
        fields = ["name", "mission", "mode", "period_start", "period_end"]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "mission": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        if instance is not None and instance.pk and not kwargs.get("data") and not args:
            kwargs.setdefault("initial", {})["version"] = instance.version
        super().__init__(*args, **kwargs)
        if instance is None or instance.pk is None:
            del self.fields["version"]
        self._style()

    def _post_clean(self):  # validation belongs to the service (company, uniqueness, period)
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PerspectiveRenameForm(BootstrapMixin, forms.Form):
    perspective = forms.ModelChoiceField(
        queryset=Perspective.objects.none(), label=_("Perspective")
    )
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args, user, strategy_map: StrategyMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perspective"].queryset = access.restrict(
            Perspective, user, access.CHANGE
        ).filter(strategy_map_id=strategy_map.pk)
        self._style()


def _objectives(user, strategy_map: StrategyMap):
    return (
        access.restrict(Goal, user, access.CHANGE)
        .filter(strategy_map_id=strategy_map.pk, level=Goal.Level.COMPANY)
        .order_by("perspective__order", "id")
    )


class LinkForm(BootstrapMixin, forms.Form):
    cause = forms.ModelChoiceField(queryset=Goal.objects.none(), label=_("Cause"))
    effect = forms.ModelChoiceField(queryset=Goal.objects.none(), label=_("Effect"))

    def __init__(self, *args, user, strategy_map: StrategyMap, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("cause", "effect"):
            self.fields[name].queryset = _objectives(user, strategy_map)
        self._style()


class LinkDeleteForm(forms.Form):
    link = forms.ModelChoiceField(queryset=CauseEffectLink.objects.none())

    def __init__(self, *args, user, strategy_map: StrategyMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link"].queryset = access.restrict(CauseEffectLink, user, access.DELETE).filter(
            strategy_map_id=strategy_map.pk
        )


class SuccessFactorForm(BootstrapMixin, forms.Form):
    goal = forms.ModelChoiceField(queryset=Goal.objects.none(), label=_("Objective"))
    text = forms.CharField(label=_("Key success factor"), max_length=300)

    def __init__(self, *args, user, strategy_map: StrategyMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = _objectives(user, strategy_map)
        self._style()


class SuccessFactorDeleteForm(forms.Form):
    factor = forms.ModelChoiceField(queryset=KeySuccessFactor.objects.none())

    def __init__(self, *args, user, strategy_map: StrategyMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["factor"].queryset = access.restrict(
            KeySuccessFactor, user, access.DELETE
        ).filter(goal__strategy_map_id=strategy_map.pk)


class TreeFilterForm(BootstrapMixin, forms.Form):
    """The alignment tree's filter: a department in the user's sight (with its subtree) and an
    optional goal to drill down to. An id outside the user's scope is "not a valid choice"."""

    department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label=_("Department"),
        empty_label=_("All departments"),
    )
    root = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.restrict(
            Department, user, access.VIEW
        ).order_by("sort_order", "code")
        self._style()


class PaceSettingsForm(BootstrapMixin, forms.Form):
    on_track = forms.DecimalField(
        label=_("On track from"),
        max_digits=5,
        decimal_places=3,
        min_value=Decimal("0.001"),
        help_text=_("progress ÷ elapsed share at or above this value is on track (e.g. 0.9)"),
    )
    at_risk = forms.DecimalField(
        label=_("At risk from"),
        max_digits=5,
        decimal_places=3,
        min_value=Decimal("0.001"),
        help_text=_("at or above this value (and below on track) is at risk; lower is behind"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, settings: PaceSettings | None = None, **kwargs):
        if settings is not None:
            kwargs.setdefault(
                "initial",
                {
                    "on_track": settings.on_track,
                    "at_risk": settings.at_risk,
                    "version": settings.version,
                },
            )
        else:
            kwargs.setdefault("initial", {"on_track": Decimal("0.9"), "at_risk": Decimal("0.7")})
        super().__init__(*args, **kwargs)
        self._style()
