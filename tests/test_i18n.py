"""zh-hans is the default language, English is complete, and no catalog has a gap."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_default_language_is_simplified_chinese():
    response = Client().get("/accounts/login/")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html


@pytest.mark.django_db
def test_english_switch(world):
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in to renshi" in html


@pytest.mark.django_db
def test_pages_render_in_chinese_for_a_logged_in_user(client_for):
    html = client_for("gm").get("/org/employees/").content.decode()
    assert "员工" in html
    assert "退出登录" in html


def test_every_catalog_entry_is_translated():
    result = subprocess.run(
        [sys.executable, "scripts/i18n.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_compiled_catalogs_match_their_sources():
    import polib

    for po_path in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
        if ".venv" in po_path.parts:
            continue
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"{mo_path} missing: run scripts/i18n.py"
        source = {(e.msgid, e.msgstr) for e in polib.pofile(str(po_path)).translated_entries()}
        compiled = {(e.msgid, e.msgstr) for e in polib.mofile(str(mo_path)) if e.msgid}
        assert source == compiled, f"{mo_path} is stale: run scripts/i18n.py"


@pytest.mark.django_db
def test_browser_language_does_not_override_the_company_default():
    response = Client().get("/accounts/login/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="zh-hans">' in response.content.decode()
