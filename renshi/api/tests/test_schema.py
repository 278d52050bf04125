"""OpenAPI schema and Swagger UI: generated without warnings, login only, no CDN, no inline
script or style (strict CSP)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


def test_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/employees/{id}/",
        "/api/v1/me/",
        "/api/v1/auth/token/",
        "/api/v1/api-keys/",
        "/api/v1/departments/",
        "/api/v1/positions/",
    ):
        assert path + ":" in text
    assert "ApiKeyAuth" in text and "tokenAuth" in text


def test_schema_and_docs_are_for_logged_in_users(world, client_for):
    anon = client_for(None)
    assert anon.get("/api/v1/schema/").status_code == 401
    assert anon.get("/api/v1/docs/").status_code == 401
    client = client_for("emp_east")
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/employees/" in schema.content


def test_docs_load_every_asset_locally(world, client_for):
    client = client_for("emp_east")
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html and "style=" not in html
    assert re.search(r"<script>\s*\S", html) is None  # no inline script
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for url in sources:
        assert not url.startswith(("http:", "https:", "//")), url
    script = next(u for u in sources if "script" in u and "static" not in u)
    js = client.get(script.replace("&amp;", "&"))
    assert js.status_code == 200
    assert b"SwaggerUIBundle" in js.content
    assert any("drf_spectacular_sidecar" in u for u in sources)
