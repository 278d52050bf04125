"""Permission-matrix rows of the upload, attendance and connector pages.

``metrics.ingest`` (upload): the managers of the metrics (hrvp, perf) and everyone with a
department scope (gm as head of exec, VPs, department heads; other_gm in their own company).
``metrics.manage`` (attendance, connectors): hrvp and perf. A pending batch is its uploader's
(hrvp) alone: other permitted roles get 404."""

from __future__ import annotations

import json

from renshi.core.fields import fernet
from renshi.metrics.models import Connector, DataPoint, IngestBatch
from tests.matrix_support import Row, expect

INGEST = expect(
    403,
    anon=302,
    gm=200,
    hrvp=200,
    perf=200,
    vp1=200,
    vp2=200,
    head_sales=200,
    head_east=200,
    other_gm=200,
)
MANAGE = expect(403, anon=302, hrvp=200, perf=200)
MAPPING = {
    "records": "items",
    "metric_field": "kpi",
    "subject_field": "no",
    "date_field": "day",
    "value_field": "v",
}


def _batch(world, channel: str) -> IngestBatch:
    payload = {
        "points": [
            {"row": 2, "metric": "crm.x", "subject": "T0008", "date": "2026-03-01", "value": 1}
        ],
        "summary": {"rows": 1, "points": 1, "metrics": [], "error_count": 0, "errors": []},
    }
    batch, _created = IngestBatch.objects.get_or_create(
        company=world.company,
        channel=channel,
        filename=f"matrix-{channel}.xlsx",
        defaults={
            "status": IngestBatch.Status.PENDING,
            "created_by": world.users["hrvp"],
            "content": fernet().encrypt(json.dumps(payload).encode()),
        },
    )
    return batch


def _connector(world) -> Connector:
    connector, _created = Connector.objects.get_or_create(
        company=world.company,
        name="Matrix CRM",
        defaults={
            "url": "http://127.0.0.1:9/none",
            "auth_header": "Authorization",
            "auth_value": "Bearer matrix-secret",
            "mapping": MAPPING,
            "created_by": world.users["hrvp"],
        },
    )
    return connector


def _batch_state(channel):
    def state(world):
        b = _batch(world, channel)
        b.refresh_from_db()
        return (b.status, DataPoint.objects.count(), IngestBatch.objects.count())

    return state


def _connector_state(world):
    c = _connector(world)
    c.refresh_from_db()
    return (
        Connector.objects.count(),
        c.name,
        c.version,
        c.interval_minutes,
        c.last_run_at,
        IngestBatch.objects.count(),
    )


def _connector_data(world) -> dict:
    return {
        "name": "Matrix CRM 2",
        "url": "https://crm.example.com/api",
        "auth_header": "X-Api-Key",
        "auth_value": "",
        "records": "items",
        "metric_field": "kpi",
        "subject_field": "no",
        "date_field": "day",
        "value_field": "v",
        "source": "crm",
        "interval_minutes": "30",
        "active": "on",
        "version": str(_connector(world).version),
    }


def _pk(fn):
    return lambda world: {"pk": fn(world).pk}


REDIRECT_MANAGE = expect(403, anon=302, hrvp=302, perf=302)
OWN_BATCH_INGEST = {**INGEST, "hrvp": 200, "perf": 404, "gm": 404, "vp1": 404, "vp2": 404}
OWN_BATCH_INGEST.update(head_sales=404, head_east=404, other_gm=404)
OWN_BATCH_MANAGE = {**MANAGE, "perf": 404}

ROWS = [
    Row("metrics:upload", INGEST),
    Row(
        "metrics:upload",
        {**INGEST, **{k: 422 for k, v in INGEST.items() if v == 200}},
        method="POST",
        data=lambda world: {},
        state=lambda world: IngestBatch.objects.count(),
        note="no file: the form answers 422, nothing stored",
    ),
    Row("metrics:upload_template", INGEST),
    Row("metrics:upload_batch", OWN_BATCH_INGEST, kwargs=_pk(lambda w: _batch(w, "upload"))),
    Row(
        "metrics:upload_commit",
        {**OWN_BATCH_INGEST, "hrvp": 302},
        kwargs=_pk(lambda w: _batch(w, "upload")),
        method="POST",
        data=lambda world: {},
        state=_batch_state("upload"),
    ),
    Row("metrics:attendance_import", MANAGE),
    Row(
        "metrics:attendance_import",
        {**MANAGE, "hrvp": 422, "perf": 422},
        method="POST",
        data=lambda world: {},
        state=lambda world: IngestBatch.objects.count(),
    ),
    Row("metrics:attendance_template", MANAGE),
    Row(
        "metrics:attendance_batch", OWN_BATCH_MANAGE, kwargs=_pk(lambda w: _batch(w, "attendance"))
    ),
    Row(
        "metrics:attendance_commit",
        {**OWN_BATCH_MANAGE, "hrvp": 302},
        kwargs=_pk(lambda w: _batch(w, "attendance")),
        method="POST",
        data=lambda world: {},
        state=_batch_state("attendance"),
    ),
    Row("metrics:connector_list", MANAGE),
    Row("metrics:connector_create", MANAGE),
    Row(
        "metrics:connector_create",
        REDIRECT_MANAGE,
        method="POST",
        data=_connector_data,
        state=_connector_state,
    ),
    Row("metrics:connector_edit", MANAGE, kwargs=_pk(_connector)),
    Row(
        "metrics:connector_edit",
        REDIRECT_MANAGE,
        kwargs=_pk(_connector),
        method="POST",
        data=_connector_data,
        state=_connector_state,
    ),
    Row("metrics:connector_delete", MANAGE, kwargs=_pk(_connector)),
    Row(
        "metrics:connector_delete",
        REDIRECT_MANAGE,
        kwargs=_pk(_connector),
        method="POST",
        data=lambda world: {"version": str(_connector(world).version)},
        state=_connector_state,
    ),
    Row(
        "metrics:connector_test",
        MANAGE,
        kwargs=_pk(_connector),
        method="POST",
        data=lambda world: {},
        state=_connector_state,
        note="fetches a closed local port: an error page, nothing written",
    ),
    Row(
        "metrics:connector_run",
        REDIRECT_MANAGE,
        kwargs=_pk(_connector),
        method="POST",
        data=lambda world: {},
        state=_connector_state,
    ),
]
