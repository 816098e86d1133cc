#!/usr/bin/env python
"""Serve Frontdesk and its job consumer together; Ctrl-C stops both cleanly."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))

from frontdesk.demo.people import PASSWORD  # noqa: E402

DEMO_LOGINS = """
  Frontdesk is running at http://{host}:{port}/

  Demo logins (password for all: {password}):
    admin       admin@example.com
    supervisor  supervisor@example.com
    agent L1    alice@example.com, bob@example.com
    agent L2    carol@example.com
    customer    dana@example.com (Acme), erik@example.org (Globex)

  API docs: http://{host}:{port}/api/v1/docs/      Health: http://{host}:{port}/healthz
  Press Ctrl-C to stop the web server and the job worker.
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    web = subprocess.Popen(  # noqa: S603
        [
            PY,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--no-access-log",
            "--lifespan",
            "off",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen([PY, "manage.py", "run_huey", "--quiet"], cwd=ROOT, env=env)  # noqa: S603
    print(DEMO_LOGINS.format(host=args.host, port=args.port, password=PASSWORD), flush=True)
    children = [web, worker]
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    print("\nFrontdesk stopped.", flush=True)
    failed = [c for c in children if c.returncode not in (0, -signal.SIGINT, 130, 1)]
    return 1 if failed and not stopping else 0


if __name__ == "__main__":
    sys.exit(main())
