"""Permission-matrix rows of the metric catalogue pages, data points and batches.

Everyone of a company reads the catalogue, points (through their scope) and their own batches;
the HR VP and the performance manager manage metrics and see every batch. Objects are made
lazily inside each role's rolled-back savepoint."""

from __future__ import annotations

from tests.matrix_support import Row, expect

MANAGERS = {"hrvp": 200, "perf": 200}
ACME_OTHERS = ("gm", "vp1", "vp2", "head_sales", "head_east", "emp_east", "emp_prod")


def metric_of(world):
    from renshi.metrics.models import Metric

    found = Metric.objects.filter(company=world.company, key="crm.new_customers").first()
    if found is not None:
        return found
    return Metric.objects.create(
        company=world.company, key="crm.new_customers", name="新客户数", unit="个"
    )


def batch_of(world):
    """A batch sent by the HR VP with one point for emp_east."""
    import datetime

    from renshi.goals.models import StrategyMap
    from renshi.metrics.models import IngestBatch
    from renshi.metrics.services import points_ingest

    found = IngestBatch.objects.filter(company=world.company).first()
    if found is not None:
        return found
    metric_of(world)
    if not StrategyMap.objects.filter(company=world.company).exists():
        StrategyMap.objects.create(
            company=world.company,
            name="2026",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
        )
    point = {
        "metric": "crm.new_customers",
        "subject": world.emp_east.employee_no,
        "date": "2026-03-01",
        "value": 3,
    }
    return points_ingest(actor=world.users["hrvp"], points=[point], channel="api").batch


def metric_state(world):
    from renshi.metrics.models import Metric

    metric_of(world)
    return tuple(Metric.objects.order_by("id").values_list("key", "name", "version"))


def _form(world, key="crm.edited", name="改过"):
    metric = metric_of(world)
    return {
        "key": key,
        "name": name,
        "subject_kind": "employee",
        "aggregation": "sum",
        "active": "on",
        "version": metric.version,
    }


def _mgr(ok: int, **extra: int) -> dict:
    return expect(403, anon=302, hrvp=ok, perf=ok, **extra)


ROWS = [
    Row("metrics:metric_list", expect(200, anon=302)),
    Row("metrics:metric_create", _mgr(200)),
    Row(
        "metrics:metric_create",
        _mgr(302),
        method="POST",
        data=lambda w: {**_form(w, key="crm.created", name="新建")},
        state=metric_state,
    ),
    Row(
        "metrics:metric_detail",
        expect(200, anon=302, other_gm=404),
        kwargs=lambda w: {"pk": metric_of(w).pk},
    ),
    Row(
        "metrics:metric_edit",
        _mgr(200, other_gm=404),
        kwargs=lambda w: {"pk": metric_of(w).pk},
    ),
    Row(
        "metrics:metric_edit",
        _mgr(302, other_gm=404),
        method="POST",
        kwargs=lambda w: {"pk": metric_of(w).pk},
        data=_form,
        state=metric_state,
    ),
    Row("metrics:point_list", expect(200, anon=302)),
    Row(
        "metrics:point_list",
        expect(200, anon=302),
        query="?metric=crm.new_customers&subject=T0008",
        note="filters: visible points only (content checked in test_pages)",
    ),
    Row("metrics:batch_list", expect(200, anon=302)),
    Row(
        "metrics:batch_detail",
        expect(404, anon=302, **MANAGERS),
        kwargs=lambda w: {"pk": batch_of(w).pk},
        note="the HR VP's batch: managers of the metrics see every batch, others their own",
    ),
]
