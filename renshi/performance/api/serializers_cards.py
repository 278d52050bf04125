"""Serializers of the scorecards API: small, one per operation. Inputs are strict; the
services validate numbers and rights. Score and grade are left out for an employee reading
their own card before results are published (``score_visible``)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Scorecard


class CardRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    indicator = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField()
    unit = serializers.CharField()
    data_source = serializers.CharField()
    rated = serializers.BooleanField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    target = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    target_source = serializers.JSONField()
    goal = serializers.IntegerField(allow_null=True)
    actual = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    actual_source = serializers.CharField()
    actual_trace = serializers.JSONField()
    rating = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    self_comment = serializers.CharField()
    evidence = serializers.CharField()
    manager_comment = serializers.CharField(required=False)
    version = serializers.IntegerField()


class ScorecardOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = CardRefSerializer()
    employee = CardRefSerializer()
    department = CardRefSerializer()
    evaluator = CardRefSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=Scorecard.Status.choices)
    version = serializers.IntegerField()
    score = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, required=False
    )
    grade = serializers.CharField(required=False)
    steps = serializers.ListField(child=serializers.CharField())


class ScorecardDetailOutputSerializer(ScorecardOutputSerializer):
    objection = serializers.CharField()
    self_comment = serializers.CharField()
    manager_comment = serializers.CharField(required=False)
    trace = serializers.JSONField(required=False)
    items = ItemOutputSerializer(many=True)


class ScorecardFilterSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False)
    department = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=Scorecard.Status.choices, required=False)
    mine = serializers.BooleanField(required=False)


class ItemChangeSerializer(serializers.Serializer):
    weight = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    target = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    goal = serializers.IntegerField(required=False, allow_null=True)
    suggestion = serializers.IntegerField(required=False, allow_null=True)
    actual = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def to_internal_value(self, data):
        unknown = set(data) - set(self.fields) if isinstance(data, dict) else set()
        if unknown:
            raise serializers.ValidationError({k: ["Unknown field."] for k in sorted(unknown)})
        return super().to_internal_value(data)


class ItemsUpdateInputSerializer(serializers.Serializer):
    """``items``: {indicator id: {weight, target, goal, suggestion}} (assignment) or
    {indicator id: {actual}} (actuals) — one kind per request."""

    version = serializers.IntegerField(min_value=1, required=False)
    items = serializers.DictField(child=ItemChangeSerializer())


class BatchRowSerializer(serializers.Serializer):
    scorecard = serializers.IntegerField()
    version = serializers.IntegerField(min_value=1)
    items = serializers.DictField(child=ItemChangeSerializer())


class ItemsBatchInputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=[("assign", "assign"), ("actuals", "actuals")])
    rows = BatchRowSerializer(many=True)


class StepInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class SelfEvaluationItemSerializer(serializers.Serializer):
    actual = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    self_comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class SelfEvaluateInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)
    self_comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    items = serializers.DictField(child=SelfEvaluationItemSerializer(), required=False)
    submit = serializers.BooleanField(default=True)


class EvaluationItemSerializer(serializers.Serializer):
    rating = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    manager_comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class EvaluateInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)
    manager_comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    items = serializers.DictField(child=EvaluationItemSerializer(), required=False)
    submit = serializers.BooleanField(default=True)


class CommentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000)


class DepartmentSubmitOutputSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    department = serializers.IntegerField()
    assignments_submitted_at = serializers.DateTimeField()
