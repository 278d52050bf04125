from __future__ import annotations

from rest_framework import serializers

from ..models import Notification


class NotificationOutputSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "event", "title", "body", "url", "created_at", "read_at", "read")
        read_only_fields = fields

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class ReadAllOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
