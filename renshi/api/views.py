"""API views of the API app: personal tokens, integration keys, schema and docs.

Views parse input, call a service or selector, and respond. The organisation resources live in
``renshi.org.api`` and are wired in ``urls.py``.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from renshi.core import access

from . import selectors, services
from .permissions import ApiKeyScope, HasAccessPermission, IsAuthenticated, IsUserPrincipal
from .serializers import (
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
    TokenObtainInputSerializer,
    TokenOutputSerializer,
)
from .throttling import PrincipalRateThrottle, TokenRateThrottle


@extend_schema(tags=["auth"])
class TokenView(APIView):
    """POST username + password → your API token; DELETE revokes it.

    Rate limited per client IP (throttle scope "token"); failed attempts also count towards the
    login lockout (django-axes hooks ``authenticate()``)."""

    throttle_classes = [TokenRateThrottle]

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [IsUserPrincipal()]

    @extend_schema(request=TokenObtainInputSerializer, responses=TokenOutputSerializer, auth=[])
    def post(self, request):
        serializer = TokenObtainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request
        user = authenticate(
            request=http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            raise exceptions.Throttled(detail=_("Too many failed attempts. Try again later."))
        if user is None:
            raise exceptions.AuthenticationFailed(_("Wrong username or password."))
        if user.must_change_password:
            raise exceptions.PermissionDenied(
                _("Change the temporary password on the web page first.")
            )
        token = services.token_obtain(user=user)
        return Response(TokenOutputSerializer({"token": token.key}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["integration keys"])
@extend_schema_view(
    list=extend_schema(responses=ApiKeyOutputSerializer(many=True)),
    retrieve=extend_schema(responses=ApiKeyOutputSerializer),
    create=extend_schema(
        request=ApiKeyCreateInputSerializer, responses={201: ApiKeyCreatedOutputSerializer}
    ),
    destroy=extend_schema(responses={204: None}),
)
class ApiKeyViewSet(viewsets.GenericViewSet):
    """Integration keys of the caller's company (GM and HR VP). DELETE revokes a key; the row
    stays for the record."""

    permission_classes = [IsAuthenticated, ApiKeyScope, IsUserPrincipal, HasAccessPermission]
    required_permission = "api.manage_keys"
    throttle_classes = [PrincipalRateThrottle]
    lookup_value_converter = "int"

    def list(self, request):
        page = self.paginate_queryset(selectors.api_key_list(user=request.user))
        return self.get_paginated_response(ApiKeyOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        api_key = selectors.api_key_get(user=request.user, pk=pk)
        return Response(ApiKeyOutputSerializer(api_key).data)

    def create(self, request):
        serializer = ApiKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, secret = services.api_key_create(actor=request.user, **serializer.validated_data)
        api_key.secret = secret
        data = ApiKeyCreatedOutputSerializer(api_key).data
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        api_key = selectors.api_key_get(user=request.user, pk=pk)
        access.ensure(request.user, access.DELETE, api_key)
        services.api_key_revoke(actor=request.user, api_key=api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with every asset served locally (sidecar) and no inline script or style."""

    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
    title = "renshi API"
