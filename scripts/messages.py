#!/usr/bin/env python
"""Translation catalogs: `make` extracts strings and compiles; `check` extracts the strings
the code marks today (leaving the catalog files as they were) and verifies the Swedish
catalog has every one of them translated (none missing, untranslated or fuzzy) and the .mo
matches the .po."""

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


def extract() -> None:
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
        stdout=subprocess.DEVNULL,
    )


def make() -> int:
    extract()
    polib.pofile(str(PO)).save_as_mofile(str(MO))
    return check()


def not_in_catalog() -> list[str]:
    """Strings the code marks that the committed catalog lacks (extracted, then restored)."""
    saved = PO.read_bytes()
    try:
        extract()
        current = {e.msgid for e in polib.pofile(str(PO)) if not e.obsolete}
    finally:
        PO.write_bytes(saved)
    committed = {e.msgid for e in polib.pofile(str(PO)) if not e.obsolete}
    return sorted(current - committed)


def check() -> int:
    if not PO.exists():
        print(f"missing {PO.relative_to(ROOT)}")
        return 1
    new = not_in_catalog()
    for msgid in new[:20]:
        print(f"not in the catalog: {msgid!r}")
    if new:
        print(f"{len(new)} marked strings are not in the catalog: run `make messages`, translate")
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
    ok = not new and not missing and not fuzzy and not stale
    print(
        f"Swedish catalog: {len(catalog.translated_entries())} translated, "
        f"{len(missing)} untranslated, {len(fuzzy)} fuzzy"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit({"make": make, "check": check}[sys.argv[1] if len(sys.argv) > 1 else "check"]())
