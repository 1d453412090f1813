# Huicui: `make run` serves on SQLite, `make test` runs the whole suite.
# Both set everything up from a fresh clone (Python 3.11+ and network to PyPI).

PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
UV_FLAGS ?=

.PHONY: run test test-sqlite test-postgres bench lint setup install install-test migrate clean web

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.4,<1"

# Serve exactly the built-in benefits (no example plugin).
install: $(UV)
	$(UV) sync --frozen $(UV_FLAGS) || $(UV) sync $(UV_FLAGS)

# The suite also installs the example third-party plugin from tests/.
install-test: $(UV)
	$(UV) sync --frozen --all-groups $(UV_FLAGS) || $(UV) sync --all-groups $(UV_FLAGS)

setup: install
	$(VENV)/bin/huicui setup

run: setup
	$(VENV)/bin/huicui serve

# SQLite first, then PostgreSQL (skipped with a reason when no server answers,
# unless HUICUI_REQUIRE_POSTGRES=1, as .ci/run sets).
test: install-test
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q
	HUICUI_TEST_DB=postgres $(PY) -m pytest -q -m postgres

test-sqlite: install-test
	$(PY) -m pytest -q

test-postgres: install-test
	HUICUI_TEST_DB=postgres $(PY) -m pytest -q -m postgres

bench: install-test
	$(PY) bench/run.py

# The browser pages' files (verifier/huicui_verifier/webapp/) from verifier/web/ and its holder/:
# npm packages from each lock file, then each build. The output is committed, so `make
# run` needs no Node; the test suite checks it matches its sources.
web:
	cd verifier/web && npm ci --no-audit --no-fund && npm run build
	cd verifier/web/holder && npm ci --no-audit --no-fund && npm run build

lint: install-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
