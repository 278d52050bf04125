"""Authentication and session hardening: Argon2, login rate limit, safe redirects, CSRF,
client IP from trusted proxies only, optimistic concurrency, production deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory

from renshi.core.concurrency import ConflictError, bump_version
from renshi.core.middleware import client_ip
from renshi.org.testing import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_production_hasher_is_argon2():
    from config import settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_login_and_new_session_id(world):
    client = Client()
    client.get("/accounts/login/")
    before = client.cookies.get("sessionid")
    response = client.post("/accounts/login/", {"username": "gm", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_login_rate_limited_after_repeated_failures(world, settings):
    client = Client()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        r = client.post("/accounts/login/", {"username": "gm", "password": "wrong"})
        # the attempt that reaches the limit is answered with the lockout page
        assert r.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 200)
    # even the right password is refused while locked out
    r = client.post("/accounts/login/", {"username": "gm", "password": TEST_PASSWORD})
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_next_redirect_is_safe(world, target):
    client = Client()
    r = client.post(
        "/accounts/login/?next=" + target,
        {"username": "gm", "password": TEST_PASSWORD, "next": target},
    )
    assert r.status_code == 302
    assert r["Location"] == "/"


def test_csrf_enforced_on_cookie_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["emp_east"])
    r = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Another-long-pass-9",
            "new_password2": "Another-long-pass-9",
        },
    )
    assert r.status_code == 403
    user = world.users["emp_east"]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_logout_is_post_only(world):
    client = Client()
    client.force_login(world.users["gm"])
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_weak_password_refused(world):
    client = Client()
    client.force_login(world.users["emp_east"])
    r = client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert r.status_code == 200
    user = world.users["emp_east"]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_client_ip_only_from_trusted_proxy(settings):
    rf = RequestFactory()
    spoofed = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    settings.TRUSTED_PROXIES = []
    assert client_ip(spoofed) == "203.0.113.9"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(spoofed) == "203.0.113.9"  # the peer is not a trusted proxy
    via_proxy = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.5")
    assert client_ip(via_proxy) == "198.51.100.5"  # right-most untrusted hop


def test_stale_version_conflicts_and_writes_nothing(world):
    from renshi.org.models import Employee
    from renshi.org.services import employee_update

    hrvp = world.users["hrvp"]
    emp = world.emp_east
    read_version = emp.version
    employee_update(actor=hrvp, employee=emp, version=read_version, name="First writer")
    with pytest.raises(ConflictError) as info:
        employee_update(actor=hrvp, employee=emp, version=read_version, name="Second writer")
    assert info.value.current_version == read_version + 1
    assert Employee.objects.get(pk=emp.pk).name == "First writer"


def test_bump_version_compare_and_set(world):
    dept = world.sales
    bump_version(dept, expected_version=dept.version)
    with pytest.raises(ConflictError):
        bump_version(dept, expected_version=dept.version - 1)


def test_production_settings_pass_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "RENSHI_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "k" * 20 + "Q9x!v" * 10,
        "RENSHI_FIELD_KEYS": "9dSjKX2uYlq3Qn6mJ0tW8Zr1bC4eF7hA5iD2gH3kL0o=",
        "ALLOWED_HOSTS": "hr.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
