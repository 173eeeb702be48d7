# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install migrate demo lint typecheck check messages bench bench-load clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PY) manage.py load_demo

## Serve the portal with the demo data on http://127.0.0.1:$(PORT), with the background worker
## (email outbox, waiting-list offers, campaign closing) running beside it.
run: demo
	DEBUG=1 PORTAL_URL=http://127.0.0.1:$(PORT) $(PY) manage.py run_worker & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

## The whole suite (browser journeys included). DATABASE_URL=postgres://... runs it on PostgreSQL.
test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

check: install
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=portail.example.org $(PY) manage.py check --deploy --fail-level WARNING

messages: install
	DEBUG=1 $(PY) manage.py makemessages -l en -l fr --ignore=.venv --ignore=tests --ignore=bench \
	  --ignore=staticfiles --ignore=fixtures
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) bench/argon2_hashing.py

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

## Load benchmark at network size (bench/README.md): needs the PostgreSQL of 127.0.0.1:5432;
## the first run generates the network (about 2 minutes), each run takes about 3 minutes.
## Options through ARGS, e.g. make bench-load ARGS="--rush --duration 60".
bench-load: $(VENV)/.bench-installed
	$(PY) bench/load/run.py $(ARGS)

clean:
	rm -rf $(VENV) var staticfiles
