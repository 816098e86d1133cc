#!/usr/bin/env bash
# Benchmark peer: django-helpdesk 2.6.1 on the PostgreSQL named by
# PEER_DATABASE_URL. Creates bench/peer/.venv if needed, then
#   seed.py    (drop + recreate the schema, migrate, bulk-load N tickets)
#   measure.py (gunicorn on 127.0.0.1:<free port>, timed requests)
# and prints one JSON object on stdout (progress goes to stderr).
#
# Usage: bench/peer/run.sh [--tickets N] [--out FILE] [--skip-seed] [-- measure.py args...]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PYTHON="${PEER_PYTHON:-python3}"
TICKETS=100000
OUT=""
SKIP_SEED=0
EXTRA=()

while [ $# -gt 0 ]; do
  case "$1" in
    --tickets) TICKETS="$2"; shift 2 ;;
    --tickets=*) TICKETS="${1#*=}"; shift ;;
    --out) OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#*=}"; shift ;;
    --skip-seed) SKIP_SEED=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done

if [ -z "${PEER_DATABASE_URL:-}" ]; then
  echo "run.sh: PEER_DATABASE_URL is not set (postgresql://user@host:port/dbname)" >&2
  exit 64
fi

# (Re)build the venv when missing or when requirements.txt changed.
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "[peer] creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
  echo "$WANT" > "$STAMP"
fi

PY="$VENV/bin/python"
if [ "$SKIP_SEED" -eq 0 ]; then
  # seed.py prints its own summary JSON; keep stdout for the result only.
  "$PY" "$HERE/seed.py" --tickets "$TICKETS" 1>&2
fi

MEASURE_ARGS=()
if [ -n "$OUT" ]; then
  mkdir -p "$(dirname "$OUT")"
  MEASURE_ARGS+=(--out "$OUT")
fi
exec "$PY" "$HERE/measure.py" "${MEASURE_ARGS[@]}" "${EXTRA[@]}"
