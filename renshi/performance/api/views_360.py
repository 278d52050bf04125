"""360 API views: parse input, call ``selectors_360`` / ``services_360``, respond.

People only (integration keys have no ``api_key_scopes`` here, so they are refused). A
scorecard out of sight answers 404, a visible one the caller may not choose raters on or see the
360 of answers 403; another person's request answers 404. An answer is never returned.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from .. import selectors_360 as selectors
from .. import services_360 as services
from .serializers_360 import (
    AggregateOutputSerializer,
    AnswerInputSerializer,
    QuestionnaireOutputSerializer,
    RaterAssignInputSerializer,
    RaterOutputSerializer,
    RequestOutputSerializer,
)


@extend_schema(tags=["performance"])
class RatersView(GenericAPIView):
    """The raters of a scorecard (GET) and asking more (POST ``{"raters": [employee ids]}``)."""

    serializer_class = RaterOutputSerializer

    @extend_schema(responses=RaterOutputSerializer(many=True))
    def get(self, request, pk: int):
        card = selectors.card_for_chooser(user=request.user, pk=pk)
        rows = selectors.card_raters(user=request.user, card=card)
        return Response(RaterOutputSerializer(rows, many=True).data)

    @extend_schema(request=RaterAssignInputSerializer, responses=RaterOutputSerializer(many=True))
    def post(self, request, pk: int):
        card = selectors.card_for_chooser(user=request.user, pk=pk)
        data = RaterAssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.rater360_assign(
            actor=request.user, scorecard=card, rater_ids=data.validated_data["raters"]
        )
        rows = selectors.card_raters(user=request.user, card=card)
        return Response(RaterOutputSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["performance"])
class MyRequestsView(GenericAPIView):
    """The caller's own 360 requests."""

    serializer_class = RequestOutputSerializer

    @extend_schema(responses=RequestOutputSerializer(many=True))
    def get(self, request):
        rows = selectors.my_requests(user=request.user)
        return Response(RequestOutputSerializer(rows, many=True).data)


def _questionnaire(row) -> dict:
    plan = row.scorecard.plan
    return {
        "id": row.pk,
        "employee_name": row.scorecard.employee.name,
        "plan_name": plan.name,
        "anonymous": plan.anonymous_360,
        "answered": row.answered_at is not None,
        "open": services.answer_open(plan) and row.answered_at is None,
        "questions": services.questions(plan),
    }


@extend_schema(tags=["performance"])
class AnswerView(GenericAPIView):
    """One of the caller's requests: the questionnaire (GET) and the answer (POST, once)."""

    serializer_class = QuestionnaireOutputSerializer

    @extend_schema(responses=QuestionnaireOutputSerializer)
    def get(self, request, pk: int):
        row = selectors.my_request(user=request.user, pk=pk)
        return Response(QuestionnaireOutputSerializer(_questionnaire(row)).data)

    @extend_schema(request=AnswerInputSerializer, responses=QuestionnaireOutputSerializer)
    def post(self, request, pk: int):
        row = selectors.my_request(user=request.user, pk=pk)
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.answer360_submit(
            actor=request.user,
            request=row,
            ratings=data.validated_data["ratings"],
            comment=data.validated_data.get("comment", ""),
        )
        row = selectors.my_request(user=request.user, pk=row.pk)
        return Response(
            QuestionnaireOutputSerializer(_questionnaire(row)).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["performance"])
class AggregateView(GenericAPIView):
    """A scorecard's 360 aggregate (means and a count; nothing below the minimum)."""

    serializer_class = AggregateOutputSerializer

    @extend_schema(responses=AggregateOutputSerializer)
    def get(self, request, pk: int):
        card = selectors.card_for_aggregate(user=request.user, pk=pk)
        result = selectors.aggregate(card=card).as_dict()
        return Response(AggregateOutputSerializer(result).data)
