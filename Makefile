# gridgov — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install serve lint bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/bootstrap.sh
	PYTHON=$(PYTHON) sh scripts/bootstrap.sh $(VENV)
	touch $@

install: $(VENV)/.installed

## Set up, load the demo city (idempotent), print the logins and serve http://$(HOST):$(PORT)/ (make demo PORT=8101)
demo: install
	$(PY) manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py load_demo
	PY=$(PY) HOST=$(HOST) PORT=$(PORT) sh scripts/serve_demo.sh

## One production box: gunicorn, the task workers, the sweeps and the report makers against PostgreSQL and Redis
## (needs the production environment: docs/operations.md "One production box")
serve: install
	PY=$(PY) HOST=$(HOST) PORT=$(PORT) sh scripts/serve.sh

## The whole test suite (end-to-end browser tests are skipped, with the reason, when chromium is missing)
test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var/gridgov.sqlite3*
