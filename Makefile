# orgbridge: two commands set everything up. `make run` starts the app on the sample
# organisation; `make test` installs what the tests need, starts Neo4j and runs every test.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ORGBRIDGE := $(VENV)/bin/orgbridge
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.dev-installed
WORKSPACE ?= workspace
PORT ?= 8050
SAMPLE := examples/sample
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install dev system-deps lint typecheck neo4j-install neo4j-start neo4j-stop \
	redis-start redis-stop bench sample screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

install: $(STAMP)

$(DEVSTAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

dev: $(DEVSTAMP)

run: $(STAMP)
	$(ORGBRIDGE) ingest --workspace $(WORKSPACE) --staff $(SAMPLE)/staff.csv \
		--projects $(SAMPLE)/projects.csv --pairs $(SAMPLE)/pairs.csv \
		--sponsorships $(SAMPLE)/sponsorships.csv --map $(SAMPLE)/mapping.json
	$(ORGBRIDGE) programme import-state $(SAMPLE)/programme --workspace $(WORKSPACE) --replace
	$(ORGBRIDGE) summary --workspace $(WORKSPACE)
	$(ORGBRIDGE) analyze --workspace $(WORKSPACE) --json $(WORKSPACE)/analysis.json \
		--html $(WORKSPACE)/report.html
	$(ORGBRIDGE) app --workspace $(WORKSPACE) --port $(PORT) --demo-users

# Debian's chromium and its chromedriver drive the browser tests; nothing downloads a browser.
# Debian's redis-server carries the job queue (`orgbridge app --queue`, `orgbridge worker`).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
		|| ! command -v redis-server >/dev/null; then \
		$(SUDO) apt-get update -q && \
		$(SUDO) apt-get install -y -q chromium chromium-driver redis-server; \
	fi

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check orgbridge tests bench tools examples
	$(VENV)/bin/ruff format --check orgbridge tests bench tools examples
	$(VENV)/bin/mypy

typecheck: lint

neo4j-install: $(STAMP)
	$(PY) tools/neo4j_server.py install

neo4j-start: neo4j-install
	$(PY) tools/neo4j_server.py start

neo4j-stop:
	@if [ -x $(PY) ]; then $(PY) tools/neo4j_server.py stop; fi

# A private Redis on 127.0.0.1 (ORGBRIDGE_REDIS_PORT, default 6379), state under .redis/,
# nothing persisted.
redis-start:
	$(PYTHON) tools/redis_server.py start

redis-stop:
	$(PYTHON) tools/redis_server.py stop

# Lint first, so a lint failure never leaves a server running; both servers always stop.
test: $(DEVSTAMP) system-deps
	$(MAKE) lint
	status=0; $(MAKE) neo4j-start && $(MAKE) redis-start || status=$$?; \
	if [ $$status = 0 ]; then \
		$(PY) -m pytest -q --doctest-modules orgbridge tests || status=$$?; fi; \
	$(MAKE) redis-stop; $(MAKE) neo4j-stop; exit $$status

# ORGBRIDGE_BENCH_FULL=1 adds the million-person runs (tens of minutes).
bench: $(DEVSTAMP) neo4j-start
	status=0; $(PY) -m bench || status=$$?; $(MAKE) neo4j-stop; exit $$status

# Every page for every role on the sample, in headless chromium, into docs/screenshots/.
screenshots: $(DEVSTAMP) system-deps
	$(PY) tools/screenshots.py

sample: $(STAMP)
	$(PY) examples/make_sample.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
