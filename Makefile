# The two set-up commands: `make demo` and `make test`. Both create the venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8765
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: venv demo test lint dev bench bench-quick simulator clean

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

## The simulator on its own (demo scale) on $(PORT).
simulator: venv
	$(BIN)/zd-pipeline simulator --port $(PORT) --scale demo

## The Dagster UI against a running simulator (start `make simulator` in another terminal first).
dev: venv
	mkdir -p $(DAGSTER_HOME)
	cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml || true
	ZENDESK_BASE_URL=$${ZENDESK_BASE_URL:-http://127.0.0.1:$(PORT)} ZENDESK_REQUESTS_PER_MINUTE=$${ZENDESK_REQUESTS_PER_MINUTE:-0} \
		$(BIN)/dagster dev -w workspace.yaml

## Benchmarks (not part of `make test`): prints one table of figures against their goals.
bench: venv
	$(BIN)/python -m bench.run

bench-quick: venv
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
