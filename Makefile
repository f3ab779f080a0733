# strmline: `make run` starts it, `make test` runs every gate and the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The web UI is built into the Python package; rebuilt when its sources change.
WEB_STAMP := src/strmline/web/index.html
WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/package.json frontend/package-lock.json frontend/vite.config.* frontend/tsconfig*.json)

.PHONY: run test lint format bench web clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

$(WEB_STAMP): frontend/node_modules/.package-lock.json $(WEB_SOURCES)
	cd frontend && npm run build
	touch $@

web: $(WEB_STAMP)

run: $(VENV)/.installed $(WEB_STAMP)
	$(BIN)/strmline db upgrade
	$(BIN)/strmline serve --host $(HOST) --port $(PORT)

# Fails fast: the static gates (lint), the UI build (tsc -b + vite), the UI unit tests, then pytest.
test: lint $(WEB_STAMP)
	cd frontend && npm test
	$(BIN)/pytest

# Python lint, format, import contracts and strict types, then ESLint on the UI.
lint: $(VENV)/.dev-installed frontend/node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	cd frontend && npm run lint

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev-installed
	for b in parse_match sync api health epg vod playback; do $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache frontend/node_modules
