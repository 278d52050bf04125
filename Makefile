# renshi 人事 — developer commands.  A newcomer needs two:  make run   and   make test.
#
#   make run           install into .venv, migrate, load the demo company, start worker,
#                      scheduler and web server on http://127.0.0.1:$(PORT)
#   make test          the whole test suite on SQLite (browser tests skip without chromium)
#   make test-pg       the suite on PostgreSQL (DATABASE_URL, default postgres@127.0.0.1:5432)
#   make test-browser  only the Playwright browser tests (headless Chromium)
#   make bench         the 10,000-employee benchmark -> bench/results.json
#   make lint          ruff check, ruff format --check, lint-imports
#   make reset         delete the SQLite database (the next `make run` starts over)
#   make messages      extract, compile and check the translation catalogs (needs gettext)
#   make deps-system   apt-get chromium, fonts-wqy-microhei, gettext and pango (PDF) when missing

PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.renshi-installed
DB_FILE := var/renshi.sqlite3
PG_URL ?= postgres://postgres@127.0.0.1:5432/renshi
PYTEST_ARGS ?= -n auto --maxprocesses=4

# uv when it is on PATH (or already inside the venv), pip otherwise.
UV := $(or $(shell command -v uv 2>/dev/null),$(wildcard $(VENV)/bin/uv))

# The first interpreter that really runs and is >= 3.12. pyenv shims may exist but fail,
# so each candidate is executed, not just looked up.  Override with `make PYTHON=/path/python`.
define FIND_PYTHON
for c in $(PYTHON) python3.13 python3.12 python3 \
    $$(for r in "$$(pyenv root 2>/dev/null)" "$$HOME/.pyenv"; do \
         [ -n "$$r" ] && ls -d "$$r"/versions/3.13*/bin/python "$$r"/versions/3.12*/bin/python 2>/dev/null; \
       done | sort -r -V); do \
  if "$$c" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then \
    command -v "$$c" 2>/dev/null || echo "$$c"; exit 0; \
  fi; \
done; exit 1
endef

.DEFAULT_GOAL := help
.PHONY: help install run test test-pg test-browser bench lint reset messages deps-system

help:
	@sed -n 's/^#   //p' Makefile

$(PY):
	@py="$$( $(FIND_PYTHON) )" || { \
	  echo "renshi needs Python >= 3.12, and none was found."; \
	  echo "Tried: python3.13, python3.12, python3 and pyenv's versions/3.13*, 3.12*."; \
	  echo "Install one (e.g. 'pyenv install 3.13' or your OS package python3.13) and run make again,"; \
	  echo "or point at it: make run PYTHON=/path/to/python3.13"; \
	  exit 1; }; \
	echo "Using $$py ($$("$$py" -V 2>&1))"; \
	if [ -n "$(UV)" ]; then "$(UV)" venv --python "$$py" $(VENV); \
	else "$$py" -m venv $(VENV); fi

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	@if [ -n "$(UV)" ]; then \
	  "$(UV)" pip install --python $(PY) -e '.[dev]'; \
	else \
	  $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install -e '.[dev]'; \
	fi
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	@$(PY) manage.py demo
	@echo ""
	@echo "renshi: http://127.0.0.1:$(PORT)/  (worker and scheduler run in the background; Ctrl-C stops all)"
	@trap 'kill $$worker $$cron 2>/dev/null; wait 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	$(PY) manage.py crontask & cron=$$!; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-pg: install
	DATABASE_URL="$(PG_URL)" $(PY) -m pytest $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

reset:
	rm -f $(DB_FILE) $(DB_FILE)-wal $(DB_FILE)-shm
	@echo "Database removed; 'make run' builds a fresh one with the demo company."

messages: install
	$(PY) scripts/i18n.py

deps-system:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing="$$missing fonts-wqy-microhei"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="$$missing libpangoft2-1.0-0"; \
	ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	if [ -z "$$missing" ]; then echo "System packages present."; exit 0; fi; \
	echo "Installing:$$missing"; \
	SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing
