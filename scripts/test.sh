#!/usr/bin/env bash
# The whole check, as CI runs it: lint, migrations, translations, then every test on
# SQLite and again on a real PostgreSQL this script starts (browser tests included).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# Management commands below run with the test settings (no production secret needed).
export FRONTDESK_TESTING=1
status=0
step() { printf '\n== %s\n' "$*"; }

step "ruff"
.venv/bin/ruff check . || status=1

step "import contracts (tickets and core never import what reacts to them)"
.venv/bin/lint-imports --no-cache >/dev/null || { .venv/bin/lint-imports --no-cache; status=1; }

step "migrations are complete"
$PY manage.py makemigrations --check --dry-run >/dev/null || { echo "model changes without a migration"; status=1; }

step "translation catalogs compile and are complete"
$PY scripts/messages.py check || status=1

step "production settings pass check --deploy"
FRONTDESK_DEBUG=0 FRONTDESK_TESTING=0 FRONTDESK_HTTPS=1 FRONTDESK_ALLOWED_HOSTS=helpdesk.example.com \
  FRONTDESK_SECRET_KEY="$(head -c 48 /dev/urandom | base64)" \
  $PY manage.py check --deploy --fail-level WARNING || status=1

workers="${FRONTDESK_TEST_WORKERS:-2}"
step "tests on SQLite"
FRONTDESK_VAR_DIR="$(mktemp -d)" .venv/bin/pytest -n "$workers" -q "$@"
rc=$?; [ $rc -eq 0 ] || status=1

step "tests on PostgreSQL"
if pg_url="$(scripts/pg.sh start)"; then
  DATABASE_URL="$pg_url" FRONTDESK_VAR_DIR="$(mktemp -d)" .venv/bin/pytest -n "$workers" -q "$@"
  rc=$?; [ $rc -eq 0 ] || status=1
  scripts/pg.sh stop
else
  if [ -n "${CI:-}" ]; then
    echo "PostgreSQL is required in CI"; status=1
  else
    echo "SKIPPED: PostgreSQL is not installed here, so the PostgreSQL run did not happen."
  fi
fi

[ $status -eq 0 ] && echo "make test: all checks passed" || echo "make test: FAILED"
exit $status
