# The two commands a new user runs; both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-pg wheel-check lint format soak bench bench-quick docs docs-reference doc-examples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# MkDocs only for those who build the manual: the `docs` extra on top of the test tools.
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(DOCS_STAMP)

demo: $(STAMP)
	$(BIN)/ordercli demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rPfE -n auto

# The whole suite again on PostgreSQL: each test on a fresh database of its own on the
# server ORDERCLI_TEST_PG_URL names (tests that are SQLite by nature skip).
test-pg: $(STAMP)
	ORDERCLI_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q -rPfE -n auto

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
	ORDERCLI_HYPOTHESIS_RANDOM=1 $(BIN)/python -m pytest -q -rPfE -m soak

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run_all.py --quick

# The manual in docs/ as a website in site/; --strict fails on a broken link.
docs: $(DOCS_STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

# docs/reference.md from the command line itself (a test fails when it is out of date).
docs-reference: $(STAMP)
	$(BIN)/python tools/gen_reference.py > docs/reference.md.tmp
	mv docs/reference.md.tmp docs/reference.md

# Rewrite the shown output of every `$ ordercli …` example in README.md and docs/ to
# what ordercli prints now; review the change with `git diff` before committing it.
doc-examples: $(STAMP)
	ORDERCLI_UPDATE_DOC_EXAMPLES=1 $(BIN)/python -m pytest -q -n auto -p no:cacheprovider tests/test_doc_examples.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info site
