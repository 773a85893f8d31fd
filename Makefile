# Every target bootstraps .venv with the locked dependency set (uv.lock), so a fresh machine needs
# only Python 3.11+ and make.
SHELL := /bin/bash
PORT ?= 9000
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .venv-tools/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: dev test lint typecheck bench synth deploy clean

$(UV):
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra local
	@touch $(STAMP)

dev: $(STAMP)  ## start the local stack on http://127.0.0.1:$(PORT)
	$(VENV)/bin/agent-runtime dev --port $(PORT)

test: $(STAMP)  ## every suite: lint, types, unit, integration, contract, e2e
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python bench/cold_start.py

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .mypy_cache .ruff_cache cdk.out
