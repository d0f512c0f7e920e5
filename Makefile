# hhht-power: `make run` (the portal with demo data, no servers needed) and `make test` (everything,
# on real PostgreSQL and Redis, which it starts or installs when absent).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS_STAMP := node_modules/.installed

# Test environment: real PostgreSQL and Redis on this machine.
TEST_ENV := DATABASE_URL=$${DATABASE_URL:-postgres://hhht:hhht@127.0.0.1:5432/hhht} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15} \
	DJANGO_ALLOW_ASYNC_UNSAFE=true

.PHONY: run test install assets services lint check-migrations pytest smoke bench clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

install: $(STAMP) assets

$(ASSETS_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

services:
	@bash scripts/ensure-services.sh

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v 0
	@bash scripts/run.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .

check-migrations: $(STAMP)
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

pytest: install
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_ARGS)

test: services install lint check-migrations pytest

# The deployment on loopback (nginx, two web instances, worker, beat, Redis, S3), the restore drill,
# metrics, logs and the beat lock: a part of `make test`, alone here.
smoke: services install
	$(TEST_ENV) $(VENV)/bin/pytest tests/deploy $(PYTEST_ARGS)

bench: install
	@echo "See bench/README.md for the benchmarks and their options."

clean:
	rm -rf $(VENV) node_modules var artifacts .pytest_cache .ruff_cache
