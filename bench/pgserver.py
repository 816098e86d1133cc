"""The benchmark's own PostgreSQL: a separate data directory and port, durable settings.

scripts/pg.sh starts the test server with fsync=off; numbers measured on that would flatter
every write. This one keeps fsync, full_page_writes and synchronous_commit at their
defaults and sizes memory for a 2-core, ~24 GB machine (documented in docs/benchmarks.md).
As root the server runs as the postgres user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

PG_DIR = Path(os.environ.get("FRONTDESK_BENCH_PG_DIR", "/tmp/frontdesk-bench-pg"))
PG_PORT = int(os.environ.get("FRONTDESK_BENCH_PG_PORT", "54339"))

# Production-like tuning; nothing here trades durability for speed.
SERVER_OPTIONS = {
    "listen_addresses": "''",  # unix socket only: loopback by construction
    "max_connections": "100",
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",  # no forced checkpoints during the bulk load
    "checkpoint_timeout": "30min",
    "random_page_cost": "1.1",  # SSD
    "max_parallel_maintenance_workers": "2",
    "jit": "off",  # JIT compiles in the middle of 10 ms queries; most OLTP sites turn it off
}


def _bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found (install postgresql).")
    return Path(candidates[-1])


def _as_pg(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    if os.getuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]  # noqa: S603


def url(db: str) -> str:
    return f"postgresql://postgres@/{db}?host={PG_DIR}&port={PG_PORT}"


def psql(db: str, sql: str) -> str:
    out = _as_pg([str(_bindir() / "psql"), "-h", str(PG_DIR), "-p", str(PG_PORT), "-U",
                  "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-tAc", sql])
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def start() -> None:
    bindir = _bindir()
    PG_DIR.mkdir(parents=True, exist_ok=True)
    if os.getuid() == 0:
        shutil.chown(PG_DIR, user="postgres")
    data = PG_DIR / "data"
    if not (data / "PG_VERSION").exists():
        out = _as_pg([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8"])
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr}")
    if _as_pg([str(bindir / "pg_ctl"), "-D", str(data), "status"]).returncode == 0:
        return
    options = " ".join(f"-c {k}={v}" for k, v in SERVER_OPTIONS.items())
    out = _as_pg([str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "120", "-l",
                  str(PG_DIR / "server.log"), "-o", f"-p {PG_PORT} -k {PG_DIR} {options}",
                  "start"])
    if out.returncode != 0:
        raise RuntimeError(f"pg_ctl start failed: {out.stderr}\nsee {PG_DIR / 'server.log'}")


def stop() -> None:
    data = PG_DIR / "data"
    if (data / "PG_VERSION").exists():
        _as_pg([str(_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-t", "120", "stop"])


def recreate_database(db: str) -> None:
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql("postgres", f'CREATE DATABASE "{db}"')


def version() -> str:
    return psql("postgres", "SHOW server_version")
