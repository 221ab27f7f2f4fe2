# reelforge: `make run` starts the studio, `make test` runs the whole test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := pyproject.toml requirements.lock

.PHONY: run test lint install install-test browser clean migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==25.3"

# Runtime dependencies, pinned by requirements.lock.
$(VENV)/.installed: $(BIN)/python $(DEPS)
	$(BIN)/pip install -q -c requirements.lock -e .
	$(BIN)/python -m reelforge.web.i18n_compile
	touch $@

# Test dependencies on top.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: set up and start the studio at http://127.0.0.1:8000 (SQLite under ./data, offline providers)
run: install
	$(BIN)/reelforge serve

## make test: set up and run the whole test suite
test: install-test browser
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

## make lint: ruff, mypy, the import contracts (.importlinter), the module size limit and the deploy guide check
lint: install-test
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/check_module_size.py
	$(BIN)/python tools/check_deploy.py

# Debian's Chromium for the browser tests; skipped quietly where apt cannot run.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: could not install chromium; browser tests will skip"; \
	  else echo "note: chromium missing and apt unavailable; browser tests will skip"; fi; }

## make migration m="what changed": autogenerate a new Alembic revision from the models
migration: install
	$(BIN)/python tools/new_migration.py "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
