# The two commands: `make run` (install + serve the product) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SUPERVISE := $(PY) -m config.supervisor

.PHONY: install run test bench lint manage shell

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The statement PDFs' static fonts, made once from the variable font of a PyPI wheel
# (finance/fonts.py); `make run` and `make test` would otherwise make them on first use.
install: $(VENV)/.installed
	@$(PY) -m finance.fonts "$${DATA_DIR:-.data}/fonts" >/dev/null

run: install
	$(SUPERVISE) run

test: install
	$(SUPERVISE) exec --redis-db 3 -- $(PY) -m pytest $(ARGS)

bench: install
	$(SUPERVISE) exec -- $(PY) manage.py bench all $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# `make manage ARGS="migrate_schemas"`: any management command with the services up.
manage: install
	$(SUPERVISE) exec -- $(PY) manage.py $(ARGS)
