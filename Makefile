# From a fresh clone: `make run` (install, migrate, demo data, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: install run test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# Message catalogues are compiled at install (the .mo files are not kept in git).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard web/translations/*/LC_MESSAGES/messages.po))

$(CATALOGUES): %.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -d web/translations -D messages

install: $(STAMP) $(CATALOGUES)

run: install
	$(BIN)/vetreg init
	$(BIN)/vetreg demo
	$(BIN)/vetreg serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check registry web cli tests bench
	$(BIN)/mypy registry

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
