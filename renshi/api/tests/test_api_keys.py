"""Integration API keys: creation (secret shown once, hash stored), scopes, revocation, expiry,
who may manage them, and that a key never writes, manages keys or reaches pages."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from renshi.api.models import ApiKey
from renshi.api.services import api_key_create, api_key_revoke
from renshi.core.models import AuditLog
from renshi.org.models import Employee


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_for(world):
    def make(key: str | None) -> APIClient:
        client = APIClient()
        if key is not None:
            client.force_login(world.users[key])
        return client

    return make


def key_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def _make(world, who="hrvp", scopes=("org.read",), **kwargs):
    return api_key_create(actor=world.users[who], name="HRIS", scopes=list(scopes), **kwargs)


def test_create_through_api_shows_secret_once_and_stores_hash(world, api_for):
    client = api_for("gm")
    response = client.post(
        "/api/v1/api-keys/", {"name": "考勤系统", "scopes": ["org.read"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["secret"]
    prefix, _, raw = secret.partition(".")
    key = ApiKey.objects.get(pk=body["id"])
    assert key.prefix == prefix == body["prefix"]
    assert key.company_id == world.company.pk
    assert key.created_by == world.users["gm"]
    assert key.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in key.secret_hash
    # the secret is nowhere else: not in listings, detail or the audit log
    listing = client.get("/api/v1/api-keys/")
    detail = client.get(f"/api/v1/api-keys/{key.pk}/")
    assert raw not in listing.content.decode() and raw not in detail.content.decode()
    assert "secret" not in detail.json()
    logged = AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(ApiKey),
        object_id=str(key.pk),
        action="create",
    ).get()
    assert raw not in str(logged.changes) and key.secret_hash not in str(logged.changes)


def test_key_reads_company_wide_with_org_read(world):
    _key, secret = _make(world)
    client = key_client(secret)
    rows = client.get("/api/v1/employees/?page_size=200").json()["results"]
    acme = [e.pk for e in world.employees.values() if e.company_id == world.company.pk]
    assert sorted(r["id"] for r in rows) == sorted(acme)
    assert client.get(f"/api/v1/employees/{world.other_emp.pk}/").status_code == 404
    detail = client.get(f"/api/v1/employees/{world.emp_east.pk}/").json()
    assert detail["national_id"] == world.emp_east.national_id_masked  # never in clear
    assert client.get("/api/v1/departments/").status_code == 200
    assert client.get("/api/v1/positions/").status_code == 200
    _key.refresh_from_db()
    assert _key.last_used_at is not None


def test_key_without_the_scope_reads_nothing(world):
    key, secret = _make(world)
    ApiKey.objects.filter(pk=key.pk).update(scopes=["metrics.write"])  # reserved scope
    client = key_client(secret)
    for url in (
        "/api/v1/employees/",
        "/api/v1/departments/",
        "/api/v1/positions/",
        f"/api/v1/employees/{world.emp_east.pk}/",
    ):
        assert client.get(url).status_code == 403, url


def test_key_with_no_scopes_is_refused(world):
    key, secret = _make(world)
    ApiKey.objects.filter(pk=key.pk).update(scopes=[])
    assert key_client(secret).get("/api/v1/employees/").status_code == 401


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/me/"),
        ("get", "/api/v1/api-keys/"),
        ("post", "/api/v1/api-keys/"),
        ("delete", "/api/v1/auth/token/"),
        ("get", "/api/v1/schema/"),
    ],
)
def test_key_cannot_manage_keys_or_act_as_a_person(world, method, url):
    _key, secret = _make(world)
    count = ApiKey.objects.count()
    response = getattr(key_client(secret), method)(
        url, {"name": "x", "scopes": ["org.read"]}, format="json"
    )
    assert response.status_code in (401, 403)
    assert ApiKey.objects.count() == count


def test_key_cannot_revoke_a_key(world):
    key, secret = _make(world)
    response = key_client(secret).delete(f"/api/v1/api-keys/{key.pk}/")
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None


def test_key_does_not_reach_pages(world):
    _key, secret = _make(world)
    for url in ("/org/employees/", "/api/v1/keys/", "/"):
        response = APIClient().get(url, HTTP_AUTHORIZATION=f"Api-Key {secret}")
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_revoked_key_is_401(world, api_for):
    key, secret = _make(world)
    client = key_client(secret)
    assert client.get("/api/v1/employees/").status_code == 200
    assert api_for("hrvp").delete(f"/api/v1/api-keys/{key.pk}/").status_code == 204
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = client.get("/api/v1/employees/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(ApiKey),
        object_id=str(key.pk),
        action="update",
        changes__has_key="revoked_at",
    ).exists()


def test_expired_key_is_401(world):
    key, secret = _make(world, expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert key_client(secret).get("/api/v1/positions/").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - datetime.timedelta(1))
    assert key_client(secret).get("/api/v1/positions/").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key nothing",
        "Api-Key abc.def",
        "Api-Key .",
        "Api-Key a b",
    ],
)
def test_malformed_or_wrong_keys_are_401(world, header):
    response = APIClient().get("/api/v1/employees/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_wrong_secret_with_a_real_prefix_is_401(world):
    key, _secret = _make(world)
    response = key_client(f"{key.prefix}.{'x' * 43}").get("/api/v1/employees/")
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["perf", "vp1", "head_east", "emp_east"])
def test_only_gm_and_hrvp_manage_keys(world, api_for, role):
    key, _secret = _make(world)
    client = api_for(role)
    assert client.get("/api/v1/api-keys/").status_code == 403
    assert client.get(f"/api/v1/api-keys/{key.pk}/").status_code == 403
    assert (
        client.post(
            "/api/v1/api-keys/", {"name": "x", "scopes": ["org.read"]}, format="json"
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/api-keys/{key.pk}/").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.count() == 1
    with pytest.raises(PermissionDenied):
        api_key_create(actor=world.users[role], name="x", scopes=["org.read"])


def test_keys_of_another_company_are_invisible(world, api_for):
    key, _secret = _make(world)
    other = api_for("other_gm")
    assert other.get("/api/v1/api-keys/").json()["count"] == 0
    assert other.get(f"/api/v1/api-keys/{key.pk}/").status_code == 404
    assert other.delete(f"/api/v1/api-keys/{key.pk}/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x", "scopes": ["metrics.write"]},  # metrics.write needs metric patterns
        {"name": "x", "scopes": ["metrics.write"], "metric_keys": []},
        {"name": "x", "scopes": ["metrics.write"], "metric_keys": ["CRM.New"]},
        {"name": "x", "scopes": ["metrics.write"], "metric_keys": ["crm..x"]},
        {"name": "x", "scopes": ["metrics.write"], "metric_keys": ["crm new"]},
        {"name": "x", "scopes": ["org.write"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["org.read"], "company": 2},
        {"name": "x", "scopes": ["org.read"], "prefix": "chosen"},
        {"name": "x", "scopes": ["org.read"], "expires_at": "2001-01-01T00:00:00Z"},
    ],
)
def test_key_creation_validates(world, api_for, payload):
    response = api_for("hrvp").post("/api/v1/api-keys/", payload, format="json")
    assert response.status_code == 400
    assert ApiKey.objects.count() == 0


def test_service_rejects_unknown_scopes(world):
    with pytest.raises(ValidationError):
        _make(world, scopes=["org.write"])


def test_metrics_write_requires_metric_patterns(world):
    with pytest.raises(ValidationError) as info:
        _make(world, scopes=["metrics.write"])
    assert "metric_keys" in info.value.message_dict
    with pytest.raises(ValidationError):
        _make(world, scopes=["metrics.write"], metric_keys=["crm.*", "Bad Key"])
    assert ApiKey.objects.count() == 0


def test_metric_patterns_are_stored_and_shown(world, api_for):
    response = api_for("hrvp").post(
        "/api/v1/api-keys/",
        {
            "name": "CRM",
            "scopes": ["metrics.write"],
            "metric_keys": ["crm.*", "attendance.rate", "crm.*"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["metric_keys"] == ["attendance.rate", "crm.*"]
    key = ApiKey.objects.get()
    assert key.metric_keys == ["attendance.rate", "crm.*"]
    # patterns are dropped for keys that do not write metrics
    other, _secret = _make(world, scopes=["org.read"], metric_keys=["crm.*"])
    assert other.metric_keys == []


def test_key_page_creates_a_metrics_key(world, client_for):
    client = client_for("hrvp")
    response = client.post(
        "/api/v1/keys/",
        {"name": "CRM", "scopes": ["metrics.write"], "metric_keys": "crm.*, sales.revenue"},
    )
    assert response.status_code == 200
    assert ApiKey.objects.get().metric_keys == ["crm.*", "sales.revenue"]
    missing = client.post("/api/v1/keys/", {"name": "CRM2", "scopes": ["metrics.write"]})
    assert (
        "data-field-error" in missing.content.decode()
        or "invalid-feedback" in missing.content.decode()
    )
    assert ApiKey.objects.count() == 1


def test_revoke_service_rechecks_scope(world):
    key, _secret = _make(world)
    with pytest.raises(PermissionDenied):
        api_key_revoke(actor=world.users["vp1"], api_key=key)
    key.refresh_from_db()
    assert key.revoked_at is None


def test_key_list_query_count_does_not_grow(world, api_for, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _make(world)
    client = api_for("hrvp")
    client.get("/api/v1/api-keys/")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/api-keys/")
    for who in ("gm", "hrvp", "gm"):
        _make(world, who=who)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/api/v1/api-keys/").json()["count"] == 4


def test_key_requests_are_throttled_per_key(world, settings):
    from django.test import override_settings

    rf = dict(settings.REST_FRAMEWORK)
    rf["DEFAULT_THROTTLE_RATES"] = {**rf["DEFAULT_THROTTLE_RATES"], "user": "2/minute"}
    _k1, s1 = _make(world)
    _k2, s2 = _make(world)
    with override_settings(REST_FRAMEWORK=rf):
        assert [key_client(s1).get("/api/v1/positions/").status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        assert key_client(s2).get("/api/v1/positions/").status_code == 200  # own bucket


def test_key_cannot_write_employees(world):
    _key, secret = api_key_create(actor=world.users["hrvp"], name="HRIS", scopes=["org.read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    emp = world.emp_east
    response = client.patch(
        f"/api/v1/employees/{emp.pk}/",
        {"version": emp.version, "name": "键改"},
        format="json",
    )
    assert response.status_code == 403
    emp.refresh_from_db()
    assert emp.name != "键改" and emp.version == 1
    count = Employee.objects.count()
    response = client.post(
        "/api/v1/employees/",
        data={
            "employee_no": "K1",
            "name": "k",
            "department": world.sales.pk,
            "hire_date": "2025-01-01",
        },
        format="json",
    )
    assert response.status_code == 403
    assert Employee.objects.count() == count


# --- the page -----------------------------------------------------------------------------------


def test_page_lists_creates_and_revokes(world, client_for):
    client = client_for("hrvp")
    page = client.get("/api/v1/keys/")
    assert page.status_code == 200
    created = client.post("/api/v1/keys/", {"name": "财务系统", "scopes": ["org.read"]})
    assert created.status_code == 200
    key = ApiKey.objects.get(name="财务系统")
    html = created.content.decode()
    secret_line = [line for line in html.splitlines() if key.prefix + "." in line]
    assert secret_line, "the new secret is shown once"
    assert created["Cache-Control"] == "no-store"
    again = client.get("/api/v1/keys/").content.decode()
    assert key.prefix + "." not in again  # not shown a second time
    assert "style=" not in again and "<script>" not in again
    revoked = client.post(f"/api/v1/keys/{key.pk}/revoke/")
    assert revoked.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_page_form_errors(world, client_for):
    client = client_for("gm")
    response = client.post("/api/v1/keys/", {"name": "", "scopes": []})
    assert response.status_code == 200
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("role", ["perf", "vp1", "emp_east"])
def test_page_is_for_gm_and_hrvp(world, client_for, role):
    key, _secret = _make(world)
    client = client_for(role)
    assert client.get("/api/v1/keys/").status_code == 403
    assert client.post("/api/v1/keys/", {"name": "x", "scopes": ["org.read"]}).status_code == 403
    assert client.post(f"/api/v1/keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None and ApiKey.objects.count() == 1


def test_page_revoke_of_another_company_key_is_404(world, client_for):
    key, _secret = _make(world)
    assert client_for("other_gm").post(f"/api/v1/keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
