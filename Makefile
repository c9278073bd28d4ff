# ecoplane: `make run` starts the main job, `make test` runs the whole suite.
# Both create .venv from scratch when it is missing and (re)install when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-pg browser lint typecheck imports unit bench lock vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ecoplane serve

test: $(STAMP) browser lint typecheck imports unit

# headless Chromium (Debian's package) renders /docs and the console in tests; installed once, as root or with sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint --no-color Dockerfile

# the image's pinned, hashed dependencies (deploy/requirements.lock), from pyproject.toml's
# runtime dependencies and build backend; run after changing either (tests/deploy checks they agree)
LOCK := deploy/requirements.lock
lock: $(STAMP)
	printf 'setuptools>=69\n' | $(BIN)/uv pip compile pyproject.toml - --universal \
	  --python-version 3.11 --generate-hashes --quiet -o $(LOCK)

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q

# the database tests again, on another Postgres server (CI: the machine's PostgreSQL 15)
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
test-pg: $(STAMP)
	ECOPLANE_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m "db and not server_neutral"

bench: $(STAMP)
	$(BIN)/python bench/model_load.py
	$(BIN)/python bench/model_load.py --sinks 6
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/console.py   # needs Chromium (make browser)
	$(BIN)/python bench/externalize.py
	$(BIN)/python bench/read_consistency.py
	$(BIN)/python bench/api.py   # needs wrk and psql (Debian packages)
	$(BIN)/python bench/security_sync.py   # needs psql
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/start.py
	$(BIN)/python bench/ingest.py   # needs psql and the machine's PostgreSQL (ECOPLANE_BENCH_DATABASE_URL)

# the console's vendored scripts (app/console/static/vendor/) fetched again at their pinned versions
vendor:
	tools/vendor_console.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
