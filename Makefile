# The two commands of the README: `make demo` and `make test`.
# Each bootstraps .venv from pyproject.toml when it is missing or older than pyproject.toml.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench screenshots clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/atlas-tui --demo

lint: $(STAMP)
	$(VENV)/bin/ruff check atlas_tui tests bench

# The package and the tests; what is checked is set in pyproject.toml ([tool.mypy]).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Every test makes its own simulator (port 0) and state dir (tmp_path), so they run in parallel;
# worksteal, because a few tests take minutes and the rest seconds.
PYTEST_WORKERS ?= 2

test: lint typecheck
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

# `make bench BENCH_ARGS=--quick` (scale:1000 only, ~3 min); see bench/README.md.
bench: $(STAMP)
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)
	$(VENV)/bin/python bench/restore_latency_bench.py

screenshots: $(STAMP)
	$(VENV)/bin/python -m atlas_tui.screenshots screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
