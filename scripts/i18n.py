"""Extract translatable strings into the zh-hans catalogs and report what is untranslated.

    .venv/bin/python scripts/i18n.py            # makemessages for every app + project, report
    .venv/bin/python scripts/i18n.py --fill F.po  # also fill empty msgstr from a PO file
    .venv/bin/python scripts/i18n.py --check    # exit 1 if any zh-hans msgstr is empty/fuzzy

Catalogs live next to the code (renshi/<app>/locale/zh_Hans/...; project templates and config in
locale/). Compiled .mo files are committed, so running renshi needs no gettext tools.
English is the source language and needs no catalog.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LOCALE = "zh_Hans"


def sources() -> list[Path]:
    apps = sorted(p for p in (ROOT / "renshi").iterdir() if (p / "apps.py").exists())
    return [*apps, ROOT]


def makemessages(path: Path) -> None:
    (path / "locale").mkdir(exist_ok=True)
    cmd = [
        PY,
        str(ROOT / "manage.py"),
        "makemessages",
        "-l",
        LOCALE,
        "--no-obsolete",
        "--no-location",
        "-i",
        "tests",
        "-i",
        "migrations",
    ]
    if path == ROOT:
        cmd += [
            "-i",
            "renshi",
            "-i",
            ".venv",
            "-i",
            "bench",
            "-i",
            "var",
            "-i",
            "i18n",
            "-i",
            "scripts",
            "-i",
            "test-results",
        ]
    subprocess.run(cmd, cwd=path, check=True, capture_output=True)


def catalogs() -> list[Path]:
    return [
        p / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
        for p in sources()
        if (p / "locale" / LOCALE / "LC_MESSAGES" / "django.po").exists()
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", nargs="*", default=[], help="PO files to take msgstr from")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.check:
        for path in sources():
            makemessages(path)
    memory: dict[tuple[str, str], polib.POEntry] = {}
    # the catalogs themselves are a translation memory: a msgid translated in one app is reused
    for name in [*map(str, catalogs()), *args.fill]:
        for entry in polib.pofile(name):
            if entry.msgstr or entry.msgstr_plural:
                memory[(entry.msgctxt or "", entry.msgid)] = entry
    missing = 0
    for po_path in catalogs():
        po = polib.pofile(str(po_path))
        po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
        po.metadata["Language"] = "zh_Hans"
        po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
        for entry in po:
            source = memory.get((entry.msgctxt or "", entry.msgid))
            if source is not None and (
                (not entry.msgstr and not any(entry.msgstr_plural.values())) or entry.fuzzy
            ):
                entry.msgstr = source.msgstr
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: source.msgstr_plural.get(0) or source.msgstr}
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
            untranslated = entry.fuzzy or (
                not entry.msgstr
                if not entry.msgid_plural
                else not any(entry.msgstr_plural.values())
            )
            if untranslated:
                missing += 1
                print(f"untranslated: {po_path.relative_to(ROOT)}: {entry.msgid!r}")
        if not args.check:
            po.save()
            po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{len(catalogs())} catalogs, {missing} untranslated")
    return 1 if (args.check and missing) else 0


if __name__ == "__main__":
    sys.exit(main())
