"""Notifications API: a person's own inbox (list, mark one read, mark all read).

Integration keys get nothing here (no ``api_key_scopes``); rows come through the access layer
(someone else's notification answers 404)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from renshi.core import access

from .. import selectors, services
from ..models import Notification
from .serializers import NotificationOutputSerializer, ReadAllOutputSerializer


@extend_schema(
    parameters=[
        OpenApiParameter("unread", OpenApiTypes.BOOL, description="only unread notifications")
    ]
)
class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationOutputSerializer

    def get_queryset(self):
        unread = self.request.query_params.get("unread") in ("1", "true", "yes")
        return selectors.inbox(self.request.user, unread_only=unread)


class NotificationReadView(APIView):
    @extend_schema(request=None, responses=NotificationOutputSerializer)
    def post(self, request, pk: int):
        notification = access.get_object_or_404(Notification, request.user, access.CHANGE, pk=pk)
        notification = services.notification_mark_read(
            actor=request.user, notification=notification
        )
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses=ReadAllOutputSerializer)
    def post(self, request):
        count = services.notification_mark_all_read(actor=request.user)
        return Response({"marked": count}, status=status.HTTP_200_OK)
