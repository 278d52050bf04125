"""Input/output serializers of the API app (tokens, integration keys)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import API_KEY_SCOPES


class TokenObtainInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    metric_keys = serializers.ListField(
        child=serializers.CharField(),
        help_text=_('with "metrics.write": the metric keys it may write (patterns, e.g. crm.*)'),
    )
    created_by = serializers.CharField(source="created_by.get_username", default=None)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    is_usable = serializers.BooleanField()


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    secret = serializers.CharField(
        help_text=_('The full key, "<prefix>.<secret>". Shown once; it is not stored.')
    )


class ApiKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(API_KEY_SCOPES)), allow_empty=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    metric_keys = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text=_(
            'Required with "metrics.write": the metric keys the key may write, as patterns '
            "(crm.*, attendance.rate, *)."
        ),
    )

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be written.")] for name in unknown}
                )
        return super().to_internal_value(data)
