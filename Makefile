# genepool: the README's two commands are `make demo` and `make test`; everything else is for developers.
# Each target creates the virtualenv and installs the extras its job needs (stamped, so repeats are cheap).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test test-fast lint format image-check bench install install-test install-infra install-bench clean \
  system-deps system-deps-image-check dev-cluster

$(BIN)/python:
	@$(PYTHON) -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11), "genepool needs Python 3.11+"' \
	  || { echo "error: need Python 3.11+ with venv/ensurepip (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[test,infra,ray]"
	@touch $@

$(VENV)/.installed-infra: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[infra]"
	@touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[bench,ray]"
	@touch $@

## Debian packages, installed with apt-get (as root, or through sudo) only when a program they provide is missing;
## elsewhere, or without the right, they stop with the command to run. Lists and rules: system-deps/.
system-deps:
	@$(PYTHON) system-deps/install.py system-deps/test.txt

system-deps-image-check:
	@$(PYTHON) system-deps/install.py system-deps/image-check.txt

install: $(VENV)/.installed-core
install-test: $(VENV)/.installed-test
install-infra: $(VENV)/.installed-infra
install-bench: $(VENV)/.installed-bench

## The main job on embedded defaults (no cloud, no servers).
demo: $(VENV)/.installed-core
	$(BIN)/genepool demo

## The whole test suite, after the system packages it starts (Redis, PostgreSQL, promtool, amtool).
test: system-deps $(VENV)/.installed-test
	$(BIN)/python -m pytest

## The unit-level tests only, while editing: no Redis, PostgreSQL, Ray or podman (markers integration, slow and image
## left out, tests/integration/ and tests/image/ not collected), so no system packages beyond the test extra.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m 'not integration and not slow and not image' --ignore=tests/integration --ignore=tests/image

## Lint and types: ruff (lint + format check) and mypy, configured in pyproject.toml.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Build the workload image with podman (on a stand-in Ray base without registry access) and check it runs as the
## cluster runs it: tests/image/, marker `image`, left out of `make test`.
image-check: system-deps-image-check $(VENV)/.installed-test
	PYTHON=$(BIN)/python bash images/check-image.sh

## The local kind cluster the dev stack expects, with the workload image loaded (checks for kind, kubectl and docker
## or podman first, and says how to install what is missing). DRY_RUN=1 prints the commands.
dev-cluster:
	bash infra/dev-cluster.sh

## Apply ruff's formatter and safe fixes.
format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Benchmarks: print figures and write JSON under bench-results/ (never asserted in tests).
bench: $(VENV)/.installed-bench
	$(BIN)/genepool bench --out bench-results/bench.json

clean:
	rm -rf $(VENV) bench-results demo-output .pytest_cache
