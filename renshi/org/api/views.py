"""Organisation API views: parse input, call a selector or service, respond.

Wired into ``/api/v1/`` by ``renshi.api.urls`` (router basenames "departments", "positions",
"employees", and "me"). Permission classes come from the REST_FRAMEWORK defaults (deny by
default: authenticated, and integration keys only where ``api_key_scopes`` names their scope).
Rows are restricted by ``renshi.core.access`` in the selectors; out of scope answers 404.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from renshi.core import access

from .. import services
from ..models import Employee
from . import selectors
from .serializers import (
    DepartmentOutputSerializer,
    EmployeeCreateInputSerializer,
    EmployeeDetailOutputSerializer,
    EmployeeListOutputSerializer,
    EmployeeUpdateInputSerializer,
    MeOutputSerializer,
    PositionOutputSerializer,
)

ORG_READ = {"GET": "org.read", "HEAD": "org.read"}
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        'Send the version you read, as "version" in the body or in an If-Match header.'
    )
    default_code = "precondition_required"


def _etag(employee: Employee) -> dict[str, str]:
    return {"ETag": f'"{employee.version}"'}


def client_version(request, body_version: int | None) -> int:
    """The version the client read: body ``version`` or the ``If-Match`` header."""
    header = request.headers.get("If-Match")
    header_version = None
    if header:
        match = _IF_MATCH.match(header)
        if match is None:
            raise exceptions.ValidationError({"If-Match": [_("Send the version as a number.")]})
        header_version = int(match.group(1))
    if body_version is not None and header_version is not None and body_version != header_version:
        raise exceptions.ValidationError(
            {"version": [_("The body version and the If-Match header disagree.")]}
        )
    version = body_version if body_version is not None else header_version
    if version is None:
        raise PreconditionRequired
    return version


@extend_schema(tags=["me"])
class MeView(APIView):
    """The caller: login, employee card, roles and scope. People only (not API keys)."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        data = selectors.me_summary(user=request.user)
        return Response(MeOutputSerializer(data).data)


@extend_schema(tags=["organisation"])
@extend_schema_view(
    list=extend_schema(responses=DepartmentOutputSerializer(many=True)),
    retrieve=extend_schema(responses=DepartmentOutputSerializer),
)
class DepartmentViewSet(viewsets.GenericViewSet):
    """Departments the caller may see."""

    api_key_scopes = ORG_READ
    lookup_value_converter = "int"

    def list(self, request):
        page = self.paginate_queryset(selectors.department_list(user=request.user))
        return self.get_paginated_response(DepartmentOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        department = selectors.department_get(user=request.user, pk=pk)
        return Response(DepartmentOutputSerializer(department).data)


@extend_schema(tags=["organisation"])
@extend_schema_view(
    list=extend_schema(responses=PositionOutputSerializer(many=True)),
    retrieve=extend_schema(responses=PositionOutputSerializer),
)
class PositionViewSet(viewsets.GenericViewSet):
    """Positions (job titles and grades) of the caller's company."""

    api_key_scopes = ORG_READ
    lookup_value_converter = "int"

    def list(self, request):
        page = self.paginate_queryset(selectors.position_list(user=request.user))
        return self.get_paginated_response(PositionOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        position = selectors.position_get(user=request.user, pk=pk)
        return Response(PositionOutputSerializer(position).data)


@extend_schema(tags=["organisation"])
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("department", OpenApiTypes.INT, description="department id"),
            OpenApiParameter(
                "sub", OpenApiTypes.BOOL, description="include sub-departments of `department`"
            ),
            OpenApiParameter("position", OpenApiTypes.INT, description="position id"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["active", *Employee.Status.values]),
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="name, employee number, email or phone"
            ),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(selectors.EMPLOYEE_ORDERING)),
        ],
        responses=EmployeeListOutputSerializer(many=True),
    ),
    retrieve=extend_schema(responses=EmployeeDetailOutputSerializer),
    create=extend_schema(
        request=EmployeeCreateInputSerializer, responses={201: EmployeeDetailOutputSerializer}
    ),
    partial_update=extend_schema(
        request=EmployeeUpdateInputSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description='the version read, e.g. "3" (or send "version" in the body)',
            )
        ],
        responses=EmployeeDetailOutputSerializer,
    ),
)
class EmployeeViewSet(viewsets.GenericViewSet):
    """Employees in the caller's scope; HR creates and edits (with the version it read)."""

    api_key_scopes = ORG_READ
    lookup_value_converter = "int"

    def list(self, request):
        queryset = selectors.employee_list(user=request.user, params=request.query_params)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(EmployeeListOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        employee = selectors.employee_get(user=request.user, pk=pk)
        data = EmployeeDetailOutputSerializer(employee, context={"request": request}).data
        return Response(data, headers=_etag(employee))

    def create(self, request):
        access.require_perm(request.user, "org.manage_employees")
        serializer = EmployeeCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        employee = services.employee_create(actor=request.user, **serializer.validated_data)
        employee = selectors.employee_get(user=request.user, pk=employee.pk)
        data = EmployeeDetailOutputSerializer(employee, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED, headers=_etag(employee))

    def partial_update(self, request, pk=None):
        employee = selectors.employee_get(user=request.user, pk=pk)  # 404 out of scope
        access.ensure(request.user, access.CHANGE, employee)  # 403 visible but not editable
        serializer = EmployeeUpdateInputSerializer(
            data=request.data, context={"request": request}, partial=True
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = client_version(request, changes.pop("version", None))
        employee = services.employee_update(
            actor=request.user, employee=employee, version=version, **changes
        )
        employee = selectors.employee_get(user=request.user, pk=employee.pk)
        data = EmployeeDetailOutputSerializer(employee, context={"request": request}).data
        return Response(data, headers=_etag(employee))
