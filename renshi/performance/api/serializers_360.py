"""Input/output serializers of the 360 API (no answer is ever serialized row by row)."""

from __future__ import annotations

from rest_framework import serializers


class RaterAssignInputSerializer(serializers.Serializer):
    raters = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)


class RaterOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    employee_no = serializers.CharField()
    department = serializers.CharField()
    relation = serializers.CharField()
    answered = serializers.BooleanField(allow_null=True)


class RequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    employee_name = serializers.CharField()
    plan_name = serializers.CharField()
    plan_status = serializers.CharField()
    answered = serializers.BooleanField()
    open = serializers.BooleanField()
    anonymous = serializers.BooleanField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()


class QuestionnaireOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee_name = serializers.CharField()
    plan_name = serializers.CharField()
    anonymous = serializers.BooleanField()
    answered = serializers.BooleanField()
    open = serializers.BooleanField()
    questions = QuestionSerializer(many=True)


class AnswerInputSerializer(serializers.Serializer):
    ratings = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=5))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class QuestionMeanSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    mean = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)


class AggregateOutputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    count = serializers.IntegerField()
    minimum = serializers.IntegerField()
    shown = serializers.BooleanField()
    overall = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    questions = QuestionMeanSerializer(many=True)
    comments = serializers.ListField(child=serializers.CharField())
