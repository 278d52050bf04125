"""Output of the alerts API: an alert with its numbers and how they were computed."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Alert


class AlertOutputSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()
    subject_type = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "title",
            "subject_type",
            "subject_id",
            "subject_repr",
            "period_key",
            "status",
            "opened_on",
            "escalated_at",
            "closed_at",
            "close_reason",
            "actual",
            "expected",
            "completion",
            "threshold",
            "url",
        ]

    def get_title(self, alert: Alert) -> str:
        return alert.title_text

    def get_rule(self, alert: Alert) -> dict:
        return {"id": alert.rule_id, "kind": alert.rule.kind, "name": alert.rule.name}

    def get_subject_type(self, alert: Alert) -> str:
        return alert.subject_type.model


class AlertDetailOutputSerializer(AlertOutputSerializer):
    trace = serializers.SerializerMethodField()

    class Meta(AlertOutputSerializer.Meta):
        fields = [*AlertOutputSerializer.Meta.fields, "trace"]

    def get_trace(self, alert: Alert) -> list[str]:
        return alert.trace_text()
