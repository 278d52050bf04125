"""Permission-matrix rows of the metrics API (/api/v1/metrics/…). Anonymous callers get 401.

POST points (one point for emp_east): people with metrics.ingest whose scope holds emp_east
write it (200); people with metrics.ingest elsewhere get 207 with the point rejected and
nothing written; employees without rights get 403."""

from __future__ import annotations

import datetime

from tests.matrix_support import Row, expect

from .matrix_catalogue import metric_of


def _point_body(world):
    from renshi.goals.models import StrategyMap

    metric_of(world)
    if not StrategyMap.objects.filter(company=world.company).exists():
        StrategyMap.objects.create(
            company=world.company,
            name="2026",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
        )
    return {
        "points": [
            {
                "metric": "crm.new_customers",
                "subject": world.emp_east.employee_no,
                "date": "2026-03-01",
                "value": 3,
            }
        ]
    }


def points_state(world):
    from renshi.metrics.models import DataPoint

    return tuple(DataPoint.objects.order_by("id").values_list("metric_id", "subject_id", "value"))


ROWS = [
    Row("api:metrics-list", expect(200, anon=401), json=True),
    Row("api:metrics-points", expect(200, anon=401), json=True),
    Row(
        "api:metrics-points",
        expect(200, anon=401, vp2=207, other_gm=207, emp_east=403, emp_prod=403),
        method="POST",
        json=True,
        data=_point_body,
        state=points_state,
    ),
]
