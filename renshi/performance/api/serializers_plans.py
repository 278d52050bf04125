"""Input and output serializers of the plans API (small and explicit: company, status and
version are never input fields; the version is only compared)."""

from __future__ import annotations

from rest_framework import serializers

from renshi.core import access
from renshi.org.models import Department, Position

from ..models import Category, DataSource, Direction, IndicatorTemplate, PeriodKind, Plan


class _Restricted(serializers.PrimaryKeyRelatedField):
    """A related object the caller may see (others: "does not exist")."""

    def __init__(self, model, **kwargs):
        self.model = model
        # an empty queryset for the schema generator; get_queryset restricts the real one
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def get_queryset(self):
        return access.restrict(self.model, self.context["request"].user)


class TemplateOutputSerializer(serializers.ModelSerializer):
    positions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = IndicatorTemplate
        fields = (
            "id", "name", "description", "category", "department_type", "positions", "unit",
            "direction", "rule", "data_source", "metric_key", "evidence_required",
            "default_weight", "default_target", "active", "version",
        )  # fmt: skip


class TemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices)
    department_type = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    positions = _Restricted(Position, many=True, required=False)
    unit = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.HIGHER)
    rule = serializers.JSONField(help_text='scoring.Rule as JSON, e.g. {"kind": "ratio"}')
    data_source = serializers.ChoiceField(choices=DataSource.choices, default=DataSource.MANUAL)
    metric_key = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    evidence_required = serializers.BooleanField(default=False)
    default_weight = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True, default=None
    )
    default_target = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True, default=None
    )
    active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False)


class PartOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department_id = serializers.IntegerField()
    department = serializers.CharField(source="department.name")
    review = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    assignments_submitted_at = serializers.DateTimeField(allow_null=True)


class IndicatorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField()
    department_id = serializers.IntegerField(allow_null=True)
    position_id = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField()
    direction = serializers.CharField()
    rule = serializers.JSONField()
    data_source = serializers.CharField()
    metric_key = serializers.CharField()
    evidence_required = serializers.BooleanField()
    default_weight = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    default_target = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)


PLAN_OUT = (
    "id", "name", "period_kind", "period_start", "period_end", "company_level", "status",
    "results_share", "competency_share", "grade_bands", "distribution", "weight_360",
    "anonymous_360", "questions_360", "outcomes", "assign_deadline", "self_eval_deadline",
    "manager_eval_deadline", "calibration_deadline", "appeal_days", "copied_from", "version",
)  # fmt: skip


class PlanOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = PLAN_OUT


class PlanDetailOutputSerializer(PlanOutputSerializer):
    parts = PartOutputSerializer(many=True, source="parts_list")
    indicators = IndicatorOutputSerializer(many=True, source="indicator_list")
    steps = serializers.ListField(child=serializers.CharField())

    class Meta(PlanOutputSerializer.Meta):
        fields = (*PLAN_OUT, "parts", "indicators", "steps")


class PlanCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_start = serializers.DateField(help_text="first day of the period, e.g. 2026-04-01")
    departments = _Restricted(Department, many=True)
    company_level = serializers.BooleanField(default=True)
    templates = _Restricted(IndicatorTemplate, many=True, required=False)


class PlanUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, required=False)
    period_start = serializers.DateField(required=False)
    company_level = serializers.BooleanField(required=False)
    departments = _Restricted(Department, many=True, required=False)
    results_share = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    competency_share = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    grade_bands = serializers.JSONField(required=False)
    distribution = serializers.JSONField(required=False)
    weight_360 = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    anonymous_360 = serializers.BooleanField(required=False)
    questions_360 = serializers.JSONField(required=False)
    outcomes = serializers.JSONField(required=False)
    assign_deadline = serializers.DateField(required=False, allow_null=True)
    self_eval_deadline = serializers.DateField(required=False, allow_null=True)
    manager_eval_deadline = serializers.DateField(required=False, allow_null=True)
    calibration_deadline = serializers.DateField(required=False, allow_null=True)
    appeal_days = serializers.IntegerField(required=False, min_value=1, max_value=60)
    version = serializers.IntegerField(required=False)


class TransitionInputSerializer(serializers.Serializer):
    step = serializers.CharField(max_length=40)
    version = serializers.IntegerField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class PartReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("return", "return")])
    version = serializers.IntegerField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
