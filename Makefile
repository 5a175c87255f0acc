# Seedance Studio. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format bench setup migrate check-deploy clean screenshots

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
	$(PY) -m mypy
	$(PY) -m pytest -n 2 --dist loadgroup

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Every page at 1280×800 and 390×844, dark and light, English and Chinese: test-artifacts/pages/.
screenshots: setup
	STUDIO_SCREENSHOTS=1 $(PY) -m pytest -q -p no:randomly tests/browser/test_every_page.py tests/browser/test_studio.py

bench: setup
	$(PY) -m tests.bench.run
	$(PY) -m tests.bench.gallery
	$(PY) -m tests.bench.pages

check-deploy: setup
	STUDIO_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=studio.example.com CHANJING_APP_ID=x CHANJING_SECRET_KEY=y \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
