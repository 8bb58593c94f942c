# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# `make run HOST=0.0.0.0 PORT=8080` to be reachable from a phone on the LAN (plain HTTP: see README).
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint fmt openapi bench clean browser vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes: a second `make run`/`make test` starts at once.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo accounts (passwords in var/demo-credentials.txt) and, on first start only, a year of demo cases:
# `seed demo --history` adds none once the database has cases, so the next `make run` serves at once.
run: install
	mkdir -p var
	$(BIN)/jiefen db upgrade
	$(BIN)/jiefen seed demo --history
	$(BIN)/jiefen serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check app tests bench migrations/env.py
	$(BIN)/ruff format --check app tests bench migrations/env.py
	$(BIN)/mypy app

fmt: install
	$(BIN)/ruff check --fix app tests bench
	$(BIN)/ruff format app tests bench

# Browser tests drive Debian's Chromium (Playwright never downloads one); a CJK font for the screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . || \
	  { apt-get update -q && apt-get install -y -q chromium fonts-wqy-microhei; }

test: lint browser
	$(BIN)/python -m pytest

# The supervisors' pages' charts (ECharts) from the npm registry at a pinned version, hash-checked
# (scripts/vendor.py); the files are committed, so `make run` needs no npm.
vendor:
	$(PYTHON) scripts/vendor.py

openapi: install
	$(BIN)/jiefen openapi

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
