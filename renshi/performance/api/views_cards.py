"""Scorecards API: parse, call the same services as the pages, respond.

Wired by ``api/urls_cards.py`` under ``/api/v1/performance/`` (names in the "api" namespace).
People only: integration keys get nothing (no ``api_key_scopes``). Rows come through the access
layer (out of scope → 404, visible but not allowed → 403); a stale version → 409 ``conflict``;
a step the state or the plan's stage does not allow → 409 ``transition`` with the reason.
Before results are published an employee reading their own card gets targets and actuals but
no score, grade, trace, ratings or manager comments.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from renshi.core import access
from renshi.core.workflow import TransitionError
from renshi.org.api.views import client_version
from renshi.org.models import Department

from .. import selectors_cards as selectors
from .. import services_cards as services
from ..models import ItemComment, Plan, PlanDepartment, Scorecard, ScorecardItem
from .serializers_cards import (
    CommentInputSerializer,
    CommentOutputSerializer,
    DepartmentSubmitOutputSerializer,
    EvaluateInputSerializer,
    ItemsBatchInputSerializer,
    ItemsUpdateInputSerializer,
    ScorecardDetailOutputSerializer,
    ScorecardFilterSerializer,
    ScorecardOutputSerializer,
    SelfEvaluateInputSerializer,
    StepInputSerializer,
)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='the version read, e.g. "3" (or send "version" in the body)',
)


class StepConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This step is not possible in the current state."
    default_code = "transition"


def _call(fn):
    try:
        return fn()
    except TransitionError as exc:
        raise StepConflict(" ".join(str(m) for m in exc.messages), code="transition") from exc


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.pk, "name": getattr(obj, "name", str(obj))}


def _card_data(user, card: Scorecard, *, detail: bool = False, items=None) -> dict[str, Any]:
    visible = selectors.score_visible(user, card)
    data: dict[str, Any] = {
        "id": card.pk,
        "plan": _ref(card.plan),
        "employee": _ref(card.employee),
        "department": _ref(card.department),
        "evaluator": _ref(card.evaluator) if card.evaluator_id else None,
        "status": card.status,
        "version": card.version,
        "steps": services.available_steps(actor=user, card=card),
    }
    if visible:
        data |= {"score": card.score, "grade": card.final_grade}
    if detail:
        data |= {"objection": card.objection, "self_comment": card.self_comment, "items": []}
        if visible:
            data |= {"manager_comment": card.manager_comment, "trace": _readable(card.trace)}
        for view in items or ():
            item = view.item
            row = {
                "id": item.pk,
                "indicator": item.indicator_id,
                "name": item.indicator.name,
                "category": item.indicator.category,
                "unit": item.indicator.unit,
                "data_source": item.indicator.data_source,
                "rated": view.rated,
                "weight": item.weight,
                "target": item.target,
                "target_source": item.target_source,
                "goal": item.goal_id,
                "actual": item.actual,
                "actual_source": item.actual_source,
                "actual_trace": item.actual_trace,
                "self_comment": item.self_comment,
                "evidence": item.evidence,
                "version": item.version,
            }
            if visible:
                row |= {"rating": item.rating, "manager_comment": item.manager_comment}
            data["items"].append(row)
    return data


def _only_given(data: dict, source: dict) -> dict:
    """Serialized ``data`` without the keys ``source`` left out on purpose (hidden score)."""
    out = {k: v for k, v in data.items() if k in source}
    if "items" in out:
        out["items"] = [
            {k: v for k, v in item.items() if k in given}
            for item, given in zip(out["items"], source["items"], strict=True)
        ]
    return out


def _get_card(user, pk) -> Scorecard:
    return access.get_object_or_404(selectors.card_queryset(user), user, access.VIEW, pk=pk)


@extend_schema(tags=["performance"])
class ScorecardViewSet(viewsets.GenericViewSet):
    """Scorecards the caller may see; items (weights/targets or actuals), the steps."""

    lookup_value_converter = "int"

    def _detail(self, request, pk, status_code=status.HTTP_200_OK) -> Response:
        card = _get_card(request.user, pk)
        items = selectors.card_items(user=request.user, card=card)
        source = _card_data(request.user, card, detail=True, items=items)
        data = _only_given(ScorecardDetailOutputSerializer(source).data, source)
        return Response(data, status=status_code, headers={"ETag": f'"{card.version}"'})

    @extend_schema(
        parameters=[
            OpenApiParameter("plan", OpenApiTypes.INT),
            OpenApiParameter("department", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Scorecard.Status.values),
            OpenApiParameter("mine", OpenApiTypes.BOOL),
        ],
        responses=ScorecardOutputSerializer(many=True),
    )
    def list(self, request):
        params = ScorecardFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        queryset = selectors.card_queryset(request.user).order_by("plan_id", "employee_id")
        for key in ("plan", "department", "status"):
            if key in filters:
                queryset = queryset.filter(**{key: filters[key]})
        if filters.get("mine"):
            queryset = queryset.filter(employee_id=services.actor_employee_id(request.user))
        page = self.paginate_queryset(queryset)
        data = [_card_data(request.user, c) for c in page]
        out = [_only_given(ScorecardOutputSerializer(d).data, d) for d in data]
        return self.get_paginated_response(out)

    @extend_schema(responses=ScorecardDetailOutputSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(request, pk)

    @extend_schema(
        request=ItemsUpdateInputSerializer,
        parameters=[IF_MATCH],
        responses=ScorecardDetailOutputSerializer,
    )
    def items(self, request, pk=None):
        """Set weights/targets/goals (plan assigning, card draft or objected) or type actuals
        of manual indicators (during the period) — one kind per request."""
        card = _get_card(request.user, pk)
        serializer = ItemsUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = client_version(request, data.get("version"))
        changes = data["items"]
        actuals = any("actual" in c for c in changes.values())
        if actuals and any(set(c) - {"actual"} for c in changes.values()):
            raise exceptions.ValidationError(
                {"items": ["Send either actuals or weights/targets, not both."]}
            )
        row = {"scorecard": card.pk, "version": version, "items": changes}
        service = services.scorecard_actuals_update if actuals else services.scorecard_items_update
        _call(lambda: service(actor=request.user, rows=[row]))
        return self._detail(request, pk)

    @extend_schema(
        request=StepInputSerializer,
        parameters=[IF_MATCH],
        responses=ScorecardDetailOutputSerializer,
    )
    def step(self, request, pk=None, step=None):
        """send (assigners), confirm / object with a reason (the employee)."""
        card = _get_card(request.user, pk)
        serializer = StepInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = client_version(request, data.get("version"))
        _call(
            lambda: services.scorecard_step(
                actor=request.user,
                scorecard=card,
                step=step,
                version=version,
                reason=data.get("reason", ""),
            )
        )
        return self._detail(request, pk)

    @extend_schema(
        request=SelfEvaluateInputSerializer,
        parameters=[IF_MATCH],
        responses=ScorecardDetailOutputSerializer,
    )
    def self_evaluate(self, request, pk=None):
        """The employee's self-evaluation; ``submit`` (default true) takes the step."""
        card = _get_card(request.user, pk)
        serializer = SelfEvaluateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = client_version(request, data.get("version"))
        _call(
            lambda: services.scorecard_self_evaluation_save(
                actor=request.user,
                scorecard=card,
                version=version,
                self_comment=data.get("self_comment", ""),
                items=data.get("items") or {},
                submit=data["submit"],
            )
        )
        return self._detail(request, pk)

    @extend_schema(
        request=EvaluateInputSerializer,
        parameters=[IF_MATCH],
        responses=ScorecardDetailOutputSerializer,
    )
    def evaluate(self, request, pk=None):
        """The manager's evaluation; ``submit`` (default true) takes the step and scores."""
        card = _get_card(request.user, pk)
        serializer = EvaluateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = client_version(request, data.get("version"))
        _call(
            lambda: services.scorecard_evaluation_save(
                actor=request.user,
                scorecard=card,
                version=version,
                manager_comment=data.get("manager_comment", ""),
                items=data.get("items") or {},
                submit=data["submit"],
            )
        )
        return self._detail(request, pk)

    @extend_schema(
        request=ItemsBatchInputSerializer, responses=ScorecardOutputSerializer(many=True)
    )
    def batch(self, request):
        """Many cards at once: ``mode`` assign (weights/targets/goals) or actuals; all or
        nothing (a stale row → 409, nothing saved)."""
        serializer = ItemsBatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        service = (
            services.scorecard_items_update
            if data["mode"] == "assign"
            else services.scorecard_actuals_update
        )
        cards = _call(lambda: service(actor=request.user, rows=data["rows"]))
        fresh = selectors.card_queryset(request.user).filter(pk__in=[c.pk for c in cards])
        data = [_card_data(request.user, c) for c in fresh.order_by("id")]
        return Response([_only_given(ScorecardOutputSerializer(d).data, d) for d in data])


@extend_schema(tags=["performance"])
class ItemCommentViewSet(viewsets.GenericViewSet):
    """The feedback thread of one scorecard indicator."""

    def _item(self, request, pk) -> ScorecardItem:
        return access.get_object_or_404(
            ScorecardItem.objects.select_related("scorecard"), request.user, access.VIEW, pk=pk
        )

    @extend_schema(responses=CommentOutputSerializer(many=True))
    def list(self, request, pk=None):
        item = self._item(request, pk)
        comments = (
            access.restrict(ItemComment, request.user)
            .filter(item_id=item.pk)
            .select_related("author")
            .order_by("created_at", "id")
        )
        data = [
            {
                "id": c.pk,
                "author": c.author.get_full_name() or c.author.get_username(),
                "body": c.body,
                "created_at": c.created_at,
            }
            for c in comments
        ]
        return Response(CommentOutputSerializer(data, many=True).data)

    @extend_schema(request=CommentInputSerializer, responses={201: CommentOutputSerializer})
    def create(self, request, pk=None):
        item = self._item(request, pk)
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.item_comment_add(
            actor=request.user, item=item, body=serializer.validated_data["body"]
        )
        data = {
            "id": comment.pk,
            "author": request.user.get_full_name() or request.user.get_username(),
            "body": comment.body,
            "created_at": comment.created_at,
        }
        return Response(CommentOutputSerializer(data).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["performance"])
class DepartmentSubmitViewSet(viewsets.GenericViewSet):
    """The head submits a department's assignments (every card confirmed, weights valid)."""

    @extend_schema(request=None, responses=DepartmentSubmitOutputSerializer)
    def create(self, request, plan_pk=None, department_pk=None):
        plan = access.get_object_or_404(Plan, request.user, access.VIEW, pk=plan_pk)
        department = access.get_object_or_404(
            Department, request.user, access.VIEW, pk=department_pk
        )
        access.get_object_or_404(
            PlanDepartment, request.user, access.VIEW, plan_id=plan.pk, department_id=department.pk
        )
        part = _call(
            lambda: services.plan_department_submit(
                actor=request.user, plan=plan, department=department
            )
        )
        data = {
            "plan": part.plan_id,
            "department": part.department_id,
            "assignments_submitted_at": part.assignments_submitted_at,
        }
        return Response(DepartmentSubmitOutputSerializer(data).data)


def _readable(trace: dict | None) -> dict:
    """A stored result for API clients: indicators as objects, plus the calculation's lines."""
    from renshi.performance import scoring

    trace = dict(trace or {})
    if trace:
        trace["indicators"] = scoring.stored_indicators(trace)
        trace["lines"] = scoring.render(scoring.stored_lines(trace))
    return trace
