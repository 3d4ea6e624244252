# Two entry points: `make repro` runs the pipeline on params.yaml, `make test` lints and runs the test suite.
# Each creates .venv on first use (Python 3.11) and is safe to run again.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import t2v, torch, dvc" && touch $(STAMP)

.PHONY: install repro lint test bench
install: $(STAMP)

repro: $(STAMP)
	PATH=$(BIN):$$PATH dvc repro

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	PATH=$(BIN):$$PATH python -m pytest -q

bench: $(STAMP)
	PATH=$(BIN):$$PATH t2v bench
