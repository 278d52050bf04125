"""Serializers of the metrics API. The points batch is parsed by hand in the view (thousands of
points per request); these serializers describe it for the schema and shape the answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Metric, SubjectKind


class PointInputSerializer(serializers.Serializer):
    metric = serializers.CharField(help_text=_("metric key, e.g. crm.new_customers"))
    subject = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("employee number, department code, or empty for company metrics"),
    )
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4)
    source = serializers.CharField(required=False, allow_blank=True, max_length=64)


class PointsBatchInputSerializer(serializers.Serializer):
    points = PointInputSerializer(many=True)
    atomic = serializers.BooleanField(
        required=False, default=False, help_text=_("refuse the whole batch if any point is bad")
    )
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("source of points that name none (default: the API key's name)"),
    )


class RejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    accepted = serializers.IntegerField()
    created = serializers.IntegerField()
    replaced = serializers.IntegerField()
    rejected = RejectedSerializer(many=True)


class MetricOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.CharField()
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    aggregation = serializers.ChoiceField(choices=Metric.Aggregation.choices)
    numerator = serializers.CharField(source="numerator.key", allow_null=True, default=None)
    denominator = serializers.CharField(source="denominator.key", allow_null=True, default=None)
    source = serializers.CharField()
    built_in = serializers.BooleanField()
    active = serializers.BooleanField()


class PointListFilterSerializer(serializers.Serializer):
    metric = serializers.CharField(required=False)
    subject = serializers.CharField(required=False)
    batch = serializers.IntegerField(required=False, min_value=1)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        for name in ("from", "to"):
            raw = data.get(name)
            if raw:
                try:
                    value[name] = serializers.DateField().to_internal_value(raw)
                except serializers.ValidationError as exc:
                    raise serializers.ValidationError({name: exc.detail}) from None
        if value.get("from") and value.get("to") and value["from"] > value["to"]:
            raise serializers.ValidationError({"to": _("Must not be before from.")})
        return value


class SubjectOutputSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("employee, department or company"))
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class PointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.CharField()
    subject = SubjectOutputSerializer()
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4)
    source = serializers.CharField()
    received_at = serializers.DateTimeField()
    batch = serializers.IntegerField(allow_null=True)
