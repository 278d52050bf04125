"""Forms of the plan pages: the library entry with its rule editor, plan create, the designer's
settings, plan indicators, workflow steps and part reviews. Choices come from the access layer;
fields are an allow-list (company, status, version are never data: version is only compared).

The rule editor has kind-specific fields (ratio: inverse, cap, floor; bands: a table, one
"achievement score" pair per line; threshold: limit, step, points; rating: scale maximum and
anchors, one "level description" per line). ``rule()`` turns them into the JSON of
``scoring.Rule`` and validates it with ``Rule.from_dict``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.org.forms import BootstrapMixin, DateInput
from renshi.org.models import Department, Position

from . import scoring
from .library import DEPARTMENT_TYPES
from .models import Category, DataSource, Direction, IndicatorTemplate, PeriodKind, Plan
from .services_plans import DEADLINES

DECIMAL = {"max_digits": 18, "decimal_places": 4, "required": False}
RULE_KINDS = [
    (scoring.RATIO, _("Ratio (actual ÷ target)")),
    (scoring.BANDS, _("Bands (achievement ranges → points)")),
    (scoring.THRESHOLD, _("Threshold (a limit to respect)")),
    (scoring.RATING, _("Rating scale")),
]
INVERSES = [
    (scoring.INVERSE_RATIO, _("target ÷ actual")),
    (scoring.INVERSE_DEVIATION, _("2 − actual ÷ target (deviation)")),
]


def _lines(text: str) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        rows.append([p.strip() for p in line.replace("|", " ").split(None, 2)])
    return rows


class RuleFields(forms.Form):
    """The rule editor (shared by library entries and plan indicators)."""

    rule_kind = forms.ChoiceField(label=_("Scoring rule"), choices=RULE_KINDS)
    inverse = forms.ChoiceField(
        label=_("Lower is better: achievement ="), choices=INVERSES, required=False
    )
    cap = forms.DecimalField(
        label=_("Cap (achievement)"), help_text=_("e.g. 1.2 = at most 120%"), **DECIMAL
    )
    floor = forms.DecimalField(label=_("Floor (achievement)"), help_text=_("e.g. 0"), **DECIMAL)
    bands = forms.CharField(
        label=_("Bands"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "0.8 60\n1 100\n1.2 110"}),
        help_text=_("One band per line: lowest achievement (1 = 100%) and its score."),
    )
    limit = forms.DecimalField(label=_("Limit"), **DECIMAL)
    step = forms.DecimalField(label=_("Deduction step"), **DECIMAL)
    step_points = forms.DecimalField(label=_("Points per started step"), **DECIMAL)
    scale_max = forms.IntegerField(label=_("Scale maximum"), required=False, min_value=1)
    anchors = forms.CharField(
        label=_("Anchors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "1 远低于期望\n3 达到期望\n5 卓越"}),
        help_text=_("One per line: the level and what it means."),
    )

    @staticmethod
    def rule_initial(rule: dict | None) -> dict[str, Any]:
        rule = dict(rule or {})
        return {
            "rule_kind": rule.get("kind", scoring.RATIO),
            "inverse": rule.get("inverse", scoring.INVERSE_RATIO),
            "cap": rule.get("cap"),
            "floor": rule.get("floor"),
            "bands": "\n".join(f"{lo} {score}" for lo, score in rule.get("bands", [])),
            "limit": rule.get("limit"),
            "step": rule.get("step"),
            "step_points": rule.get("step_points"),
            "scale_max": rule.get("scale_max", 5),
            "anchors": "\n".join(f"{level} {text}" for level, text in rule.get("anchors", [])),
        }

    def _rule(self, data: dict[str, Any]) -> dict[str, Any] | None:
        kind = data.get("rule_kind") or scoring.RATIO
        rule: dict[str, Any] = {"kind": kind, "direction": data.get("direction") or "higher"}
        if kind == scoring.RATIO:
            rule["inverse"] = data.get("inverse") or scoring.INVERSE_RATIO
            for key in ("cap", "floor"):
                if data.get(key) is not None:
                    rule[key] = str(data[key])
        elif kind == scoring.BANDS:
            rows = _lines(data.get("bands", ""))
            try:
                rule["bands"] = [[str(Decimal(r[0])), str(Decimal(r[1]))] for r in rows]
            except (IndexError, InvalidOperation):
                self.add_error("bands", _("Write each band as two numbers: achievement score."))
                return None
        elif kind == scoring.THRESHOLD:
            for key in ("limit", "step", "step_points"):
                if data.get(key) is not None:
                    rule[key] = str(data[key])
        elif kind == scoring.RATING:
            rule["scale_max"] = data.get("scale_max") or 5
            try:
                rule["anchors"] = [
                    [int(r[0]), r[1] if len(r) > 1 else ""] for r in _lines(data.get("anchors", ""))
                ]
            except ValueError:
                self.add_error("anchors", _("Start each anchor with its level (a whole number)."))
                return None
        try:
            return scoring.Rule.from_dict(rule).as_dict()
        except (scoring.ScoringError, ValueError, ArithmeticError) as exc:
            self.add_error("rule_kind", _("Invalid scoring rule: %(error)s") % {"error": exc})
            return None


class _IndicatorFields(BootstrapMixin, RuleFields):
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Direction.choices, initial=Direction.HIGHER
    )
    data_source = forms.ChoiceField(
        label=_("Data source"), choices=DataSource.choices, initial=DataSource.MANUAL
    )
    metric_key = forms.CharField(label=_("Metric"), max_length=100, required=False)
    evidence_required = forms.BooleanField(label=_("Evidence required"), required=False)
    default_weight = forms.DecimalField(
        label=_("Default weight"), max_digits=6, decimal_places=2, required=False
    )
    default_target = forms.DecimalField(label=_("Default target"), **DECIMAL)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    COMMON = (
        "name",
        "category",
        "unit",
        "direction",
        "data_source",
        "metric_key",
        "evidence_required",
        "default_weight",
        "default_target",
    )

    def clean(self):
        data = super().clean()
        if not self.errors:
            data["rule"] = self._rule(data)
        return data

    def common_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {k: data.get(k) for k in self.COMMON}
        out["metric_key"] = out["metric_key"] or ""
        out["unit"] = out["unit"] or ""
        out["rule"] = data["rule"]
        return out


class TemplateForm(_IndicatorFields):
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    department_type = forms.ChoiceField(
        label=_("Department type"), choices=list(DEPARTMENT_TYPES.items()), required=False
    )
    positions = forms.ModelMultipleChoiceField(
        label=_("Positions"), queryset=Position.objects.none(), required=False
    )

    def __init__(self, *args, user, template: IndicatorTemplate | None = None, **kwargs):
        if template is not None and "initial" not in kwargs:
            initial = {f: getattr(template, f) for f in self.COMMON}
            initial |= {
                "description": template.description,
                "department_type": template.department_type,
                "positions": list(template.positions.all()),
                "version": template.version,
                **self.rule_initial(template.rule),
            }
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["positions"].queryset = access.restrict(Position, user)
        types = dict(DEPARTMENT_TYPES)
        if template is not None and template.department_type not in types:
            types[template.department_type] = template.department_type
        self.fields["department_type"].choices = list(types.items())
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = self.common_data()
        data["description"] = self.cleaned_data.get("description") or ""
        data["department_type"] = self.cleaned_data.get("department_type") or ""
        data["positions"] = list(self.cleaned_data.get("positions") or [])
        return data


class IndicatorForm(_IndicatorFields):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Every covered department"),
    )
    position = forms.ModelChoiceField(
        label=_("Position"),
        queryset=Position.objects.none(),
        required=False,
        empty_label=_("Every position"),
    )
    order = forms.IntegerField(label=_("Order"), required=False, min_value=0, initial=0)

    def __init__(self, *args, user, plan: Plan, indicator=None, **kwargs):
        if "initial" not in kwargs:
            initial: dict[str, Any] = {"version": plan.version}
            if indicator is not None:
                initial |= {f: getattr(indicator, f) for f in self.COMMON}
                initial |= {
                    "department": indicator.department_id,
                    "position": indicator.position_id,
                    "order": indicator.order,
                    **self.rule_initial(indicator.rule),
                }
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = access.restrict(Department, user).filter(
            pk__in=plan.parts.values("department_id")
        )
        self.fields["position"].queryset = access.restrict(Position, user)
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = self.common_data()
        data["department"] = self.cleaned_data.get("department")
        data["position"] = self.cleaned_data.get("position")
        data["order"] = self.cleaned_data.get("order") or 0
        return data


class LibraryPickForm(BootstrapMixin, forms.Form):
    templates = forms.ModelMultipleChoiceField(
        label=_("Library indicators"), queryset=IndicatorTemplate.objects.none()
    )
    department = forms.ModelChoiceField(
        label=_("For department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Every covered department"),
    )
    position = forms.ModelChoiceField(
        label=_("For position"),
        queryset=Position.objects.none(),
        required=False,
        empty_label=_("Every position"),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, plan: Plan, **kwargs):
        kwargs.setdefault("initial", {"version": plan.version})
        super().__init__(*args, **kwargs)
        self.fields["templates"].queryset = access.restrict(IndicatorTemplate, user).filter(
            active=True
        )
        self.fields["department"].queryset = access.restrict(Department, user).filter(
            pk__in=plan.parts.values("department_id")
        )
        self.fields["position"].queryset = access.restrict(Position, user)
        self._style()


def _year_choices() -> list[tuple[int, int]]:
    this = datetime.date.today().year
    return [(y, y) for y in range(this - 1, this + 3)]


class PlanCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Empty: named after the period, e.g. “2026Q2 performance plan”."),
    )
    period_kind = forms.ChoiceField(
        label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.QUARTER
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    number = forms.IntegerField(
        label=_("Number in the year"),
        min_value=1,
        max_value=12,
        initial=1,
        help_text=_("Month 1–12, quarter 1–4, half-year 1–2; 1 for a year."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments covered"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    company_level = forms.BooleanField(
        label=_("Company-level plan (filed by the general manager)"), required=False, initial=True
    )
    templates = forms.ModelMultipleChoiceField(
        label=_("Indicators from the library"),
        queryset=IndicatorTemplate.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Competencies apply to every department; a typed indicator goes to the covered "
            "departments of its type (to all of them when none is of that type)."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()
        self.fields["year"].initial = datetime.date.today().year
        self.fields["departments"].queryset = access.restrict(Department, user)
        self.fields["templates"].queryset = access.restrict(IndicatorTemplate, user).filter(
            active=True
        )
        self._style()

    def clean(self):
        from .services_plans import period_start_for

        data = super().clean()
        if self.errors:
            return data
        try:
            data["period_start"] = period_start_for(
                data["period_kind"], data["year"], data["number"]
            )
        except forms.ValidationError as exc:
            self.add_error("number", exc.messages[0])
        return data

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d.get("name") or "",
            "period_kind": d["period_kind"],
            "period_start": d["period_start"],
            "departments": list(d["departments"]),
            "company_level": bool(d.get("company_level")),
            "templates": list(d.get("templates") or []),
        }


def _table(rows: list[list[str]], width: int, field: str, form: forms.Form) -> list[list[str]]:
    out = []
    for row in rows:
        if len(row) < width:
            form.add_error(field, _("Each line needs %d values.") % width)
            return []
        out.append(row[:width])
    return out


class PlanSettingsForm(BootstrapMixin, forms.Form):
    """The designer's settings. Tables are typed one row per line ("key label lower")."""

    name = forms.CharField(label=_("Name"), max_length=200)
    company_level = forms.BooleanField(
        label=_("Company-level plan (filed by the general manager)"), required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments covered"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    results_share = forms.DecimalField(
        label=_("Results share (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    competency_share = forms.DecimalField(
        label=_("Competency share (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    grade_bands = forms.CharField(
        label=_("Grade bands"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One grade per line, best first: key, label, lowest score (empty for the "
                    "lowest grade), e.g. “excellent 优秀 90”."),
    )  # fmt: skip
    distribution = forms.CharField(
        label=_("Forced distribution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. One grade per line: key and share in %, totalling 100, e.g. "
                    "“excellent 20”. Empty: no forced distribution."),
    )  # fmt: skip
    weight_360 = forms.DecimalField(
        label=_("360 weight (%)"), max_digits=5, decimal_places=2, min_value=0, initial=0
    )
    anonymous_360 = forms.BooleanField(label=_("Anonymous 360"), required=False)
    questions_360 = forms.CharField(
        label=_("360 questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One question per line, rated 1–5."),
    )
    outcomes = forms.CharField(
        label=_("Outcome table"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One grade per line: key, pay raise %, bonus coefficient, e.g. "
                    "“excellent 10 1.5”."),
    )  # fmt: skip
    assign_deadline = forms.DateField(
        label=_("Assignment deadline"), required=False, widget=DateInput
    )
    self_eval_deadline = forms.DateField(
        label=_("Self-evaluation deadline"), required=False, widget=DateInput
    )
    manager_eval_deadline = forms.DateField(
        label=_("Manager evaluation deadline"), required=False, widget=DateInput
    )
    calibration_deadline = forms.DateField(
        label=_("Calibration deadline"), required=False, widget=DateInput
    )
    appeal_days = forms.IntegerField(
        label=_("Days to acknowledge or appeal"), min_value=1, max_value=60
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, plan: Plan, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "name": plan.name,
                "company_level": plan.company_level,
                "departments": list(plan.parts.values_list("department_id", flat=True)),
                "results_share": plan.results_share,
                "competency_share": plan.competency_share,
                "grade_bands": "\n".join(
                    f"{b['key']} {b.get('label', b['key'])} {b.get('lower', '')}".strip()
                    for b in plan.grade_bands or []
                ),
                "distribution": "\n".join(f"{k} {v}" for k, v in (plan.distribution or {}).items()),
                "weight_360": plan.weight_360,
                "anonymous_360": plan.anonymous_360,
                "questions_360": "\n".join(q["text"] for q in plan.questions_360 or []),
                "outcomes": "\n".join(
                    f"{k} {v.get('raise', '')} {v.get('bonus', '')}"
                    for k, v in (plan.outcomes or {}).items()
                ),
                **{name: getattr(plan, name) for name in DEADLINES},
                "appeal_days": plan.appeal_days,
                "version": plan.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = access.restrict(Department, user)
        self._style()

    def clean(self):
        data = super().clean()
        if "grade_bands" in data:
            bands = []
            for row in _lines(data["grade_bands"]):
                if len(row) == 1:
                    row = [row[0], row[0], ""]
                bands.append(
                    {"key": row[0], "label": row[1], "lower": row[2] if len(row) > 2 else ""}
                )
            data["grade_bands"] = bands
        data["distribution"] = {
            r[0]: r[1]
            for r in _table(_lines(data.get("distribution", "")), 2, "distribution", self)
        }
        outcome_rows = _lines(data.get("outcomes", ""))
        outcomes = {}
        for row in outcome_rows:
            parts = row[0:1] + (row[1].split() + row[2:] if len(row) > 1 else [])
            if len(parts) < 3:
                self.add_error("outcomes", _("Each line needs %d values.") % 3)
                break
            outcomes[parts[0]] = {"raise": parts[1], "bonus": parts[2]}
        data["outcomes"] = outcomes
        data["questions_360"] = [
            {"key": f"q{i}", "text": line.strip()}
            for i, line in enumerate((data.get("questions_360") or "").splitlines(), start=1)
            if line.strip()
        ]
        return data

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        out = {
            k: d.get(k)
            for k in (
                "name",
                "company_level",
                "results_share",
                "competency_share",
                "grade_bands",
                "distribution",
                "weight_360",
                "anonymous_360",
                "questions_360",
                "outcomes",
                *DEADLINES,
                "appeal_days",
            )
        }
        out["company_level"] = bool(out["company_level"])
        out["anonymous_360"] = bool(out["anonymous_360"])
        out["departments"] = list(d.get("departments") or [])
        return out


class TransitionForm(forms.Form):
    step = forms.CharField(max_length=40)
    version = forms.IntegerField(required=False)
    comment = forms.CharField(required=False, max_length=4000)


class PartReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return"))])
    version = forms.IntegerField(required=False)
    comment = forms.CharField(required=False, max_length=4000)


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False)
