# Smart Shelf. `make demo` sets up and runs everything; `make test` sets up and runs every test tier.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RUNNER := $(PY) -m smart_shelf.runner
PYTEST := $(PY) -m pytest
# `make test`'s processes side by side: most of a test's time is spent waiting on services and clocks
TEST_PROCESSES ?= 3

.PHONY: help setup jars data demo up down status logs history compare-policies ml reconcile report reset test test-unit test-integration e2e bench screenshots lint format clean

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}'

setup: ## install system packages, .venv, jars, .env and the store data (idempotent)
	@conf/setup/install.sh

jars: ## (re)fetch the pinned jars into jars/
	@rm -f jars/.fetched-* && conf/setup/install.sh

demo: setup ## set up and start the whole pipeline natively
	@$(RUNNER) up
	@echo
	@echo "Dashboard: http://127.0.0.1:$${DASH_PORT:-8501}  Logs: logs/<service>.log (make logs S=<service>); status: make status; stop: make down"

data: ## (re)generate the store data into data/ (deterministic for SEED)
	@$(PY) -m store_data

up: ## start services without setup: make up [S="svc ..."]
	@$(RUNNER) up $(S)

down: ## stop what the runner started (data is kept)
	@$(RUNNER) down $(S)

status: ## state, health, memory and consumer lag of every service
	@$(RUNNER) status

logs: ## follow one service's log: make logs S=kafka
	@test -n "$(S)" || (echo "usage: make logs S=<service>" && exit 2)
	@$(RUNNER) logs $(S)

history: setup ## fast-forward DAYS (default 91) simulated days from SIM_START into Delta and Postgres
	@$(RUNNER) up postgres-init redis
	@$(PY) -m smart_shelf.history --days $(or $(DAYS),91)

compare-policies: setup ## ordering policies on the same store and customers: DAYS (28) each after WARMUP, POLICIES (rule,ma28,ml)
	@$(RUNNER) up postgres-init
	@$(PY) -m smart_shelf.history.policy_lab --days $(or $(DAYS),28) $(if $(POLICIES),--policies $(POLICIES)) $(if $(WARMUP),--warmup $(WARMUP))

ml: setup ## train the demand model on the history in the lake, evaluate it beside its baselines, register it
	@$(RUNNER) up postgres-init
	@$(PY) -m ml_model.training_service

reconcile: ## check the ledgers against their events (producers stopped; WAIT=120: until they pass, for a draining pipeline)
	@$(PY) -m smart_shelf.reconcile $(if $(WAIT),--wait $(WAIT))

report: ## what the store's operations did: alerts, plans, orders, deliveries, discounts, stockouts
	@$(PY) -m smart_shelf.ops_report

reset: ## stop everything, wipe data, Delta tables, checkpoints, logs and the CDC slot
	@$(RUNNER) reset

test: setup ## every test tier against real services (what CI runs)
	@$(PYTEST) -n $(TEST_PROCESSES) --dist loadgroup tests

test-unit: ## the fast tier: pure rules, no services
	@$(PYTEST) tests/unit

test-integration: setup ## integration tier against real services
	@$(PYTEST) tests/integration

e2e: setup ## end-to-end tier
	@$(PYTEST) tests/e2e

bench: setup ## benchmarks; writes docs/benchmarks.md
	@$(PY) -m tests.bench

screenshots: ## screenshots of every dashboard page into docs/images (with make demo running)
	@$(PY) -m tests.e2e.browser --url http://127.0.0.1:$${DASH_PORT:-8501} --out docs/images

lint: ## check formatting and lint rules (no changes)
	@$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check .

format: ## fix formatting and auto-fixable lint
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean: ## remove caches (not data)
	@find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	@rm -rf .pytest_cache .ruff_cache
