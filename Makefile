# The two set-up commands: `make demo` and `make test`. Both create the venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8765
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: venv demo test lint dev bench bench-quick simulator screenshot clean

$(BIN)/zd-pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

venv: $(BIN)/zd-pipeline

## Start the simulator at demo scale, sync every stream through Dagster into data/zendesk.duckdb, print what landed.
demo: venv
	$(BIN)/zd-pipeline demo

## Lint, then the whole suite in parallel (under 10 minutes on 2 cores).
test: venv
	$(BIN)/ruff check zd_pipeline zd_pipeline_tests bench
	$(BIN)/ruff format --check zd_pipeline zd_pipeline_tests bench
	$(BIN)/pytest -n auto -q

lint: venv
	$(BIN)/ruff check --fix zd_pipeline zd_pipeline_tests bench
	$(BIN)/ruff format zd_pipeline zd_pipeline_tests bench

## The simulator on its own on $(PORT), with the demo's data set (scale and seed) and Zendesk's rate limit.
simulator: venv
	$(BIN)/zd-pipeline simulator --port $(PORT) --scale demo --seed 42

## The Dagster UI on http://$(UI_HOST):$(UI_PORT): on the demo's data (the simulator starts with it) unless
## ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL is set. `exec`, so Ctrl-C or `kill` of make's PID reaches the command,
## which stops every process it started.
dev: venv
	exec $(BIN)/zd-pipeline dev --host $(UI_HOST) --port $(UI_PORT)

## Benchmarks (not part of `make test`): prints one table of figures against their goals.
bench: venv
	$(BIN)/python -m bench.run

bench-quick: venv
	$(BIN)/python -m bench.run --quick

## docs/asset-graph.png: the Dagster UI's asset graph after a small demo sync, taken in headless Chromium
## (Debian's `chromium` package: installed here when run as root with apt-get, otherwise named for you to install).
screenshot: venv
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
		else echo "make screenshot needs Debian's Chromium: sudo apt-get install -y chromium" >&2; exit 2; fi; }
	$(BIN)/python docs/screenshot.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
