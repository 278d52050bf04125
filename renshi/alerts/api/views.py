"""Alerts API: the alerts a person may see (through the access layer), one alert with its
calculation, and closing one by hand. Integration keys get nothing here."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response
from rest_framework.views import APIView

from renshi.core import access

from .. import selectors, services
from ..models import Alert
from .serializers import AlertDetailOutputSerializer, AlertOutputSerializer

STATUSES = ("open", "closed", "all")


class _CanView:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.has_perm(request.user, "alerts.view"):
            raise exceptions.PermissionDenied


@extend_schema(
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=list(STATUSES)),
        OpenApiParameter("rule", OpenApiTypes.INT),
        OpenApiParameter("mine", OpenApiTypes.BOOL, description="only alerts addressed to me"),
    ]
)
class AlertListView(_CanView, generics.ListAPIView):
    serializer_class = AlertOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        status = params.get("status", "open")
        if status not in STATUSES:
            raise exceptions.ValidationError({"status": f"one of {', '.join(STATUSES)}"})
        rule = params.get("rule")
        try:
            rule_id = int(rule) if rule else None
        except ValueError as exc:
            raise exceptions.ValidationError({"rule": "an integer"}) from exc
        return selectors.alert_list(
            user=self.request.user,
            status=status,
            rule_id=rule_id,
            mine=params.get("mine") in ("1", "true", "yes"),
        ).select_related("subject_type")


class AlertDetailView(_CanView, generics.RetrieveAPIView):
    serializer_class = AlertDetailOutputSerializer

    def get_object(self):
        return access.get_object_or_404(
            Alert.objects.select_related("rule", "subject_type"),
            self.request.user,
            access.VIEW,
            pk=self.kwargs["pk"],
        )


class AlertResolveView(_CanView, APIView):
    @extend_schema(request=None, responses=AlertDetailOutputSerializer)
    def post(self, request, pk: int):
        alert = access.get_object_or_404(Alert, request.user, access.VIEW, pk=pk)
        alert = services.alert_resolve(actor=request.user, alert=alert)  # closed already: 409
        return Response(AlertDetailOutputSerializer(alert).data)
