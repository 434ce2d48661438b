# Two commands do everything on a fresh machine (Python 3.11+, Node 20, make):
#   make demo   run the example app (chat, completion, trip planner)
#   make test   install everything and run every check and test
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
export UV_PYTHON_DOWNLOADS := never
VENV := .venv
PY := $(VENV)/bin/python
NODE_DIR := tests/conformance/node
NODE_STAMP := $(NODE_DIR)/node_modules/.package-lock.json

.PHONY: help bootstrap install lock system-deps docs releases test lint typecheck pytest test-reliability test-e2e bench demo format clean

help:
	@echo "make test   - install (uv, Python env, node conformance clients) and run ruff, mypy, pytest (with coverage)"
	@echo "make test-reliability - run only the reliability suite (tests/reliability)"
	@echo "make test-e2e - browser end-to-end tests of the example app (needs /usr/bin/chromium)"
	@echo "make bench  - run the benchmarks and write bench/RESULTS.md"
	@echo "make releases - rescan the published ai client releases into the release table"
	@echo "make docs   - build the documentation site into build/site (strict: broken links fail)"
	@echo "make demo   - run the example app (chat, completion, trip planner)"

bootstrap:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

# Locks: requirements/*.txt, made by `make lock` (uv pip compile) - pinned versions, no index URLs.
install: bootstrap $(NODE_STAMP)
	@test -x $(PY) || $(UV) venv --quiet --python "$$(command -v python3)" $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements/dev.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .

lock: bootstrap
	$(UV) pip compile pyproject.toml --group dev --universal --python-version 3.11 -q --no-header -o requirements/dev.txt
	$(UV) pip compile pyproject.toml --group bench --universal --python-version 3.11 -q --no-header -o requirements/bench.txt

$(NODE_STAMP): $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error

lint: install
	$(VENV)/bin/ruff check src tests bench scripts example/backend docs/examples docs/getting-started/app/backend
	$(VENV)/bin/ruff format --check src tests bench scripts example/backend docs/examples docs/getting-started/app/backend

typecheck: install
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy docs/getting-started/app/backend/main.py

# With branch coverage ([tool.coverage] in pyproject.toml): at least 95% overall, and at least 90%
# (lines and branches) for every module (scripts/check_coverage.py lists the modules under it).
# A plain `pytest` measures nothing.
COVERAGE_TOTAL ?= 95
COVERAGE_MODULE ?= 90
pytest: install
	$(VENV)/bin/pytest -q --cov --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_TOTAL)
	$(VENV)/bin/python scripts/check_coverage.py --fail-under $(COVERAGE_MODULE)

# Only the reliability suite (tests/reliability: real servers, storms, fuzzing; ~1 minute).
# `make test` runs it too, with everything else.
test-reliability: install
	@bash scripts/system_deps.sh redis-server
	$(VENV)/bin/pytest -q -m reliability tests/reliability

# The programs the tests start (a real redis-server): installed with apt-get when missing and
# possible, else named in one line before anything runs.
system-deps:
	@bash scripts/system_deps.sh redis-server

test: system-deps lint typecheck pytest

# The documentation site (mkdocs-material + mkdocstrings) into build/site/. Strict: a broken link
# or reference fails. `make test` builds it too (tests/docs), and runs every program it shows.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Rescan the published `ai` releases (npm registry; minutes): installs the new ones side by side,
# walks each one's real chunk schema and rewrites src/ai_stream/protocol/_client_releases.py and
# scripts/CLIENT_RELEASES.md. Commit both, then `make test`.
releases:
	node scripts/scan_client_releases.mjs

# The property suite (tests/property) for long: random writer programs replayed through the real
# clients, 5000 per target by default, from a random seed (printed; AI_STREAM_FUZZ_SEED=<n>
# replays a run). Ends with the programs run per target and the failures by signature.
.PHONY: fuzz
FUZZ_EXAMPLES ?= 5000
fuzz: install
	AI_STREAM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q tests/property/test_programs.py

format: install
	$(VENV)/bin/ruff format src tests bench scripts example/backend docs/examples docs/getting-started/app/backend
	$(VENV)/bin/ruff check --fix src tests bench scripts example/backend docs/examples docs/getting-started/app/backend

BENCH_VENV := .venv-bench
BENCH_NODE_DIR := bench/node
BENCH_NODE_STAMP := $(BENCH_NODE_DIR)/node_modules/.package-lock.json

# The TypeScript reference server of the trickling-streams section (the real `ai` package).
$(BENCH_NODE_STAMP): $(BENCH_NODE_DIR)/package-lock.json
	cd $(BENCH_NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error

# BENCH_ARGS passes options to bench/run.py, e.g. `make bench BENCH_ARGS=--quick`.
bench: bootstrap $(BENCH_NODE_STAMP)
	@test -x $(BENCH_VENV)/bin/python || $(UV) venv --quiet --python "$$(command -v python3)" $(BENCH_VENV)
	$(UV) pip sync --quiet --python $(BENCH_VENV)/bin/python requirements/bench.txt
	$(UV) pip install --quiet --python $(BENCH_VENV)/bin/python --no-deps -e .
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)

FRONTEND_DIR := example/frontend
FRONTEND_STAMP := $(FRONTEND_DIR)/node_modules/.package-lock.json
BACKEND_PORT ?= 8000
FRONTEND_PORT ?= 3000

$(FRONTEND_STAMP): $(FRONTEND_DIR)/package-lock.json
	cd $(FRONTEND_DIR) && npm ci --no-audit --no-fund --loglevel=error

# The example chat app: FastAPI backend (example/backend) on :8000, Next.js
# frontend (example/frontend, proxies /api/* to the backend) on :3000.
# Ctrl-C stops both.
demo: install $(FRONTEND_STAMP)
	cd $(FRONTEND_DIR) && NEXT_TELEMETRY_DISABLED=1 npm run build --silent
	@set -m; \
	$(VENV)/bin/uvicorn main:app --app-dir example/backend --port $(BACKEND_PORT) & backend=$$!; \
	(cd $(FRONTEND_DIR) && BACKEND_URL=http://127.0.0.1:$(BACKEND_PORT) NEXT_TELEMETRY_DISABLED=1 \
	  exec node_modules/.bin/next start -p $(FRONTEND_PORT)) & frontend=$$!; \
	trap 'kill -TERM -$$backend -$$frontend 2>/dev/null; wait; exit 0' INT TERM; \
	$(PY) scripts/wait_ready.py http://127.0.0.1:$(FRONTEND_PORT)/api/health && \
	  { echo; echo "Open http://localhost:$(FRONTEND_PORT)  (Ctrl-C stops backend and frontend)"; echo; }; \
	wait -n $$backend $$frontend; kill -TERM -$$backend -$$frontend 2>/dev/null; wait; exit 1

# Browser end-to-end tests of the example app (tests/e2e): starts the backend and the built
# frontend on free ports, drives the system chromium (CHROMIUM_PATH, default /usr/bin/chromium;
# Debian: apt-get install chromium) with playwright-core. Screenshots: tests/e2e/artifacts/.
E2E_DIR := tests/e2e
E2E_STAMP := $(E2E_DIR)/node_modules/.package-lock.json

$(E2E_STAMP): $(E2E_DIR)/package-lock.json
	cd $(E2E_DIR) && npm ci --no-audit --no-fund --loglevel=error

# The production build of the example frontend, rebuilt when one of its sources changed.
FRONTEND_BUILD := $(FRONTEND_DIR)/.next/BUILD_ID
FRONTEND_SOURCES := $(shell find $(FRONTEND_DIR)/app $(FRONTEND_DIR)/components -type f 2>/dev/null) \
	$(wildcard $(FRONTEND_DIR)/*.ts $(FRONTEND_DIR)/*.json)
$(FRONTEND_BUILD): $(FRONTEND_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND_DIR) && NEXT_TELEMETRY_DISABLED=1 npm run build --silent

test-e2e: install $(FRONTEND_BUILD) $(E2E_STAMP)
	@bash scripts/system_deps.sh chromium
	node --test --test-concurrency=1 $(E2E_DIR)

clean:
	rm -rf .venv .venv-bench .mypy_cache .ruff_cache .pytest_cache .coverage $(NODE_DIR)/node_modules $(FRONTEND_DIR)/node_modules $(FRONTEND_DIR)/.next $(E2E_DIR)/node_modules $(E2E_DIR)/artifacts
