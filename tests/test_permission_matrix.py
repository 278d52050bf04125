"""Every URL × every role. A new URL without a row fails ``test_every_url_has_a_row``."""

from __future__ import annotations

import importlib
import json as jsonlib
import pkgutil
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import renshi
from tests.matrix_support import PUBLIC, ROLES, SUCCESS, Row

# The Django admin is the operator's tool: every business role (not staff) is sent to the
# admin login. One representative row per admin view kind is run; all admin names are covered.
ADMIN_NAMESPACE = "admin"


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name, prefix + str(p.pattern)


def all_url_names() -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for name, route in _walk(get_resolver().url_patterns):
        found.setdefault(name, []).append(route)
    return found


def load_rows() -> list[Row]:
    rows: list[Row] = []
    base = Path(renshi.__file__).parent
    for app in sorted(p.name for p in base.iterdir() if (p / "tests").is_dir()):
        tests_dir = base / app / "tests"
        for mod in pkgutil.iter_modules([str(tests_dir)]):
            if mod.name.startswith("matrix"):
                module = importlib.import_module(f"renshi.{app}.tests.{mod.name}")
                rows.extend(module.ROWS)
    return rows


ROWS = load_rows()


def test_every_url_has_a_row():
    covered = {row.url_name for row in ROWS} | PUBLIC
    missing = []
    for name, routes in all_url_names().items():
        if name is not None and name.split(":")[0] == ADMIN_NAMESPACE:
            continue
        if name is None:
            # unnamed routes are not allowed, except the admin's own (covered by the admin test)
            missing.extend(f"<unnamed> {r}" for r in routes if not r.startswith("ops/admin/"))
            continue
        if name not in covered:
            missing.extend(f"{name} ({r})" for r in routes)
    assert not missing, "URLs without a permission-matrix row:\n" + "\n".join(sorted(missing))


def test_rows_name_every_role_and_real_urls():
    names = set(all_url_names())
    for row in ROWS:
        assert set(row.expect) == set(ROLES), f"{row.id}: roles {set(ROLES) ^ set(row.expect)}"
        assert row.url_name in names, f"{row.id}: no such URL name"


def _request(client: Client, row: Row, world):
    url = reverse(row.url_name, kwargs=row.kwargs(world) if row.kwargs else None) + row.query
    method = row.method.lower()
    body = row.data(world) if row.data else None
    kwargs = {"headers": row.headers} if row.headers else {}
    if row.method == "GET":
        return client.get(url, **kwargs)
    if row.json:
        return getattr(client, method)(
            url, data=jsonlib.dumps(body or {}), content_type="application/json", **kwargs
        )
    if method in ("put", "patch", "delete"):
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

        return getattr(client, method)(
            url,
            data=encode_multipart(BOUNDARY, body or {}),
            content_type=MULTIPART_CONTENT,
            **kwargs,
        )
    return client.post(url, data=body or {}, **kwargs)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_matrix_row(row: Row, world):
    failures = []
    for role in ROLES:
        client = Client()
        if role != "anon":
            client.force_login(world.users[role])
        try:
            with transaction.atomic():
                before = row.state(world) if row.state else None
                response = _request(client, row, world)
                status = response.status_code
                expected = row.expect[role]
                if status != expected:
                    failures.append(f"{role}: expected {expected}, got {status}")
                elif (
                    role == "anon"
                    and status == 302
                    and not row.url_name.startswith("api:")
                    and "/accounts/login/" not in response["Location"]
                ):
                    failures.append(f"anon: redirected to {response['Location']}, not login")
                if row.state and expected not in SUCCESS:
                    after = row.state(world)
                    if after != before:
                        failures.append(f"{role}: denied ({status}) but state changed")
                raise _Rollback
        except _Rollback:
            pass
    assert not failures, f"{row.id}:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_admin_is_for_operators_only(world):
    """Business roles, even the GM, are not staff: the admin sends them to its own login."""
    admin_urls = [reverse("admin:index"), reverse("admin:core_auditlog_changelist")]
    for role in ROLES:
        client = Client()
        if role != "anon":
            client.force_login(world.users[role])
        for url in admin_urls:
            response = client.get(url)
            assert response.status_code == 302, (role, url)
            assert "/ops/admin/login/" in response["Location"]
