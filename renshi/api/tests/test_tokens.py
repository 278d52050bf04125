"""Personal API tokens: obtain, use, revoke; rate limits; tokens die with leaving and with a
password change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from renshi.org.testing import TEST_PASSWORD

URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    yield
    cache.clear()


def _obtain(username="vp1", password=TEST_PASSWORD, client=None):
    client = client or APIClient()
    return client.post(URL, {"username": username, "password": password}, format="json")


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_obtain_use_and_revoke(world):
    response = _obtain()
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=world.users["vp1"]).key == key
    assert _obtain().json()["token"] == key  # same token while it lives

    client = _token_client(key)
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["user"]["username"] == "vp1"
    rows = client.get("/api/v1/employees/").json()["results"]
    assert world.emp_prod.pk not in [r["id"] for r in rows]  # same scope as the pages

    assert client.delete(URL).status_code == 204
    assert not Token.objects.filter(user=world.users["vp1"]).exists()
    assert client.get("/api/v1/me/").status_code == 401


def test_wrong_password_gives_no_token(world):
    response = _obtain(password="wrong-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert "token" not in response.json()
    assert not Token.objects.exists()
    assert _obtain(username="nobody").status_code == 401
    assert APIClient().post(URL, {}, format="json").status_code == 400


def test_revoke_needs_a_login(world):
    assert APIClient().delete(URL).status_code == 401


def test_token_is_not_a_page_login(world):
    key = _obtain().json()["token"]
    response = APIClient().get("/org/chart/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 302  # pages know sessions only


def test_lockout_after_failed_attempts(world, settings):
    """django-axes counts failures through authenticate(): after the limit even the right
    password is refused."""
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [_obtain(password="wrong-password").status_code for _ in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]  # the limit-th failure locks out
    refused = _obtain()  # the right password, too late
    assert refused.status_code == 429
    assert b'"token"' not in refused.content
    assert not Token.objects.exists()
    assert _obtain(username="vp2").status_code == 200  # other accounts are unaffected


def test_token_endpoint_is_rate_limited(world):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "3/minute"}
    with override_settings(REST_FRAMEWORK={**_rf(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [_obtain(password=f"wrong-{i}").status_code for i in range(3)]
        assert statuses == [401, 401, 401]
        limited = _obtain()
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "throttled"
    assert not Token.objects.exists()


def _rf():
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_token_dies_when_the_employee_leaves(world):
    from renshi.org.services import employee_update

    key = _obtain(username="emp_east").json()["token"]
    client = _token_client(key)
    assert client.get("/api/v1/me/").status_code == 200
    emp = world.emp_east
    employee_update(actor=world.users["hrvp"], employee=emp, version=emp.version, status="left")
    assert not Token.objects.filter(key=key).exists()
    assert client.get("/api/v1/me/").status_code == 401
    assert _obtain(username="emp_east").status_code == 401  # inactive login: no new token


def test_token_dies_with_a_password_change(world):
    key = _obtain(username="emp_east").json()["token"]
    client = _token_client(key)
    assert client.get("/api/v1/me/").status_code == 200
    page = APIClient()
    page.force_login(world.users["emp_east"])
    response = page.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Another-long-pass-77",
            "new_password2": "Another-long-pass-77",
        },
    )
    assert response.status_code == 302
    assert not Token.objects.filter(key=key).exists()
    assert client.get("/api/v1/me/").status_code == 401


def test_password_change_service_revokes_tokens(world):
    from renshi.core.services import user_password_changed

    key = _obtain(username="head_east").json()["token"]
    user_password_changed(user=world.users["head_east"])
    assert _token_client(key).get("/api/v1/me/").status_code == 401
