"""A desk installed without the [ai] extra: the checks in ``without_extra_checks.py`` run in
a fresh Python in which torch, sentence-transformers, transformers, usearch and the bundled
model cannot be imported (as after a plain ``pip install frontdesk``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from frontdesk.ai.tests.without_extra_checks import BLOCKED

ROOT = Path(__file__).resolve().parents[3]
CHECKS = Path(__file__).with_name("without_extra_checks.py")
# A finder ahead of every other: importing a blocked package (or asking whether it is
# there) fails as for a package that is not installed. (None in sys.modules would do for
# imports, but scipy takes a "torch" key in sys.modules as torch being loaded.)
BOOT = """
import sys


class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, Blocked())
import pytest
sys.exit(pytest.main({args!r}))
"""


def _database_url() -> str | None:
    """The same server, another database name: the outer session's test database is busy."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    base, _sep, query = url.partition("?")
    return base.rstrip("/") + "_noextra" + (f"?{query}" if query else "")


def test_every_ai_feature_answers_without_the_extra_installed(tmp_path):
    env = {**os.environ, "FRONTDESK_TESTING": "1", "FRONTDESK_VAR_DIR": str(tmp_path)}
    env.pop("PYTEST_XDIST_WORKER", None)
    url = _database_url()
    if url:
        env["DATABASE_URL"] = url
    args = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--show-capture=no", str(CHECKS)]
    proc = subprocess.run(  # noqa: S603 - our own interpreter and test file
        [sys.executable, "-c", BOOT.format(blocked=BLOCKED, args=args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, output
    assert re.search(r"\b4 passed\b", proc.stdout), output
