"""Plans API: the indicator library (CRUD; DELETE deactivates), plans (list, detail, create,
update, copy), the workflow step ``POST plans/<id>/transition/`` and the VPs' part review.

The same services as the pages. People only: integration keys get nothing here (no
``api_key_scopes``). Out of scope → 404, visible but not allowed → 403, a stale version → 409
(``conflict``), an illegal or replayed step → 409 (``transition``), invalid input → 400.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from renshi.core import access
from renshi.core.workflow import TransitionError
from renshi.org.api.views import client_version

from .. import library as lib
from .. import selectors_plans as selectors
from .. import services_plans as services
from ..models import IndicatorTemplate, Plan, PlanDepartment
from .serializers_plans import (
    PartReviewInputSerializer,
    PlanCreateInputSerializer,
    PlanDetailOutputSerializer,
    PlanOutputSerializer,
    PlanUpdateInputSerializer,
    TemplateInputSerializer,
    TemplateOutputSerializer,
    TransitionInputSerializer,
)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='the version read, e.g. "3" (or send "version" in the body)',
)


def _etag(obj) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


def _transition_error(exc: TransitionError) -> Response:
    return Response(
        {
            "error": {
                "code": "transition",
                "message": " ".join(exc.messages),
                "details": {"reason": getattr(exc, "code", None) or "not_allowed"},
            }
        },
        status=status.HTTP_409_CONFLICT,
    )


# --- library ---------------------------------------------------------------------------------------


@extend_schema(tags=["performance"])
class LibraryListView(GenericAPIView):
    """The company's indicator library (``?active=true|false``); the plan office adds entries."""

    serializer_class = TemplateOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("active", OpenApiTypes.BOOL)],
        responses=TemplateOutputSerializer(many=True),
    )
    def get(self, request):
        access.require_perm(request.user, "performance.view")
        raw = request.query_params.get("active")
        active = None if raw in (None, "") else raw.lower() in ("1", "true", "yes")
        page = self.paginate_queryset(selectors.library(user=request.user, active=active))
        return self.get_paginated_response(TemplateOutputSerializer(page, many=True).data)

    @extend_schema(request=TemplateInputSerializer, responses={201: TemplateOutputSerializer})
    def post(self, request):
        access.require_perm(request.user, "performance.manage_library")
        serializer = TemplateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        data.pop("active", None)
        template = lib.indicator_template_create(actor=request.user, **data)
        return Response(
            TemplateOutputSerializer(template).data,
            status=status.HTTP_201_CREATED,
            headers=_etag(template),
        )


@extend_schema(tags=["performance"])
class LibraryDetailView(GenericAPIView):
    """One library entry. PATCH edits (with the version); DELETE deactivates (plans keep their
    copies)."""

    serializer_class = TemplateOutputSerializer

    def _get(self, request, pk):
        return access.get_object_or_404(IndicatorTemplate, request.user, pk=pk)

    @extend_schema(responses=TemplateOutputSerializer)
    def get(self, request, pk):
        template = self._get(request, pk)
        return Response(TemplateOutputSerializer(template).data, headers=_etag(template))

    @extend_schema(
        request=TemplateInputSerializer, parameters=[IF_MATCH], responses=TemplateOutputSerializer
    )
    def patch(self, request, pk):
        template = self._get(request, pk)
        access.require_perm(request.user, "performance.manage_library")
        serializer = TemplateInputSerializer(
            data=request.data, context={"request": request}, partial=True
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = client_version(request, changes.pop("version", None))
        positions = changes.pop("positions", None)
        template = lib.indicator_template_update(
            actor=request.user, template=template, version=version, positions=positions, **changes
        )
        return Response(TemplateOutputSerializer(template).data, headers=_etag(template))

    @extend_schema(parameters=[IF_MATCH], responses={204: None})
    def delete(self, request, pk):
        template = self._get(request, pk)
        access.require_perm(request.user, "performance.manage_library")
        version = client_version(request, None)
        lib.indicator_template_set_active(
            actor=request.user, template=template, active=False, version=version
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- plans ---------------------------------------------------------------------------------------


def _detail(request, plan: Plan) -> dict:
    user = request.user
    plan.parts_list = selectors.plan_parts(user=user, plan=plan)
    plan.indicator_list = selectors.plan_indicators(user=user, plan=plan)
    plan.steps = services.available_steps(actor=user, plan=plan)
    return PlanDetailOutputSerializer(plan).data


def _respond(request, plan: Plan, code=status.HTTP_200_OK) -> Response:
    plan = selectors.plan_get(user=request.user, pk=plan.pk)
    return Response(_detail(request, plan), status=code, headers=_etag(plan))


@extend_schema(tags=["performance"])
class PlanListView(GenericAPIView):
    """The plans the caller may see (``?status=``); the performance manager creates drafts."""

    serializer_class = PlanOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Plan.Status.values)],
        responses=PlanOutputSerializer(many=True),
    )
    def get(self, request):
        access.require_perm(request.user, "performance.view")
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in Plan.Status.values:
            wanted = "-"  # nothing
        page = self.paginate_queryset(selectors.plan_list(user=request.user, status=wanted))
        return self.get_paginated_response(PlanOutputSerializer(page, many=True).data)

    @extend_schema(request=PlanCreateInputSerializer, responses={201: PlanDetailOutputSerializer})
    def post(self, request):
        access.require_perm(request.user, "performance.draft_plans")
        serializer = PlanCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        plan = services.plan_create(actor=request.user, **serializer.validated_data)
        return _respond(request, plan, status.HTTP_201_CREATED)


@extend_schema(tags=["performance"])
class PlanDetailView(GenericAPIView):
    """One plan with its parts, indicators and the steps the caller may take now. PATCH
    changes the settings while the plan is editable (draft: the plan office; HR review: the HR
    VP), with the version."""

    serializer_class = PlanDetailOutputSerializer

    @extend_schema(responses=PlanDetailOutputSerializer)
    def get(self, request, pk):
        return _respond(request, selectors.plan_get(user=request.user, pk=pk))

    @extend_schema(
        request=PlanUpdateInputSerializer,
        parameters=[IF_MATCH],
        responses=PlanDetailOutputSerializer,
    )
    def patch(self, request, pk):
        plan = selectors.plan_get(user=request.user, pk=pk)
        serializer = PlanUpdateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = client_version(request, changes.pop("version", None))
        try:
            plan = services.plan_update(actor=request.user, plan=plan, version=version, **changes)
        except TransitionError as exc:
            return _transition_error(exc)
        return _respond(request, plan)


@extend_schema(tags=["performance"])
class PlanCopyView(GenericAPIView):
    """Copy the plan to the next period (a new draft, dates shifted by one period)."""

    serializer_class = PlanDetailOutputSerializer

    @extend_schema(request=None, responses={201: PlanDetailOutputSerializer})
    def post(self, request, pk):
        plan = selectors.plan_get(user=request.user, pk=pk)
        copy = services.plan_copy(actor=request.user, plan=plan)
        return _respond(request, copy, status.HTTP_201_CREATED)


@extend_schema(tags=["performance"])
class PlanTransitionView(GenericAPIView):
    """One workflow step: ``{"step": "submit", "version": 3, "comment": "..."}``. Steps:
    submit, hr_approve, hr_return, gm_file, gm_return, start, open_self_evaluation,
    open_manager_evaluation, open_calibration (docs/performance-plans.md)."""

    serializer_class = TransitionInputSerializer

    @extend_schema(
        request=TransitionInputSerializer,
        parameters=[IF_MATCH],
        responses=PlanDetailOutputSerializer,
    )
    def post(self, request, pk):
        plan = selectors.plan_get(user=request.user, pk=pk)
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = client_version(request, data.get("version"))
        try:
            plan = services.plan_transition(
                actor=request.user,
                plan=plan,
                step=data["step"],
                version=version,
                comment=data.get("comment") or "",
            )
        except TransitionError as exc:
            return _transition_error(exc)
        return _respond(request, plan)


@extend_schema(tags=["performance"])
class PlanPartReviewView(GenericAPIView):
    """A supervising VP approves or returns their department's part:
    ``{"decision": "approve"|"return", "version": 3, "comment": "..."}``."""

    serializer_class = PartReviewInputSerializer

    @extend_schema(request=PartReviewInputSerializer, responses=PlanDetailOutputSerializer)
    def post(self, request, pk, part):
        plan = selectors.plan_get(user=request.user, pk=pk)
        part_obj = access.get_object_or_404(PlanDepartment, request.user, pk=part, plan_id=plan.pk)
        serializer = PartReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = client_version(request, data.get("version"))
        try:
            plan = services.plan_part_review(
                actor=request.user,
                part=part_obj,
                decision=data["decision"],
                version=version,
                comment=data.get("comment") or "",
            )
        except TransitionError as exc:
            return _transition_error(exc)
        return _respond(request, plan)
