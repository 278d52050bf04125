"""Forms of the goal pages. Every choice comes from the access layer; the fields are an
allow-list (company, map, level, status and version are never taken from the request as data:
level and map come from the URL, version is only compared)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from renshi.core import access
from renshi.org.forms import BootstrapMixin, DateInput, DepartmentChoiceField, EmployeeNumberField
from renshi.org.models import Department, Employee
from renshi.org.scope import get_scope

from .models import Goal, Perspective, StrategyMap
from .permissions import is_map_editor

DECIMAL = {"max_digits": 18, "decimal_places": 4, "required": False}
MEASURE_FIELDS = (
    "measure",
    "unit",
    "direction",
    "baseline",
    "target",
    "range_low",
    "range_high",
    "weight",
    "start_date",
    "deadline",
)


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.get_level_display()} · {obj.title}"


class MapGoalChoiceField(forms.ModelChoiceField):
    """A goal of any visible map, labelled with its map (the propose form)."""

    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.strategy_map.name} · {obj.get_level_display()} · {obj.title}"


def parent_candidates(user: Any, **filters: Any):
    """Goals that can be served: visible objectives and department goals that are not closed."""
    return (
        access.restrict(Goal, user, access.VIEW)
        .filter(level__in=[Goal.Level.COMPANY, Goal.Level.DEPARTMENT], **filters)
        .exclude(status=Goal.Status.CLOSED)
    )


class _MeasureFields(forms.Form):
    """The measure of a goal, shared by the goal form and the propose form."""

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measure = forms.CharField(
        label=_("Measure"),
        max_length=200,
        required=False,
        help_text=_("What is counted or observed, e.g. new customers signed."),
    )
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Goal.Direction.choices, initial=Goal.Direction.HIGHER
    )
    baseline = forms.DecimalField(label=_("Baseline"), **DECIMAL)
    target = forms.DecimalField(label=_("Target"), **DECIMAL)
    range_low = forms.DecimalField(
        label=_("Range low"), help_text=_("Only for “stay within a range”."), **DECIMAL
    )
    range_high = forms.DecimalField(label=_("Range high"), **DECIMAL)
    weight = forms.DecimalField(
        label=_("Weight"),
        max_digits=7,
        decimal_places=4,
        min_value=0,
        initial=1,
        help_text=_("Its share in the progress of the goal it serves (weights need not add to 1)."),
    )
    start_date = forms.DateField(label=_("Start"), widget=DateInput)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)


class GoalForm(BootstrapMixin, _MeasureFields):
    """Create or edit a goal of one level in one map. Which fields appear depends on the level
    (objective: perspective; department goal: department; individual KPI: owner); the owner of
    a proposal editing it sees no owner/department fields."""

    parent = GoalChoiceField(
        label=_("Serves"), queryset=Goal.objects.none(), required=False, empty_label="—"
    )
    perspective = forms.ModelChoiceField(
        label=_("Perspective"), queryset=Perspective.objects.none(), required=False
    )
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    owner = EmployeeNumberField(
        label=_("Owner (employee number)"), queryset=Employee.objects.none(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    field_order = [
        "title",
        "parent",
        "perspective",
        "department",
        "owner",
        "description",
        *MEASURE_FIELDS,
    ]

    def __init__(
        self,
        *args: Any,
        user: Any,
        strategy_map: StrategyMap,
        level: str,
        goal: Goal | None = None,
        owner_editing: bool = False,
        **kwargs: Any,
    ) -> None:
        self.level = level
        if goal is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": goal.title,
                "description": goal.description,
                "parent": goal.parent_id,
                "perspective": goal.perspective_id,
                "department": goal.department_id,
                "owner": goal.owner,
                **{name: getattr(goal, name) for name in MEASURE_FIELDS},
                "version": goal.version,
            }
        super().__init__(*args, **kwargs)
        if goal is None:
            del self.fields["version"]
            self.fields["start_date"].initial = strategy_map.period_start
            self.fields["deadline"].initial = strategy_map.period_end
        scope = get_scope(user)
        editor = is_map_editor(scope)
        parents = parent_candidates(user, strategy_map_id=strategy_map.pk)
        if goal is not None:
            parents = parents.exclude(pk=goal.pk)
        self.fields["parent"].queryset = parents.order_by("level", "id")
        departments = access.restrict(Department, user, access.VIEW)
        if not editor:
            departments = departments.filter(pk__in=scope.department_ids)
        self.fields["department"].queryset = departments.order_by("sort_order", "code")
        owners = access.restrict(Employee, user, access.VIEW).exclude(status=Employee.Status.LEFT)
        if level == Goal.Level.INDIVIDUAL and not editor:
            owners = owners.filter(department_id__in=scope.department_ids).exclude(
                pk=scope.employee_id
            )
        self.fields["owner"].queryset = owners
        self.fields["perspective"].queryset = access.restrict(
            Perspective, user, access.VIEW
        ).filter(strategy_map_id=strategy_map.pk)

        drop: set[str] = set()
        if level == Goal.Level.COMPANY:
            drop |= {"parent", "department"}
            if strategy_map.mode == StrategyMap.Mode.OKR:
                drop.add("perspective")
            else:
                self.fields["perspective"].required = True
        elif level == Goal.Level.DEPARTMENT:
            drop.add("perspective")
            self.fields["department"].required = True
            self.fields["owner"].label = _("Responsible (employee number)")
        else:
            drop |= {"perspective", "department"}
            self.fields["owner"].required = True
            self.fields["parent"].required = True
        if owner_editing:
            drop |= {"owner", "department"}
        for name in drop:
            del self.fields[name]
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if data.get("weight") is None:
            data["weight"] = 1
        for name in ("title", "description", "measure", "unit"):
            if name in data:
                data[name] = (data[name] or "").strip()
        return data


class ProposeForm(BootstrapMixin, _MeasureFields):
    """An employee proposes their own key result under a goal they can see (any map)."""

    parent = MapGoalChoiceField(label=_("Serves"), queryset=Goal.objects.none())

    field_order = ["parent", "title", "description", *MEASURE_FIELDS]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            parent_candidates(user)
            .select_related("strategy_map")
            .order_by("-strategy_map__period_start", "strategy_map_id", "level", "id")
        )
        self.fields["start_date"].required = False
        self.fields["deadline"].required = False
        self.fields["start_date"].help_text = _("Empty: the period of the map.")
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("weight") is None:
            data["weight"] = 1
        data["strategy_map"] = data["parent"].strategy_map
        return data


class ActualForm(BootstrapMixin, forms.Form):
    actual = forms.DecimalField(
        label=_("Actual"),
        help_text=_("The current value of the measure; leave empty to clear it."),
        **DECIMAL,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"actual": goal.actual, "version": goal.version})
        super().__init__(*args, **kwargs)
        self._style()


class TransitionForm(forms.Form):
    ACTION_CHOICES = [
        ("approve", _("Approve")),
        ("return", _("Return")),
        ("resubmit", _("Resubmit")),
        ("close", _("Close")),
    ]
    action = forms.ChoiceField(choices=ACTION_CHOICES)
    reason = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(required=False)


class CommentForm(BootstrapMixin, forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
