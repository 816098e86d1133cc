#!/usr/bin/env python
"""Translation catalogs: `make` extracts strings and compiles; `check` verifies the Swedish
catalog is complete (no untranslated or fuzzy entries) and the .mo matches the .po."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PY = sys.executable


def make() -> int:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", FRONTDESK_DEBUG="1")
    subprocess.run(  # noqa: S603
        [
            PY,
            "manage.py",
            "makemessages",
            "-l",
            "sv",
            "--no-obsolete",
            "--no-location",
            "-i",
            ".venv/*",
            "-i",
            "node_modules/*",
            "-i",
            "bench/*",
            "-i",
            "staticfiles/*",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    polib.pofile(str(PO)).save_as_mofile(str(MO))
    return check()


def check() -> int:
    if not PO.exists():
        print(f"missing {PO.relative_to(ROOT)}")
        return 1
    catalog = polib.pofile(str(PO))
    missing = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    for msgid in missing[:20]:
        print(f"untranslated: {msgid!r}")
    for msgid in fuzzy[:20]:
        print(f"fuzzy: {msgid!r}")
    compiled = polib.mofile(str(MO)) if MO.exists() else None
    stale = compiled is None or {e.msgid for e in compiled} != {
        e.msgid for e in catalog.translated_entries()
    }
    if stale:
        print("locale/sv/LC_MESSAGES/django.mo is out of date: run `make messages`")
    ok = not missing and not fuzzy and not stale
    print(
        f"Swedish catalog: {len(catalog.translated_entries())} translated, "
        f"{len(missing)} untranslated, {len(fuzzy)} fuzzy"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit({"make": make, "check": check}[sys.argv[1] if len(sys.argv) > 1 else "check"]())
