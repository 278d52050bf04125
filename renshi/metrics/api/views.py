"""Metrics API: send data points in batches, read the catalogue and the points.

* ``POST /api/v1/metrics/points/`` — integration keys with "metrics.write" (only the metrics
  their patterns name) and people with ``metrics.ingest`` (subjects of their scope). Up to
  ``settings.METRICS_MAX_BATCH`` points; ``Idempotency-Key`` honoured. Answers 200 (every
  point accepted), 207 (some or all rejected, the accepted ones are kept), 422 (``atomic`` and
  something rejected: nothing written), 413 (too many points), 400 (not a batch).
* ``GET /api/v1/metrics/`` — the catalogue (people of the company; keys with "metrics.write").
* ``GET /api/v1/metrics/points/`` — data points people may see (``?metric=&subject=&from=&to=``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from renshi.core import access, idempotency
from renshi.org.scope import get_scope

from .. import selectors, services
from ..permissions import API_WRITE
from .serializers import (
    IngestResultSerializer,
    MetricOutputSerializer,
    PointListFilterSerializer,
    PointOutputSerializer,
    PointsBatchInputSerializer,
)


def _error(status: int, code: str, message: str, details: dict | None = None) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "details": details or {}}}, status=status
    )


def _result_data(result: services.IngestResult) -> dict:
    return {
        "batch": result.batch.pk,
        "accepted": result.accepted,
        "created": result.created,
        "replaced": result.replaced,
        "rejected": [r.as_dict() for r in result.rejected],
    }


@extend_schema(tags=["metrics"])
class MetricListView(GenericAPIView):
    """The metric catalogue of the caller's company."""

    api_key_scopes = {"GET": API_WRITE, "HEAD": API_WRITE}

    @extend_schema(responses=MetricOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(selectors.metric_list(user=request.user))
        return self.get_paginated_response(MetricOutputSerializer(page, many=True).data)


@extend_schema(tags=["metrics"])
class PointsView(GenericAPIView):
    """Data points: send a batch (POST) or list the points the caller may see (GET)."""

    api_key_scopes = {"POST": API_WRITE}

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", OpenApiTypes.STR, description="metric key"),
            OpenApiParameter(
                "subject", OpenApiTypes.STR, description="employee number or department code"
            ),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("batch", OpenApiTypes.INT, description="batch id"),
        ],
        responses=PointOutputSerializer(many=True),
    )
    def get(self, request):
        params = PointListFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        metric = None
        if filters.get("metric"):
            metric = selectors.metric_list(user=request.user).filter(key=filters["metric"]).first()
            if metric is None:
                raise exceptions.ValidationError({"metric": [_("Unknown metric.")]})
        queryset = selectors.point_list(
            user=request.user,
            metric=metric,
            subject=filters.get("subject", ""),
            start=filters.get("from"),
            end=filters.get("to"),
            batch_id=filters.get("batch"),
        )
        page = self.paginate_queryset(queryset)
        labels = selectors.subject_labels(page)
        data = [
            {
                "id": p.pk,
                "metric": p.metric.key,
                "subject": {
                    "kind": p.subject_kind,
                    "id": p.subject_id,
                    **labels.get((p.subject_kind, p.subject_id), {"code": "", "name": ""}),
                },
                "date": p.date,
                "value": p.value,
                "source": p.source,
                "received_at": p.received_at,
                "batch": p.batch_id,
            }
            for p in page
        ]
        return self.get_paginated_response(PointOutputSerializer(data, many=True).data)

    @extend_schema(
        request=PointsBatchInputSerializer,
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="a unique key per batch: a resend with the same key and body "
                "replays the first answer (header Idempotent-Replayed: true)",
            )
        ],
        responses={
            200: IngestResultSerializer,
            207: OpenApiResponse(IngestResultSerializer, "some points were rejected"),
            400: OpenApiResponse(description="not a batch of points"),
            413: OpenApiResponse(description="more points than METRICS_MAX_BATCH"),
            422: OpenApiResponse(description="atomic batch with rejected points: nothing written"),
        },
    )
    def post(self, request):
        scope = get_scope(request.user)
        if not scope.is_api_key and not access.has_perm(request.user, "metrics.ingest"):
            raise exceptions.PermissionDenied
        return idempotency.run(request, lambda: self._ingest(request, scope))

    def _ingest(self, request, scope) -> Response:
        body = request.data
        if not isinstance(body, dict):
            return _error(400, "invalid", _('Send an object {"points": [...]}.'))
        points = body.get("points")
        if not isinstance(points, list) or not points:
            return _error(
                400,
                "invalid",
                _("Invalid input."),
                {"points": [_("Send a non-empty list of points.")]},
            )
        unknown = sorted(set(body) - {"points", "atomic", "source"})
        if unknown:
            return _error(
                400,
                "invalid",
                _("Invalid input."),
                {name: [_("Unknown field.")] for name in unknown},
            )
        atomic = body.get("atomic", False)
        if not isinstance(atomic, bool):
            return _error(
                400, "invalid", _("Invalid input."), {"atomic": [_("Must be true or false.")]}
            )
        source = body.get("source") or ""
        if not isinstance(source, str) or len(source) > 64:
            return _error(
                400,
                "invalid",
                _("Invalid input."),
                {"source": [_("The source must be text of at most 64 characters.")]},
            )
        if not source and scope.is_api_key:
            source = request.user.api_key.name
        try:
            result = services.points_ingest(
                actor=request.user,
                points=points,
                channel="api",
                source=source,
                atomic=atomic,
            )
        except services.BatchTooLarge as exc:
            return _error(
                413,
                "batch_too_large",
                str(exc),
                {"received": exc.size, "limit": exc.limit},
            )
        data = _result_data(result)
        if atomic and result.rejected:
            return _error(
                422,
                "batch_refused",
                _("The batch was refused: %(count)s points were rejected and atomic is true.")
                % {"count": len(result.rejected)},
                data,
            )
        return Response(data, status=207 if result.rejected else 200)
