# Seedance Studio. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | cksum | cut -d' ' -f1)
# `make serve` runs the image's configuration: production settings, the rest from the environment.
PROD := STUDIO_ENV=production

.PHONY: run serve test lint format bench soak lock setup migrate check-deploy clean screenshots

# Installs exactly the pinned versions (requirements-dev.lock), as CI does; the image installs
# requirements.lock. After changing dependencies in pyproject.toml, run `make lock`.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py ensure_demo_user
	$(PY) manage.py runstudio

# Production locally: gunicorn (gunicorn.conf.py, $$PORT, default 8000) and the poller together.
serve: setup
	$(PROD) $(PY) manage.py collectstatic --noinput -v 0
	$(PROD) $(PY) manage.py migrate --noinput
	$(PROD) $(PY) manage.py serve

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
	$(PY) -m tests.bench.busy_team
	$(PY) -m tests.bench.gallery
	$(PY) -m tests.bench.downloads
	$(PY) -m tests.bench.pages

lock:
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
	  -o requirements.lock pyproject.toml
	$(PY) -m piptools compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
	  --extra test -o requirements-dev.lock pyproject.toml

# The long poller runs (pytest -m soak); they need DATABASE_URL to name PostgreSQL.
soak: setup
	$(PY) -m pytest -m soak -q

check-deploy: setup
	STUDIO_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=studio.example.com CHANJING_APP_ID=x CHANJING_SECRET_KEY=y \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
