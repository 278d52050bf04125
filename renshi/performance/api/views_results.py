"""Results API: a plan's results (scoped, with distribution, outcomes, promotion list), the
employee's report with its trace, and the steps — calibrate, publish, close, reopen,
acknowledge, appeal, handle an appeal, improvement plan. Same selectors and services as the
pages. Integration keys get nothing (no ``api_key_scopes``). Out of scope 404, visible but not
allowed 403, stale version 409 (``conflict``), a step the workflow does not allow 409
(``transition``), invalid input 400.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from renshi.core import access
from renshi.core.workflow import TransitionError

from .. import selectors_results, services_results
from ..models import Appeal, Plan, Scorecard
from .serializers_results import (
    AppealCreateInputSerializer,
    AppealHandleInputSerializer,
    AppealOutputSerializer,
    CalibrateInputSerializer,
    ImprovementPlanInputSerializer,
    ImprovementPlanOutputSerializer,
    ReasonInputSerializer,
    ReportOutputSerializer,
    ResultsOutputSerializer,
    VersionInputSerializer,
)

TAGS = ["performance results"]


class CappedPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 200 rows), like renshi.api's pagination (an
    upper layer this app may not import)."""

    page_size_query_param = "page_size"
    max_page_size = 200


class StepNotAllowed(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "transition"
    default_detail = "This step is not possible in the current state."


def _step(call):
    """Run a service; a workflow refusal becomes a 409 with the reason."""
    try:
        return call()
    except services_results.NotReadyError as exc:
        raise StepNotAllowed(" ".join(exc.messages)) from exc
    except TransitionError as exc:
        raise StepNotAllowed(" ".join(exc.messages)) from exc


def _ref(pk, name):
    return {"id": pk, "name": name}


def _outcome(outcome):
    if outcome is None:
        return None
    return {
        "grade": outcome.grade,
        "raise_percent": outcome.raise_percent,
        "bonus_coefficient": outcome.bonus_coefficient,
    }


def _plan_ref(plan: Plan) -> dict:
    return {
        "id": plan.pk,
        "name": plan.name,
        "status": plan.status,
        "version": plan.version,
        "published_at": plan.published_at,
        "closed_at": plan.closed_at,
    }


def _distribution(dist) -> dict:
    return {
        "label": dist.label,
        "size": dist.size,
        "warnings": dist.warnings,
        "counts": [
            {
                "grade": c.grade.key,
                "label": c.grade.label,
                "share": c.share,
                "quota": c.seats,
                "before": c.before,
                "after": c.after,
                "over_quota": c.over,
            }
            for c in dist.counts
        ],
    }


def _row(row) -> dict:
    card = row.card
    return {
        "id": card.pk,
        "employee": _ref(card.employee.pk, card.employee.name),
        "department": _ref(card.department.pk, card.department.name),
        "status": card.status,
        "score": card.score,
        "grade": card.grade,
        "calibrated_grade": card.calibrated_grade,
        "final_grade": card.final_grade,
        "calibration_reason": card.calibration_reason,
        "complete": card.complete,
        "over_quota": row.over_quota,
        "outcome": _outcome(row.outcome),
        "version": card.version,
    }


@extend_schema(tags=TAGS)
class ResultsListView(APIView):
    """A plan's results in the caller's scope (GM/HR VP/performance manager: all; VPs: their
    departments; heads: their team): rows (paginated), distribution against the quotas,
    outcome table and promotion list (``?min_score=`` instead of the top grade)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("sort", str, enum=list(selectors_results.SORTS)),
            OpenApiParameter("min_score", float),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=ResultsOutputSerializer,
    )
    def get(self, request, pk: int):
        user = request.user
        plan = selectors_results.results_plan(user=user, pk=pk)
        rows = selectors_results.result_rows(
            user=user, plan=plan, sort=request.query_params.get("sort", "score")
        )
        overall, departments = selectors_results.distributions(plan, rows)
        min_score = None
        raw = request.query_params.get("min_score")
        if raw not in (None, ""):
            try:
                min_score = Decimal(raw)
            except InvalidOperation as exc:
                raise exceptions.ValidationError({"min_score": ["A number is required."]}) from exc
        promotions = selectors_results.promotion_list(plan=plan, rows=rows, min_score=min_score)
        paginator = CappedPageNumberPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        outcomes = selectors_results.plan_outcomes(plan)
        data = {
            "plan": _plan_ref(plan),
            "count": len(rows),
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "distribution": _distribution(overall),
            "departments": [_distribution(d) for d in departments],
            "outcomes": [_outcome(o) for o in outcomes.values()],
            "promotions": [
                {
                    "id": p.row.card.pk,
                    "employee": _ref(p.row.card.employee.pk, p.row.card.employee.name),
                    "score": p.row.card.score,
                    "final_grade": p.row.final_grade,
                    "trace": p.trace,
                }
                for p in promotions
            ],
            "results": [_row(r) for r in page],
        }
        return Response(ResultsOutputSerializer(data).data)


def _report_data(user, card: Scorecard) -> dict:
    r = selectors_results.report(user=user, card=card)
    improvement = r["improvement"]
    return {
        "id": card.pk,
        "plan": _plan_ref(card.plan),
        "employee": _ref(card.employee.pk, card.employee.name),
        "department": _ref(card.department.pk, card.department.name),
        "status": card.status,
        "version": card.version,
        "score": card.score,
        "grade": card.grade,
        "calibrated_grade": card.calibrated_grade,
        "calibration_reason": card.calibration_reason,
        "final_grade": card.final_grade,
        "grade_label": r["grade_label"],
        "complete": card.complete,
        "subtotals": r["subtotals"],
        "outcome": _outcome(r["outcome"]),
        "indicators": [
            {
                "item": x["item"].pk,
                "name": x["item"].indicator.name,
                "category": x["item"].indicator.category,
                "weight": x["item"].weight,
                "target": x["item"].target,
                "actual": x["item"].actual,
                "rating": x["item"].rating,
                "score": x["score"],
                "points": x["points"],
                "trace": x["trace"],
            }
            for x in r["indicator_rows"]
        ],
        "trace": r["trace"],
        "self_comment": card.self_comment,
        "manager_comment": card.manager_comment,
        "appeals": [_appeal_data(a) for a in r["appeals"]],
        "improvement_plan": (
            None
            if improvement is None
            else {
                "id": improvement.pk,
                "goals": improvement.goals,
                "actions": improvement.actions,
                "review_date": improvement.review_date,
                "version": improvement.version,
            }
        ),
        "history": [
            {"id": h.pk, "plan": h.plan.name, "score": h.score, "final_grade": h.final_grade}
            for h in r["history"]
        ],
        "appeal_deadline": r["appeal_deadline"],
    }


def _appeal_data(appeal: Appeal) -> dict:
    return {
        "id": appeal.pk,
        "status": appeal.status,
        "reason": appeal.reason,
        "response": appeal.response,
        "created_at": appeal.created_at,
        "handled_at": appeal.handled_at,
        "version": appeal.version,
        "rescore": getattr(appeal, "rescore", None),
    }


def _report_response(request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    card = selectors_results.report_card(user=request.user, pk=pk)
    return Response(
        ReportOutputSerializer(_report_data(request.user, card)).data,
        status=code,
        headers={"ETag": f'"{card.version}"'},
    )


@extend_schema(tags=TAGS)
class ReportView(APIView):
    """The employee's performance report with the per-indicator trace (the employee once
    published; managers with a results scope)."""

    @extend_schema(responses=ReportOutputSerializer)
    def get(self, request, pk: int):
        return _report_response(request, pk)


def _visible_card(request, pk: int) -> Scorecard:
    return access.get_object_or_404(
        Scorecard.objects.select_related("plan"), request.user, access.VIEW, pk=pk
    )


@extend_schema(tags=TAGS)
class CalibrateView(APIView):
    """Calibrate a card's grade with a reason (HR VP, or the supervising VP; never one's own
    card; plan in calibration). ``grade: ""`` removes the calibration."""

    @extend_schema(request=CalibrateInputSerializer, responses=ReportOutputSerializer)
    def post(self, request, pk: int):
        card = _visible_card(request, pk)
        if not services_results.may_calibrate(request.user, card):
            raise PermissionDenied
        data = CalibrateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _step(
            lambda: services_results.scorecard_calibrate(
                actor=request.user, scorecard=card, **data.validated_data
            )
        )
        return _report_response(request, pk)


class _PlanStep(APIView):
    permission = ""
    input_serializer = VersionInputSerializer

    def service(self, request, plan, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, pk: int):
        plan = access.get_object_or_404(Plan, request.user, access.VIEW, pk=pk)
        access.require_perm(request.user, self.permission)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = _step(lambda: self.service(request, plan, data.validated_data))
        return Response(_plan_ref(plan), headers={"ETag": f'"{plan.version}"'})


@extend_schema(tags=TAGS, request=VersionInputSerializer, responses=None)
class PublishView(_PlanStep):
    """Publish the results (performance manager; every card evaluated — a 409 lists those that
    are not)."""

    permission = "performance.publish_results"

    def service(self, request, plan, data):
        return services_results.plan_publish_results(
            actor=request.user, plan=plan, version=data["version"]
        )


@extend_schema(tags=TAGS, request=VersionInputSerializer, responses=None)
class CloseView(_PlanStep):
    """Close published results (performance manager; after the appeal window, no open
    appeal)."""

    permission = "performance.publish_results"

    def service(self, request, plan, data):
        return services_results.plan_close(actor=request.user, plan=plan, version=data["version"])


@extend_schema(tags=TAGS, request=ReasonInputSerializer, responses=None)
class ReopenView(_PlanStep):
    """Reopen a closed plan for calibration (HR VP, with a reason)."""

    permission = "performance.reopen_results"
    input_serializer = ReasonInputSerializer

    def service(self, request, plan, data):
        return services_results.plan_reopen(
            actor=request.user, plan=plan, version=data["version"], reason=data["reason"]
        )


def _own_card(request, pk: int) -> Scorecard:
    card = _visible_card(request, pk)
    if not services_results.is_own(request.user, card):
        raise PermissionDenied
    return card


@extend_schema(tags=TAGS)
class AcknowledgeView(APIView):
    """The employee acknowledges their published result."""

    @extend_schema(request=VersionInputSerializer, responses=ReportOutputSerializer)
    def post(self, request, pk: int):
        card = _own_card(request, pk)
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _step(
            lambda: services_results.scorecard_acknowledge(
                actor=request.user, scorecard=card, version=data.validated_data["version"]
            )
        )
        return _report_response(request, pk)


@extend_schema(tags=TAGS)
class AppealCreateView(APIView):
    """The employee appeals their published result within the appeal window."""

    @extend_schema(request=AppealCreateInputSerializer, responses={201: AppealOutputSerializer})
    def post(self, request, pk: int):
        card = _own_card(request, pk)
        data = AppealCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = _step(
            lambda: services_results.appeal_create(
                actor=request.user, scorecard=card, **data.validated_data
            )
        )
        return Response(
            AppealOutputSerializer(_appeal_data(appeal)).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=TAGS)
class AppealHandleView(APIView):
    """Handle an appeal (performance manager, never the appellant): ``rescore`` with corrected
    ``items`` ([{item, actual?, rating?}]) or ``reject``, always with a reason."""

    @extend_schema(request=AppealHandleInputSerializer, responses=AppealOutputSerializer)
    def post(self, request, pk: int):
        user = request.user
        appeal = selectors_results.appeal_detail(user=user, pk=pk)
        if not services_results.may_handle_appeal(user, appeal):
            raise PermissionDenied
        data = AppealHandleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["action"] == "reject":
            result = _step(
                lambda: services_results.appeal_reject(
                    actor=user, appeal=appeal, version=v["version"], reason=v["reason"]
                )
            )
        else:
            changes = [
                services_results.ItemChange(
                    item_id=i["item"], actual=i.get("actual"), rating=i.get("rating")
                )
                for i in v.get("items", [])
            ]
            result = _step(
                lambda: services_results.appeal_rescore(
                    actor=user,
                    appeal=appeal,
                    version=v["version"],
                    reason=v["reason"],
                    changes=changes,
                )
            )
        report = selectors_results.report(user=user, card=result.scorecard)
        found = next((a for a in report["appeals"] if a.pk == result.pk), result)
        return Response(AppealOutputSerializer(_appeal_data(found)).data)


@extend_schema(tags=TAGS)
class ImprovementPlanView(APIView):
    """Record or update (with ``version``) the improvement plan of an employee below pass (a
    head or VP whose scope holds the department)."""

    @extend_schema(
        request=ImprovementPlanInputSerializer, responses=ImprovementPlanOutputSerializer
    )
    def post(self, request, pk: int):
        card = selectors_results.report_card(user=request.user, pk=pk)
        if not services_results.may_plan_improvement(request.user, card):
            raise PermissionDenied
        data = ImprovementPlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = _step(
            lambda: services_results.improvement_plan_save(
                actor=request.user, scorecard=card, **data.validated_data
            )
        )
        return Response(
            ImprovementPlanOutputSerializer(
                {
                    "id": plan.pk,
                    "goals": plan.goals,
                    "actions": plan.actions,
                    "review_date": plan.review_date,
                    "version": plan.version,
                }
            ).data
        )
