# The two commands a new user runs; both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-pg wheel-check lint format soak bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ordercli demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rP -n auto

# The whole suite again on PostgreSQL: each test on a fresh database of its own on the
# server ORDERCLI_TEST_PG_URL names (tests that are SQLite by nature skip).
test-pg: $(STAMP)
	ORDERCLI_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q -rP -n auto

# Build the wheel, install it into a fresh venv with no checkout beside it (as pipx
# does) and run the demo and a PDF from there.
wheel-check: $(STAMP)
	bash .ci/wheel-check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The soak job also explores new Hypothesis examples (the default suite repeats its own).
soak: $(STAMP)
	ORDERCLI_HYPOTHESIS_RANDOM=1 $(BIN)/python -m pytest -q -rP -m soak

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run_all.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
