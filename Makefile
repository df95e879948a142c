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

.PHONY: run test install dev system-deps lint typecheck neo4j-install neo4j-start neo4j-stop bench sample clean

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
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; \
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

# Lint first, so a lint failure never leaves a Neo4j server running.
test: $(DEVSTAMP) system-deps
	$(MAKE) lint
	$(MAKE) neo4j-start
	status=0; $(PY) -m pytest -q --doctest-modules orgbridge tests || status=$$?; \
	$(MAKE) neo4j-stop; exit $$status

# ORGBRIDGE_BENCH_FULL=1 adds the million-person runs (tens of minutes).
bench: $(DEVSTAMP) neo4j-start
	status=0; $(PY) -m bench || status=$$?; $(MAKE) neo4j-stop; exit $$status

sample: $(STAMP)
	$(PY) examples/make_sample.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
