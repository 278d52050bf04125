"""Pull connectors against a local fake HTTP server (never the internet): a run ingests as the
owner and the auth header arrives; every failure (HTTP error, timeout, not JSON, oversized,
redirect, bad mapping) is a clear message and a failed batch, never a secret; the schedule
claims only due connectors, once; the pages keep the secret write-only."""

from __future__ import annotations

import datetime
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from renshi.core.models import AuditLog
from renshi.metrics import connectors, periods
from renshi.metrics.models import Connector, DataPoint, IngestBatch, Metric, SubjectKind
from renshi.metrics.tasks_io import connectors_schedule_task
from renshi.org.models import Role, RoleAssignment

SECRET = "Bearer s3cret-token-XYZ"


def _year_2026(company_id):
    return [(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))]


class FakeServer:
    """Serves canned responses by path; records the headers it received."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes, float]] = {}
        self.seen: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen.append({"path": self.path, "headers": dict(self.headers)})
                status, headers, body, delay = outer.routes.get(self.path, (404, {}, b"{}", 0.0))
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def json(self, path, payload, status=200, delay=0.0):
        body = json.dumps(payload).encode()
        self.routes[path] = (status, {"Content-Type": "application/json"}, body, delay)

    def raw(self, path, body: bytes, status=200, headers=None):
        self.routes[path] = (status, headers or {"Content-Type": "text/html"}, body, 0.0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def crm(world):
    periods.register_period_provider(_year_2026)
    metric = Metric.objects.create(company=world.company, key="crm.new_customers", name="新客户")
    Metric.objects.create(
        company=world.company, key="crm.visits", name="拜访", subject_kind=SubjectKind.EMPLOYEE
    )
    yield metric
    periods._providers.remove(_year_2026)


MAPPING = {
    "records": "data.items",
    "metric": "crm.new_customers",
    "subject_field": "owner.no",
    "date_field": "day",
    "value_field": "count",
    "source": "crm",
}


def records(world):
    return {
        "data": {
            "items": [
                {"owner": {"no": world.emp_east.employee_no}, "day": "2026-03-01", "count": 3},
                {
                    "owner": {"no": world.emp_east2.employee_no},
                    "day": "2026-03-02T09:30:00Z",
                    "count": "4.5",
                },
            ]
        }
    }


def make(world, server, path="/crm", mapping=None, **extra):
    return connectors.connector_create(
        actor=world.users["hrvp"],
        name=extra.pop("name", "CRM"),
        url=server.url(path),
        auth_header="Authorization",
        auth_value=SECRET,
        mapping=mapping or MAPPING,
        **extra,
    )


def assert_no_secret(connector):
    connector.refresh_from_db()
    assert "s3cret" not in connector.last_message
    for batch in IngestBatch.objects.filter(connector=connector):
        assert "s3cret" not in json.dumps(batch.errors, ensure_ascii=False)
    assert "s3cret" not in json.dumps(
        list(AuditLog.objects.values("changes", "message")), ensure_ascii=False, default=str
    )


def test_run_ingests_as_owner_and_sends_the_auth_header(world, crm, server):
    server.json("/crm", records(world))
    connector = make(world, server)
    batch = connectors.connector_run(connector_id=connector.pk)
    assert server.seen[0]["headers"]["Authorization"] == SECRET
    assert batch.channel == IngestBatch.Channel.CONNECTOR and batch.connector == connector
    assert batch.status == IngestBatch.Status.COMMITTED and batch.created_by == world.users["hrvp"]
    points = {p.subject_id: p for p in DataPoint.objects.all()}
    assert (
        points[world.emp_east.pk].value == Decimal("3")
        and points[world.emp_east.pk].source == "crm"
    )
    assert points[world.emp_east2.pk].date == datetime.date(2026, 3, 2)
    connector.refresh_from_db()
    assert connector.last_status == connectors.STATUS_OK and connector.last_run_at is not None
    # a second run replaces instead of doubling
    batch2 = connectors.connector_run(connector_id=connector.pk)
    assert (batch2.created, batch2.replaced) == (0, 2) and DataPoint.objects.count() == 2
    assert_no_secret(connector)


def test_rejected_records_are_listed_by_record_number(world, crm, server):
    payload = records(world)
    payload["data"]["items"] += [
        {"owner": {"no": "NOBODY"}, "day": "2026-03-01", "count": 1},  # record 3
        {"owner": {"no": world.emp_east.employee_no}, "day": "2026-03-05"},  # 4: no count
        {"owner": {"no": world.emp_east.employee_no}, "day": "2026-03-06", "count": "x"},  # 5
    ]
    server.json("/crm", payload)
    connector = make(world, server)
    batch = connectors.connector_run(connector_id=connector.pk)
    assert batch.accepted == 2 and batch.rejected == 3
    rows = {e["row"]: e for e in batch.errors}
    assert set(rows) == {3, 4, 5}
    assert rows[4]["field"] == "value" and "count" in rows[4]["message"]
    connector.refresh_from_db()
    assert connector.last_status == connectors.STATUS_PARTIAL
    assert DataPoint.objects.count() == 2


@pytest.mark.parametrize(
    ("path", "setup", "expected"),
    [
        ("/500", lambda s, w: s.json("/500", {"error": "boom"}, status=500), "500"),
        ("/slow", lambda s, w: s.json("/slow", records(w), delay=1.5), "0.5"),
        ("/html", lambda s, w: s.raw("/html", b"<html>login</html>"), "JSON"),
        ("/big", lambda s, w: s.json("/big", {"data": {"items": ["x" * 3000]}}), "MB"),
        (
            "/redirect",
            lambda s, w: s.raw("/redirect", b"", status=302, headers={"Location": "/crm"}),
            "302",
        ),
        ("/flat", lambda s, w: s.json("/flat", {"items": []}), "data.items"),
    ],
)
@override_settings(
    METRICS_CONNECTOR_TIMEOUT=0.5, METRICS_CONNECTOR_MAX_BYTES=2048, LANGUAGE_CODE="en"
)
def test_failures_are_clear_and_write_nothing(world, crm, server, path, setup, expected):
    from django.utils import translation

    setup(server, world)
    connector = make(world, server, path=path)
    with translation.override("en"):
        batch = connectors.connector_run(connector_id=connector.pk)
    assert batch.status == IngestBatch.Status.FAILED and batch.channel == "connector"
    assert expected in batch.errors[0]["message"]
    connector.refresh_from_db()
    assert connector.last_status == connectors.STATUS_FAILED
    assert expected in connector.last_message
    assert DataPoint.objects.count() == 0
    assert_no_secret(connector)


def test_unreachable_server(world, crm, server):
    connector = make(world, server)
    server.close()
    batch = connectors.connector_run(connector_id=connector.pk)
    assert batch.status == IngestBatch.Status.FAILED
    server.httpd = type(
        "X", (), {"shutdown": lambda self: None, "server_close": lambda self: None}
    )()


def test_mapping_validation(world, crm):
    company_id = world.company.pk
    clean, errors = connectors.clean_mapping(MAPPING, company_id=company_id)
    assert errors == {} and clean["records"] == "data.items"
    _c, errors = connectors.clean_mapping({**MAPPING, "metric": "crm.nope"}, company_id=company_id)
    assert set(errors) == {"metric"}
    _c, errors = connectors.clean_mapping({**MAPPING, "metric_field": "kpi"}, company_id=company_id)
    assert set(errors) == {"metric"}  # both a fixed key and a field
    _c, errors = connectors.clean_mapping(
        {**MAPPING, "value_field": "", "date_field": "a b"}, company_id=company_id
    )
    assert set(errors) == {"value_field", "date_field"}
    _c, errors = connectors.clean_mapping(
        {**MAPPING, "metric": "crm.other"}, company_id=world.other_company.pk
    )
    assert "metric" in errors  # keys of another company do not exist here


def test_map_records_is_pure():
    body = [{"kpi": "a.b", "who": 7, "d": "2026-01-02", "v": 1}, "junk"]
    mapped = connectors.map_records(
        body,
        {
            "records": "",
            "metric_field": "kpi",
            "subject_field": "who",
            "date_field": "d",
            "value_field": "v",
            "source": "",
        },
    )
    assert mapped.records == 2
    assert mapped.points == [
        {
            "row": 1,
            "source": "connector",
            "metric": "a.b",
            "subject": "7",
            "date": "2026-01-02",
            "value": 1,
        }
    ]
    assert mapped.errors[0]["row"] == 2
    with pytest.raises(connectors.ConnectorError):
        connectors.map_records({"x": 1}, {"records": "x"})


def test_schedule_claims_only_due_connectors_once(world, crm, server):
    server.json("/crm", records(world))
    now = timezone.now()
    due = make(world, server, name="due")
    later = make(world, server, name="later")
    off = make(world, server, name="off", active=False)
    Connector.objects.filter(pk=due.pk).update(next_run_at=now - datetime.timedelta(minutes=1))
    Connector.objects.filter(pk=later.pk).update(next_run_at=now + datetime.timedelta(minutes=5))
    Connector.objects.filter(pk=off.pk).update(next_run_at=now - datetime.timedelta(minutes=1))
    assert connectors.connectors_claim_due(now=now) == [due.pk]
    assert connectors.connectors_claim_due(now=now) == []  # a second scheduler gets nothing
    due.refresh_from_db()
    assert due.next_run_at == now + datetime.timedelta(minutes=due.interval_minutes)
    # the cron task enqueues the due ones (the test backend runs them at once)
    Connector.objects.filter(pk=due.pk).update(next_run_at=now - datetime.timedelta(minutes=1))
    assert connectors_schedule_task.call() == 1
    assert DataPoint.objects.count() == 2
    assert IngestBatch.objects.filter(connector=due).count() == 1


def test_owner_who_lost_the_role_stops_the_connector(world, crm, server):
    server.json("/crm", records(world))
    connector = make(world, server)
    RoleAssignment.objects.filter(employee=world.hrvp, role=Role.HR_VP).delete()
    batch = connectors.connector_run(connector_id=connector.pk)
    assert batch.status == IngestBatch.Status.FAILED and DataPoint.objects.count() == 0
    connector.refresh_from_db()
    assert connector.last_status == "failed" and connector.last_message
    assert server.seen == []  # nothing was even fetched
    # the performance manager saves it and takes it over
    connector = connectors.connector_update(
        actor=world.users["perf"], connector=connector, version=connector.version
    )
    assert connector.created_by == world.users["perf"]
    assert connectors.connector_run(connector_id=connector.pk).status == "committed"


def test_pages_keep_the_secret_write_only(world, crm, server, client_for):
    server.json("/crm", records(world))
    client = client_for("hrvp")
    data = {
        "name": "CRM",
        "url": server.url("/crm"),
        "auth_header": "Authorization",
        "auth_value": SECRET,
        "records": "data.items",
        "metric": "crm.new_customers",
        "subject_field": "owner.no",
        "date_field": "day",
        "value_field": "count",
        "source": "crm",
        "interval_minutes": "15",
        "active": "on",
    }
    assert client.post(reverse("metrics:connector_create"), data).status_code == 302
    connector = Connector.objects.get()
    assert connector.auth_value == SECRET and connector.created_by == world.users["hrvp"]
    edit_url = reverse("metrics:connector_edit", args=[connector.pk])
    page = client.get(edit_url).content.decode()
    assert "s3cret" not in page
    # blank keeps the stored value
    response = client.post(edit_url, {**data, "name": "CRM 2", "auth_value": "", "version": "1"})
    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.name == "CRM 2" and connector.auth_value == SECRET and connector.version == 2
    # a stale version conflicts
    response = client.post(edit_url, {**data, "name": "CRM 3", "version": "1"})
    assert response.status_code == 409
    # bad input: an ftp URL, an unknown metric, an interval under 5 minutes
    response = client.post(
        edit_url,
        {**data, "url": "ftp://x/", "metric": "nope", "interval_minutes": "1", "version": "2"},
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) >= {"url", "metric", "interval_minutes"}
    # test: fetch and show, write nothing
    response = client.post(reverse("metrics:connector_test", args=[connector.pk]))
    assert response.status_code == 200
    assert len(response.context["result"].preview) == 2 and DataPoint.objects.count() == 0
    assert "s3cret" not in response.content.decode()
    # the list shows no secret either
    assert "s3cret" not in client.get(reverse("metrics:connector_list")).content.decode()
    assert_no_secret(connector)
    # the change log marks the secret as changed without its value
    assert AuditLog.objects.filter(object_id=str(connector.pk)).exists()


def test_run_now_enqueues_after_commit(
    world, crm, server, client_for, django_capture_on_commit_callbacks
):
    server.json("/crm", records(world))
    connector = make(world, server)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("perf").post(reverse("metrics:connector_run", args=[connector.pk]))
    assert response.status_code == 302
    assert DataPoint.objects.count() == 2
    connector.refresh_from_db()
    assert connector.last_status == "ok"


def test_delete(world, crm, server, client_for):
    connector = make(world, server)
    client = client_for("hrvp")
    url = reverse("metrics:connector_delete", args=[connector.pk])
    assert client.post(url, {"version": "99"}).status_code == 409
    assert client.post(url, {"version": str(connector.version)}).status_code == 302
    assert not Connector.objects.exists()
