# Seedance Studio. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format bench soak setup migrate check-deploy clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py ensure_demo_user
	$(PY) manage.py runstudio

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist loadgroup

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: setup
	$(PY) -m tests.bench.run
	$(PY) -m tests.bench.busy_team
	$(PY) -m tests.bench.gallery

# The long poller runs (pytest -m soak); they need DATABASE_URL to name PostgreSQL.
soak: setup
	$(PY) -m pytest -m soak -q

check-deploy: setup
	STUDIO_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=studio.example.com CHANJING_APP_ID=x CHANJING_SECRET_KEY=y \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
