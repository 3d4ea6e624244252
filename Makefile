# Entry points: `make repro` runs the pipeline on params.yaml, `make test` lints and runs the test suite,
# `make serve` starts the demo page. Each creates .venv on first use (Python 3.11) and installs only what it
# needs: the pipeline alone for repro (about 20 s less than with the test tools), the demo extra for serve,
# the test extra (which holds the demo's) for test. All are safe to run again.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PIP := $(BIN)/pip install -q --disable-pip-version-check
# uv installs everything, resolving and downloading in parallel. torch and torchvision (as pyproject.toml
# bounds them) come from where the machine's pip configuration finds packages, which on the development hosts
# serves their multi-GB wheels from local disk: 13 s, where pip took 37. The rest, some 130 packages for dvc
# alone, come from uv's own index (5 s, where pip took 40): uv takes each package from the first index that
# holds it, and a local mirror may hold only older versions.
TORCH := $(shell grep -oE '"torch(vision)?[<>=!~][^"]*"' pyproject.toml)
UV := $(BIN)/uv pip install -q --python $(BIN)/python
# pip's configured package sources (index-url, extra-index-url, find-links, constraint, from its files and
# PIP_* variables) as uv's options: `pip config list` prints each value as a Python literal.
define PIP_SOURCES
import ast, sys
flags = []
for line in sys.stdin:
    key, _, value = line.strip().partition("=")
    option = key.rpartition(".")[2]
    if option in ("index-url", "extra-index-url", "find-links", "constraint"):
        try:
            flags += [f"--{option}={v}" for v in ast.literal_eval(value).split()]
        except (ValueError, SyntaxError, AttributeError):
            print(f"ignored pip setting {line.strip()!r}", file=sys.stderr)
print(" ".join(dict.fromkeys(flags)))
endef
export PIP_SOURCES
UV_PIP_SOURCES = $$($(BIN)/pip config list 2>/dev/null | $(BIN)/python -c "$$PIP_SOURCES")
# Where uv fails (it cannot reach an index, say, or a mirror lacks a version), pip installs the same
# requirements instead, with the machine's configuration. $(1): the requirements, $(2): uv's extra options.
UV_OR_PIP = $(UV) $(2) $(1) || { echo "uv failed: pip installs these requirements instead"; $(PIP) --no-compile $(1) $(QUIET); }
QUIET := 2>&1 | grep -v "^WARNING: Location" || true
STAMP := $(VENV)/.installed
# Neither installer byte-compiles here (pip is told not to, uv does not by default): of torch's thousands
# of modules the pipeline imports a fraction. So the base install leaves bytecode to the imports that need
# it, and the commands that run Python write it as they go, even where PYTHONDONTWRITEBYTECODE is set (its
# files go to __pycache__ folders, which git and DVC ignore). The test and demo installs compile the rest,
# on every core, so that a test's processes never compile it again.
WRITE_BYTECODE := env -u PYTHONDONTWRITEBYTECODE
COMPILE_REST := $(BIN)/python -m compileall -qq -j 0 \
	$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_path('purelib'))") || true
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A rule of its own, so that a venv built before uv was used gets it too.
$(BIN)/uv: | $(BIN)/python
	$(PIP) --no-compile uv $(QUIET)

$(STAMP): pyproject.toml | $(BIN)/uv
	$(call UV_OR_PIP,$(TORCH),$(UV_PIP_SOURCES))
	$(call UV_OR_PIP,-e .)
	$(WRITE_BYTECODE) $(BIN)/python -c "import t2v, torch, dvc" && touch $(STAMP)

$(DEMO_STAMP): $(STAMP) | $(BIN)/uv
	$(call UV_OR_PIP,-e '.[demo]')
	$(COMPILE_REST)
	$(BIN)/python -c "import gradio" && touch $(DEMO_STAMP)

$(TEST_STAMP): $(STAMP) | $(BIN)/uv
	$(call UV_OR_PIP,-e '.[test]')
	$(COMPILE_REST)
	$(BIN)/python -c "import pytest, gradio, playwright" && touch $(TEST_STAMP)

.PHONY: install repro lint test bench serve
install: $(STAMP)

repro: $(STAMP)
	PATH=$(BIN):$$PATH $(WRITE_BYTECODE) dvc repro

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	PATH=$(BIN):$$PATH python -m pytest -q

bench: $(STAMP)
	PATH=$(BIN):$$PATH $(WRITE_BYTECODE) t2v bench

serve: $(DEMO_STAMP)
	$(BIN)/t2v serve
