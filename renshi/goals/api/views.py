"""Goals API views: parse input, call a selector or service, respond.

Wired into ``/api/v1/`` by ``renshi.api.urls`` (router basenames "strategy-maps" and "goals";
the accept/override routes of a target suggestion are explicit paths). Deny by default: the
REST_FRAMEWORK permission classes (authenticated; integration keys only where
``api_key_scopes`` names their scope — "goals.read" for reads, never writes). Rows are
restricted by ``renshi.core.access``; out of scope answers 404, visible but not editable 403.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from renshi.core import access
from renshi.org.api.views import client_version
from renshi.org.models import Department

from .. import selectors, services, services_targets
from ..models import CauseEffectLink, Goal, Perspective, StrategyMap, TargetSuggestion
from ..permissions import API_READ
from .serializers import (
    GoalCreateInputSerializer,
    GoalDetailOutputSerializer,
    GoalListFilterSerializer,
    GoalOutputSerializer,
    GoalProposeInputSerializer,
    GoalTreeOutputSerializer,
    GoalUpdateInputSerializer,
    StrategyMapDetailOutputSerializer,
    StrategyMapOutputSerializer,
    TargetAcceptInputSerializer,
    TargetDecisionOutputSerializer,
    TargetOverrideInputSerializer,
    TargetSuggestInputSerializer,
    TargetSuggestionOutputSerializer,
)

GOALS_READ = {"GET": API_READ, "HEAD": API_READ}

GOAL_COLUMNS = (
    *selectors.TREE_FIELDS,
    "description",
    "metric_key",
)


def _etag(goal: Goal) -> dict[str, str]:
    return {"ETag": f'"{goal.version}"'}


# --- data shaping (no queries) ----------------------------------------------------------------


def _ref(obj, name_attr: str = "name"):
    return None if obj is None else {"id": obj.pk, "name": getattr(obj, name_attr)}


def _goal_data(goal: Goal) -> dict:
    data = {
        field: getattr(goal, field)
        for field in (
            "id",
            "strategy_map_id",
            "level",
            "parent_id",
            "perspective_id",
            "title",
            "measure",
            "unit",
            "direction",
            "baseline",
            "target",
            "range_low",
            "range_high",
            "actual",
            "weight",
            "start_date",
            "deadline",
            "status",
            "version",
        )
    }
    data["department"] = _ref(goal.department) if goal.department_id else None
    data["owner"] = _ref(goal.owner) if goal.owner_id else None
    return data


def _progress(progress) -> dict | None:
    if progress is None:
        return None
    return {"value": progress.value, "percent": progress.percent, "trace": progress.trace_text()}


def _node_data(node) -> dict:
    g = node.goal
    return {
        "id": g.pk,
        "title": g.title,
        "level": g.level,
        "owner": _ref(g.owner) if g.owner_id else None,
        "department": _ref(g.department) if g.department_id else None,
        "weight": g.weight,
        "progress": node.progress.value,
        "percent": node.progress.percent,
        "pace": node.pace.status,
        "pace_colour": node.pace.colour,
        "children": [_node_data(child) for child in node.children],
    }


def _goal_list(user) -> object:
    return (
        access.restrict(Goal, user, access.VIEW)
        .select_related("owner", "department")
        .only(*selectors.TREE_FIELDS)
        .order_by("strategy_map_id", "level", "id")
    )


def _goal_get(user, pk) -> Goal:
    queryset = Goal.objects.select_related("owner", "department", "strategy_map").only(
        *GOAL_COLUMNS,
        "strategy_map__id",
        "strategy_map__company_id",
        "strategy_map__period_start",
        "strategy_map__period_end",
    )
    return access.get_object_or_404(queryset, user, access.VIEW, pk=pk)


# --- strategy maps ----------------------------------------------------------------------------


@extend_schema(tags=["goals"])
@extend_schema_view(
    list=extend_schema(responses=StrategyMapOutputSerializer(many=True)),
    retrieve=extend_schema(responses=StrategyMapDetailOutputSerializer),
)
class StrategyMapViewSet(viewsets.GenericViewSet):
    """Strategy maps of the caller's company; the detail has perspectives, objectives and the
    cause-and-effect links."""

    api_key_scopes = GOALS_READ
    lookup_value_converter = "int"

    def list(self, request):
        page = self.paginate_queryset(selectors.map_list(user=request.user))
        return self.get_paginated_response(StrategyMapOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        user = request.user
        smap = access.get_object_or_404(StrategyMap, user, access.VIEW, pk=pk)
        data = {
            **StrategyMapOutputSerializer(smap).data,
            "perspectives": access.restrict(Perspective, user).filter(strategy_map_id=smap.pk),
            "objectives": access.restrict(Goal, user)
            .filter(strategy_map_id=smap.pk, level=Goal.Level.COMPANY)
            .only("id", "title", "perspective_id", "company_id")
            .order_by("perspective__order", "id"),
            "links": access.restrict(CauseEffectLink, user)
            .filter(strategy_map_id=smap.pk)
            .order_by("id"),
        }
        return Response(StrategyMapDetailOutputSerializer(data).data)


# --- goals ------------------------------------------------------------------------------------


@extend_schema(tags=["goals"])
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("map", OpenApiTypes.INT, description="strategy map id"),
            OpenApiParameter("level", OpenApiTypes.STR, enum=Goal.Level.values),
            OpenApiParameter("department", OpenApiTypes.INT, description="department id"),
            OpenApiParameter("owner", OpenApiTypes.INT, description="owner (employee id)"),
        ],
        responses=GoalOutputSerializer(many=True),
    ),
    retrieve=extend_schema(responses=GoalDetailOutputSerializer),
    create=extend_schema(
        request=GoalCreateInputSerializer, responses={201: GoalDetailOutputSerializer}
    ),
    partial_update=extend_schema(
        request=GoalUpdateInputSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description='the version read, e.g. "3" (or send "version" in the body)',
            )
        ],
        responses=GoalDetailOutputSerializer,
    ),
)
class GoalViewSet(viewsets.GenericViewSet):
    """Goals the caller may see (objectives and department goals: the company; individual
    KPIs: whoever may see the owner). Editors in scope create and edit (with the version)."""

    api_key_scopes = GOALS_READ
    lookup_value_converter = "int"

    def list(self, request):
        params = GoalListFilterSerializer(data=request.query_params, context={"request": request})
        params.is_valid(raise_exception=True)
        queryset = _goal_list(request.user)
        filters = params.validated_data
        if "map" in filters:
            queryset = queryset.filter(strategy_map=filters["map"])
        if "level" in filters:
            queryset = queryset.filter(level=filters["level"])
        if "department" in filters:
            queryset = queryset.filter(department=filters["department"])
        if "owner" in filters:
            queryset = queryset.filter(owner=filters["owner"])
        page = self.paginate_queryset(queryset)
        data = [_goal_data(g) for g in page]
        return self.get_paginated_response(GoalOutputSerializer(data, many=True).data)

    def _detail(self, request, goal: Goal) -> dict:
        node = selectors.goal_progress(user=request.user, goal=goal)
        data = _goal_data(goal)
        data |= {
            "description": goal.description,
            "metric_key": goal.metric_key,
            "progress": _progress(node.progress) if node else None,
            "own_progress": _progress(node.own) if node else None,
            "children_progress": _progress(node.from_children) if node else None,
            "pace": None,
            "chain": [
                {"id": g.pk, "title": g.title, "level": g.level}
                for g in selectors.goal_chain(user=request.user, goal=goal)
            ],
        }
        if node is not None:
            data["pace"] = {
                "status": node.pace.status,
                "label": str(node.pace.label),
                "colour": node.pace.colour,
                "elapsed": node.pace.elapsed,
                "ratio": node.pace.ratio,
                "trace": node.pace.trace_text(),
            }
        return GoalDetailOutputSerializer(data).data

    def retrieve(self, request, pk=None):
        goal = _goal_get(request.user, pk)
        return Response(self._detail(request, goal), headers=_etag(goal))

    def create(self, request):
        serializer = GoalCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        goal = services.goal_create(actor=request.user, **serializer.validated_data)
        goal = _goal_get(request.user, goal.pk)
        return Response(
            self._detail(request, goal), status=status.HTTP_201_CREATED, headers=_etag(goal)
        )

    def partial_update(self, request, pk=None):
        goal = _goal_get(request.user, pk)  # 404 out of scope
        serializer = GoalUpdateInputSerializer(
            data=request.data, context={"request": request}, partial=True
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = client_version(request, changes.pop("version", None))
        goal = services.goal_update(actor=request.user, goal=goal, version=version, **changes)
        goal = _goal_get(request.user, goal.pk)
        return Response(self._detail(request, goal), headers=_etag(goal))

    @extend_schema(request=GoalProposeInputSerializer, responses={201: GoalDetailOutputSerializer})
    @action(detail=False, methods=["post"], url_path="propose")
    def propose(self, request):
        """Propose one's own key result; it becomes active when the manager approves it."""
        serializer = GoalProposeInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        goal = services.goal_propose(actor=request.user, **serializer.validated_data)
        goal = _goal_get(request.user, goal.pk)
        return Response(
            self._detail(request, goal), status=status.HTTP_201_CREATED, headers=_etag(goal)
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "map", OpenApiTypes.INT, description="map id (default: the latest map)"
            ),
            OpenApiParameter("root", OpenApiTypes.INT, description="only this goal's subtree"),
            OpenApiParameter(
                "department", OpenApiTypes.INT, description="only this department's subtree"
            ),
        ],
        responses=GoalTreeOutputSerializer,
    )
    @action(detail=False, methods=["get"], url_path="tree")
    def tree(self, request):
        """The alignment tree of a map as nested JSON (company → departments → people), with
        progress and pace of each node. Constant number of queries in the number of goals."""
        user = request.user
        errors = {}
        ids = {}
        for name in ("map", "root", "department"):
            raw = request.query_params.get(name)
            if raw in (None, ""):
                continue
            try:
                ids[name] = int(raw)
            except ValueError:
                errors[name] = [_("A valid integer is required.")]
        if errors:
            raise exceptions.ValidationError(errors)
        if "map" in ids:
            smap = access.get_object_or_404(StrategyMap, user, access.VIEW, pk=ids["map"])
        else:  # the current map: the latest period the caller may see
            smap = selectors.map_list(user=user).first()
            if smap is None:
                raise exceptions.NotFound
        department = None
        if "department" in ids:
            department = access.restrict(Department, user).filter(pk=ids["department"]).first()
            if department is None:
                raise exceptions.ValidationError({"department": [_("No such department.")]})
        tree = selectors.tree_progress(
            user=user, strategy_map=smap, root=ids.get("root"), department=department
        )
        data = {
            "strategy_map": smap.pk,
            "today": tree.today,
            "on_track": tree.on_track,
            "at_risk": tree.at_risk,
            "roots": [_node_data(root) for root in tree.roots],
        }
        return Response(GoalTreeOutputSerializer(data).data)

    @extend_schema(
        methods=["GET"], responses=TargetSuggestionOutputSerializer(many=True), tags=["goals"]
    )
    @extend_schema(
        methods=["POST"],
        request=TargetSuggestInputSerializer,
        responses={201: TargetSuggestionOutputSerializer},
        tags=["goals"],
    )
    @action(detail=True, methods=["get", "post"], url_path="target-suggestions")
    def target_suggestions(self, request, pk=None):
        """GET: the goal's target suggestions (derivation, warnings, decision), newest first.
        POST: compute a suggestion (people who may change the goal) and store it pending."""
        goal = _goal_get(request.user, pk)
        if request.method == "GET":
            queryset = (
                access.restrict(TargetSuggestion, request.user)
                .filter(goal_id=goal.pk)
                .select_related("created_by", "decided_by")
                .order_by("-created_at", "-id")
            )
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response(
                TargetSuggestionOutputSerializer(page, many=True).data
            )
        access.ensure(request.user, access.CHANGE, goal)  # 403 before parsing
        serializer = TargetSuggestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestion = services_targets.target_suggest(
            actor=request.user, goal=goal, **serializer.validated_data
        )
        return Response(
            TargetSuggestionOutputSerializer(suggestion).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["goals"])
class TargetSuggestionViewSet(viewsets.GenericViewSet):
    """Decide a pending target suggestion: accept it, or override it with a value and a
    reason. Decided once (a replay answers 400); a stale goal_version answers 409."""

    def _suggestion(self, request, goal_pk, pk) -> TargetSuggestion:
        queryset = TargetSuggestion.objects.select_related("goal")
        suggestion = access.get_object_or_404(
            queryset, request.user, access.VIEW, pk=pk, goal_id=goal_pk
        )
        access.ensure(request.user, access.CHANGE, suggestion.goal)
        return suggestion

    def _respond(self, request, suggestion: TargetSuggestion) -> Response:
        goal = _goal_get(request.user, suggestion.goal_id)
        data = {"suggestion": suggestion, "goal": _goal_data(goal)}
        return Response(TargetDecisionOutputSerializer(data).data, headers=_etag(goal))

    @extend_schema(request=TargetAcceptInputSerializer, responses=TargetDecisionOutputSerializer)
    def accept(self, request, goal_pk=None, pk=None):
        suggestion = self._suggestion(request, goal_pk, pk)
        serializer = TargetAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestion = services_targets.target_accept(
            actor=request.user,
            suggestion=suggestion,
            goal_version=serializer.validated_data["goal_version"],
        )
        return self._respond(request, suggestion)

    @extend_schema(request=TargetOverrideInputSerializer, responses=TargetDecisionOutputSerializer)
    def override(self, request, goal_pk=None, pk=None):
        suggestion = self._suggestion(request, goal_pk, pk)
        serializer = TargetOverrideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestion = services_targets.target_override(
            actor=request.user, suggestion=suggestion, **serializer.validated_data
        )
        return self._respond(request, suggestion)
