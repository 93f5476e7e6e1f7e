# Every target bootstraps its own virtualenv, so a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/roadmap-sync demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m 'not slow'

lint: $(STAMP)
	$(BIN)/ruff check roadmap_sync tests bench
	$(BIN)/ruff format --check roadmap_sync tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.sandbox_throughput
	$(BIN)/python -m bench.sync_throughput
	$(BIN)/python -m bench.report_speed
	$(BIN)/python -m bench.rate_limits
	$(BIN)/python -m bench.steady_state

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
