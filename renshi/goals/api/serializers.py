"""Small input/output serializers of the goals API, one set per operation.

Input serializers are strict (an undeclared key is a 400 field error, never silently ignored);
ids in bodies and filters resolve only inside the caller's access scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from renshi.core import access
from renshi.org.models import Department, Employee

from .. import targets
from ..models import Goal, Perspective, StrategyMap, TargetSuggestion


def _decimal(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, **kwargs)


# --- output -----------------------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PerspectiveOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.ChoiceField(choices=Perspective.Key.choices)
    name = serializers.CharField()
    order = serializers.IntegerField()


class LinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cause = serializers.IntegerField(source="cause_id")
    effect = serializers.IntegerField(source="effect_id")


class ObjectiveRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    perspective = serializers.IntegerField(source="perspective_id", allow_null=True)


class StrategyMapOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    mission = serializers.CharField()
    mode = serializers.ChoiceField(choices=StrategyMap.Mode.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    version = serializers.IntegerField()


class StrategyMapDetailOutputSerializer(StrategyMapOutputSerializer):
    perspectives = PerspectiveOutputSerializer(many=True)
    objectives = ObjectiveRefSerializer(many=True)
    links = LinkOutputSerializer(many=True)


class GoalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    strategy_map = serializers.IntegerField(source="strategy_map_id")
    level = serializers.ChoiceField(choices=Goal.Level.choices)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    perspective = serializers.IntegerField(source="perspective_id", allow_null=True)
    title = serializers.CharField()
    department = RefSerializer(allow_null=True)
    owner = RefSerializer(allow_null=True)
    measure = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.ChoiceField(choices=Goal.Direction.choices)
    baseline = _decimal(allow_null=True)
    target = _decimal(allow_null=True)
    range_low = _decimal(allow_null=True)
    range_high = _decimal(allow_null=True)
    actual = _decimal(allow_null=True)
    weight = serializers.DecimalField(max_digits=7, decimal_places=4)
    start_date = serializers.DateField()
    deadline = serializers.DateField()
    status = serializers.ChoiceField(choices=Goal.Status.choices)
    version = serializers.IntegerField()


class ProgressOutputSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    percent = serializers.CharField()
    trace = serializers.ListField(child=serializers.CharField())


class PaceOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    colour = serializers.CharField()
    elapsed = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    ratio = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    trace = serializers.ListField(child=serializers.CharField())


class ChainItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    level = serializers.ChoiceField(choices=Goal.Level.choices)


class GoalDetailOutputSerializer(GoalOutputSerializer):
    description = serializers.CharField()
    metric_key = serializers.CharField()
    progress = ProgressOutputSerializer(allow_null=True)
    own_progress = ProgressOutputSerializer(allow_null=True)
    children_progress = ProgressOutputSerializer(allow_null=True)
    pace = PaceOutputSerializer(allow_null=True)
    chain = ChainItemSerializer(many=True)


class GoalTreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    level = serializers.ChoiceField(choices=Goal.Level.choices)
    owner = RefSerializer(allow_null=True)
    department = RefSerializer(allow_null=True)
    weight = serializers.DecimalField(max_digits=7, decimal_places=4)
    progress = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    percent = serializers.CharField()
    pace = serializers.CharField()
    pace_colour = serializers.CharField()


# recursive: a node's children are nodes (one OpenAPI component referring to itself)
GoalTreeNodeSerializer._declared_fields["children"] = GoalTreeNodeSerializer(many=True)


class GoalTreeOutputSerializer(serializers.Serializer):
    strategy_map = serializers.IntegerField()
    today = serializers.DateField()
    on_track = serializers.DecimalField(max_digits=5, decimal_places=3)
    at_risk = serializers.DecimalField(max_digits=5, decimal_places=3)
    roots = GoalTreeNodeSerializer(many=True)


class TargetSuggestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    goal = serializers.IntegerField(source="goal_id")
    method = serializers.ChoiceField(choices=TargetSuggestion.Method.choices)
    inputs = serializers.DictField()
    value = _decimal()
    derivation = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    decision = serializers.ChoiceField(choices=TargetSuggestion.Decision.choices)
    chosen_value = _decimal(allow_null=True)
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.get_username", default=None)
    decided_by = serializers.CharField(source="decided_by.get_username", default=None)
    created_at = serializers.DateTimeField()


class TargetDecisionOutputSerializer(serializers.Serializer):
    suggestion = TargetSuggestionOutputSerializer()
    goal = GoalOutputSerializer()


# --- input ------------------------------------------------------------------------------------


class StrictInputSerializer(serializers.Serializer):
    """Rejects every key that is not a declared field (mass-assignment guard)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be written.")] for name in unknown}
                )
        return super().to_internal_value(data)


class _ScopedRelations:
    """Related ids resolve only inside the caller's scope (schema generation: no caller)."""

    scoped = {
        "strategy_map": StrategyMap,
        "parent": Goal,
        "perspective": Perspective,
        "department": Department,
        "owner": Employee,
    }

    def _scope_relations(self) -> None:
        request = self.context.get("request")
        if request is None:
            return
        for name, model in self.scoped.items():
            if name in self.fields:
                self.fields[name].queryset = access.restrict(model.objects.all(), request.user)


def _related(model, **kwargs) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=model.objects.none(), **kwargs)


class GoalListFilterSerializer(_ScopedRelations, serializers.Serializer):
    """?map=&level=&department=&owner= (ids must be visible: an invisible one is a 400)."""

    scoped = {"map": StrategyMap, "department": Department, "owner": Employee}

    map = _related(StrategyMap, required=False)
    level = serializers.ChoiceField(choices=Goal.Level.choices, required=False)
    department = _related(Department, required=False)
    owner = _related(Employee, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._scope_relations()


class _GoalWriteFields(_ScopedRelations, StrictInputSerializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False, max_length=10000)
    parent = _related(Goal, allow_null=True, required=False)
    perspective = _related(Perspective, allow_null=True, required=False)
    department = _related(Department, allow_null=True, required=False)
    owner = _related(Employee, allow_null=True, required=False)
    measure = serializers.CharField(allow_blank=True, required=False, max_length=200)
    unit = serializers.CharField(allow_blank=True, required=False, max_length=30)
    direction = serializers.ChoiceField(choices=Goal.Direction.choices, required=False)
    baseline = _decimal(allow_null=True, required=False)
    target = _decimal(allow_null=True, required=False)
    range_low = _decimal(allow_null=True, required=False)
    range_high = _decimal(allow_null=True, required=False)
    weight = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=0, required=False)
    start_date = serializers.DateField(required=False)
    deadline = serializers.DateField(required=False)
    metric_key = serializers.CharField(allow_blank=True, required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._scope_relations()


class GoalCreateInputSerializer(_GoalWriteFields):
    strategy_map = _related(StrategyMap)
    level = serializers.ChoiceField(choices=Goal.Level.choices)


class GoalProposeInputSerializer(_GoalWriteFields):
    """An employee proposes their own key result: the owner is the caller, the department
    theirs; ``parent`` is the visible goal it serves (any department: OKR alignment)."""

    strategy_map = _related(StrategyMap)
    parent = _related(Goal)
    perspective = None
    department = None
    owner = None


class GoalUpdateInputSerializer(_GoalWriteFields):
    """PATCH: every field optional; ``version`` is the version the client read (or If-Match)."""

    version = serializers.IntegerField(min_value=1, required=False)


class TargetSuggestInputSerializer(StrictInputSerializer):
    method = serializers.ChoiceField(choices=TargetSuggestion.Method.choices)
    inputs = serializers.DictField(
        help_text=_(
            "pipeline: prospects, conversion (%), period, per; history: actuals (list), "
            "stretch (%), lower_is_better, per; share: parent_target, period, per, people or "
            "weights + weight. Any method: places (0–4) and capacity limits: capacity, or "
            "market_prospects, max_conversion (%), average_value."
        )
    )

    def validate_inputs(self, value):
        if len(value) > len(targets.FIELDS[targets.SHARE]) + 2:
            raise serializers.ValidationError(_("Too many inputs."))
        return value


class TargetAcceptInputSerializer(StrictInputSerializer):
    goal_version = serializers.IntegerField(
        min_value=1, help_text=_("The version of the goal the client read.")
    )


class TargetOverrideInputSerializer(TargetAcceptInputSerializer):
    value = _decimal()
    reason = serializers.CharField(max_length=2000)
