#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL for the test suite and the benchmark.
# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
# Usage: scripts/pg.sh start|stop|url   (env: FRONTDESK_PG_DIR, FRONTDESK_PG_PORT)
set -euo pipefail
dir="${FRONTDESK_PG_DIR:-/tmp/frontdesk-pg}"
port="${FRONTDESK_PG_PORT:-54329}"
db="${FRONTDESK_PG_DB:-frontdesk}"

bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
BIN="$(bindir)"
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
      echo "PostgreSQL server binaries not found (install the postgresql package)." >&2
      exit 3
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = "0" ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
        -o "-p $port -k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c max_connections=200" start >/dev/null
    fi
    as_pg "$BIN/psql" -h "$dir" -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || as_pg "$BIN/createdb" -h "$dir" -p "$port" -U postgres "$db"
    echo "postgresql://postgres@/$db?host=$dir&port=$port"
    ;;
  stop)
    if [ -n "$BIN" ] && [ -f "$dir/data/PG_VERSION" ]; then
      as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    fi
    ;;
  url)
    echo "postgresql://postgres@/$db?host=$dir&port=$port"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
