# Frontdesk: `make run` serves the demo helpdesk, `make test` runs every check.
PORT ?= 8000
HOST ?= 127.0.0.1
PY := .venv/bin/python
export FRONTDESK_DEBUG ?= 1

.PHONY: run test bench bench-quick install assets messages lint clean-db

.venv/.installed: requirements.lock requirements-dev.lock pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# The optional [ai] extra (semantic search, answer bot): `make run AI=1`; `make test` always
# installs it so both modes are tested. torch comes from the CPU build kept on disk.
.venv/.installed-ai: .venv/.installed requirements-ai.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-ai.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: .venv/.installed node_modules/.installed

assets: node_modules/.installed

run: install $(if $(AI),.venv/.installed-ai,)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) scripts/serve.py --host $(HOST) --port $(PORT)

test: install .venv/.installed-ai
	FRONTDESK_DEBUG=0 scripts/test.sh

bench: install
	$(PY) bench/run.py $(if $(QUICK),--quick,)

messages: install
	$(PY) scripts/messages.py make

lint: install
	.venv/bin/ruff check .

clean-db:
	rm -f var/frontdesk.sqlite3* var/huey.sqlite3*
