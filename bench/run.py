#!/usr/bin/env python
"""`make bench`: seed, measure Frontdesk and django-helpdesk, write the results.

    .venv/bin/python bench/run.py [--quick] [--tickets N] [--skip-seed] [--skip-peer]

1. Starts the benchmark's own PostgreSQL (bench/pgserver.py: separate data dir and port,
   durable settings) and (re)creates the databases bench_frontdesk and bench_peer.
2. Seeds Frontdesk (bench/seed.py) and measures it (bench/measure.py).
3. Runs the django-helpdesk peer (bench/peer/run.sh, its own virtualenv) on bench_peer with
   the same ticket count, if that script exists.
4. Writes bench/results.json (metric -> number; the peer's prefixed ``peer_``) and
   docs/benchmarks.md, then stops PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import pgserver  # noqa: E402
import report  # noqa: E402

WORK = Path(os.environ.get("FRONTDESK_BENCH_WORK", "/tmp/frontdesk-bench"))
FULL_TICKETS = 1_000_000
QUICK_TICKETS = 100_000


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help=f"{QUICK_TICKETS:,} tickets")
    p.add_argument("--tickets", type=int, help="override the ticket count")
    p.add_argument("--skip-seed", action="store_true",
                   help="measure the databases seeded by an earlier run (same size)")
    p.add_argument("--skip-peer", action="store_true")
    p.add_argument("--keep-pg", action="store_true", help="leave PostgreSQL running")
    p.add_argument("--skip-capabilities", action="store_true",
                   help="only the request timings (no bench/*_bench.py scripts)")
    p.add_argument("--only", help="comma-separated capability scripts to run (sla,kb,mail,...)")
    p.add_argument("--skip-requests", action="store_true",
                   help="reuse the request timings of the last run (bench/results.json)")
    return p.parse_args()


def machine() -> dict[str, object]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "pg_version": pgserver.version(), "kernel": platform.release(),
        "pg_settings": ", ".join(f"{k}={v}" for k, v in pgserver.SERVER_OPTIONS.items()
                                 if k not in ("listen_addresses",)),
    }


def frontdesk_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": pgserver.url("bench_frontdesk"),
        "FRONTDESK_DEBUG": "0",
        "FRONTDESK_SECRET_KEY": secrets.token_urlsafe(40),
        "FRONTDESK_ALLOWED_HOSTS": "127.0.0.1",
        "FRONTDESK_VAR_DIR": str(WORK / "var"),
        "FRONTDESK_STATIC_ROOT": str(WORK / "static"),
    })
    env.pop("REDIS_URL", None)
    return env


def run_json(cmd: list[str], env: dict[str, str], what: str) -> dict:
    log(f"{what}: {' '.join(cmd)}")
    out = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,  # noqa: S603
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1] if what == "seed" else out.stdout)


def run_peer(tickets: int, skip_seed: bool) -> tuple[dict, str]:
    script = HERE / "peer" / "run.sh"
    if not script.exists():
        return {}, "missing (bench/peer/run.sh does not exist yet)."
    out_file = WORK / "peer.json"
    out_file.unlink(missing_ok=True)
    env = dict(os.environ, PEER_DATABASE_URL=pgserver.url("bench_peer"))
    cmd = ["bash", str(script), "--tickets", str(tickets), "--out", str(out_file)]
    if skip_seed:
        cmd.append("--skip-seed")
    log(f"peer: {' '.join(cmd)}")
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)  # noqa: S603
    if done.returncode != 0 or not out_file.exists():
        return {}, f"the peer run failed (exit code {done.returncode}); see its stderr above."
    data = json.loads(out_file.read_text())
    note = (f"django-helpdesk {data.get('peer_version', '?')}, seeded and measured by "
            f"bench/peer/run.sh in {(time.monotonic() - t0) / 60:.1f} min.")
    if data.get("peer_errors"):
        note += f" Errors it reported: {data['peer_errors']}"
    return data, note


# Capability scripts, run in this order after the request timings (each optional: a missing
# script is skipped). The reporting script goes last: it tops the events table up.
CAPABILITY_SCRIPTS: list[tuple[str, list[str]]] = [
    ("sla_bench.py", []),
    ("kb_bench.py", []),
    ("automation_bench.py", []),
    ("mail_bench.py", []),
    ("reporting_bench.py", ["--events", "10000000"]),
    # its own SQLite database (GNOME help center, BANKING77, synthesized 1M-vector index)
    ("ai_bench.py", ["--threads", "2", "--var", "/tmp/frontdesk-ai-bench"]),
]


def last_json(text: str) -> dict | None:
    """The last JSON object a script printed (one line or indented over several)."""
    lines = text.rstrip().splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].startswith("{"):
            try:
                data = json.loads("\n".join(lines[start:]))
            except ValueError:
                continue
            return data if isinstance(data, dict) else None
    return None


def run_capabilities(env: dict[str, str], only: set[str] | None) -> tuple[dict, list[str]]:
    """Run each capability script against bench_frontdesk; a failure is a note, not a stop."""
    results: dict = {}
    notes: list[str] = []
    for script, extra in CAPABILITY_SCRIPTS:
        name = script.removesuffix("_bench.py")
        path = HERE / script
        if only is not None and name not in only:
            continue
        if not path.exists():
            notes.append(f"`bench/{script}` does not exist: not measured.")
            continue
        cmd = [sys.executable, str(path), *extra]
        script_env = env
        if script == "mail_bench.py":
            pgserver.recreate_database("bench_mail")
            cmd += ["--database-url", pgserver.url("bench_mail"), "--peer"]
            # django-helpdesk's get_email runs on the same mails against its own database
            script_env = {**env, "PEER_DATABASE_URL": pgserver.url("bench_peer")}
        log(f"capability {name}: {' '.join(cmd)}")
        t0 = time.monotonic()
        done = subprocess.run(cmd, cwd=ROOT, env=script_env, stdout=subprocess.PIPE,  # noqa: S603
                              text=True, check=False)
        if data_note := (last_json(done.stdout) or {}).get("peer_mail_note"):
            notes.append(f"`bench/{script}`: {data_note}")
        data = last_json(done.stdout)
        if done.returncode != 0 or data is None:
            notes.append(f"`bench/{script}` failed (exit code {done.returncode}); see its "
                         "stderr in the run's log.")
            continue
        results.update(numbers(data))
        log(f"capability {name}: {time.monotonic() - t0:.0f} s")
    return results, notes


def numbers(data: dict) -> dict[str, float | int | None]:
    return {k: v for k, v in data.items()
            if v is None or (isinstance(v, int | float) and not isinstance(v, bool))}


def main() -> int:
    args = parse_args()
    tickets = args.tickets or (QUICK_TICKETS if args.quick else FULL_TICKETS)
    WORK.mkdir(parents=True, exist_ok=True)
    env = frontdesk_env()
    seed_file = WORK / f"seed-{tickets}.json"
    log(f"PostgreSQL in {pgserver.PG_DIR} on port {pgserver.PG_PORT}")
    pgserver.start()
    try:
        if args.skip_seed:
            if not seed_file.exists():
                raise RuntimeError(f"--skip-seed: no earlier seed of {tickets} tickets")
            seed = json.loads(seed_file.read_text())
            # Earlier runs wrote tickets and changed some (creates, SLA and automation
            # scripts, the peer's own requests): vacuum both databases, so a remeasure
            # starts from the state a seed ends in, the same for both helpdesks.
            for db in ("bench_frontdesk", "bench_peer"):
                try:
                    pgserver.psql(db, "VACUUM (ANALYZE)")
                except RuntimeError as exc:  # no peer database yet: it is seeded below
                    log(f"vacuum {db}: {exc}")
        else:
            pgserver.recreate_database("bench_frontdesk")
            pgserver.recreate_database("bench_peer")
            seed = run_json([sys.executable, str(HERE / "seed.py"), "--tickets", str(tickets)],
                            env, "seed")
            seed_file.write_text(json.dumps(seed))
        log(f"seeded {tickets:,} tickets in {seed['seed_seconds'] / 60:.1f} min")
        meta_file = WORK / "measure-meta.json"
        previous = json.loads((HERE / "results.json").read_text()) if args.skip_requests else {}
        if args.skip_requests:
            ours = {k: v for k, v in previous.items() if not k.startswith("peer_")}
            peer = {k: v for k, v in previous.items() if k.startswith("peer_")}
            peer_note = json.loads((WORK / "peer-note.json").read_text()) if (
                WORK / "peer-note.json").exists() else ""
        else:
            ours = run_json([sys.executable, str(HERE / "measure.py"), "--meta",
                             str(meta_file)], env, "measure")
            if args.skip_peer:
                # Keep the last measured django-helpdesk figures, saying so, rather than none.
                last = json.loads((HERE / "results.json").read_text()) if (
                    HERE / "results.json").exists() else {}
                peer = {k: v for k, v in last.items() if k.startswith("peer_")}
                earlier = json.loads((WORK / "peer-note.json").read_text()) if (
                    WORK / "peer-note.json").exists() else ""
                peer_note = (f"not measured again in this run (--skip-peer); its figures are "
                             f"from the previous run: {earlier}") if peer else "skipped (--skip-peer)."
            else:
                peer, peer_note = run_peer(tickets, args.skip_seed)
                (WORK / "peer-note.json").write_text(json.dumps(peer_note))
        capabilities, capability_notes = ({}, []) if args.skip_capabilities else (
            run_capabilities(env, set(args.only.split(",")) if args.only else None))
        info = machine()
    finally:
        if not args.keep_pg:
            pgserver.stop()
    # A run that skips or picks capability scripts keeps the last run's other figures (the
    # scripts' auxiliary ones too); what this run measured replaces them.
    keep = json.loads((HERE / "results.json").read_text()) if (
        (args.only or args.skip_capabilities) and (HERE / "results.json").exists()) else {}
    results = {**keep, **numbers(ours), **{k: v for k, v in numbers(peer).items()
                                           if k.startswith("peer_")}, **capabilities}
    results.update({"tickets": seed["counts"]["tickets"], "messages": seed["counts"]["messages"],
                    "seed_seconds": seed["seed_seconds"]})
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    run = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info, "seed": seed, "results": results,
        "measure_meta": json.loads(meta_file.read_text()) if meta_file.exists() else {},
        "peer_note": peer_note,
        "capability_notes": capability_notes,
        "command": "make bench" + (" QUICK=1" if tickets == QUICK_TICKETS else "")
        if not args.tickets else f"bench/run.py --tickets {tickets}",
        "notes": notes_for(results),
    }
    report.write(ROOT / "docs" / "benchmarks.md", run)
    log("wrote bench/results.json and docs/benchmarks.md")
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


def notes_for(results: dict) -> list[str]:
    notes = []
    for name, (target, higher) in report.TARGETS.items():
        value = results.get(name)
        if value is None:
            notes.append(f"`{name}` was not measured.")
        elif (value < target) if higher else (value >= target):
            notes.append(f"`{name}` = {value} misses its target ({target}).")
    return notes


if __name__ == "__main__":
    sys.exit(main())
