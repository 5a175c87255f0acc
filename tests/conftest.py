"""Shared fixtures: isolated media, personas, and the sandbox provider over real HTTP.

The data comes from tests/factories.py; import helpers from there, never from a conftest."""

from __future__ import annotations

import os
import time
from typing import Any

import django.test.testcases
import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from studio.accounts.models import User
from studio.generations.models import Generation, Project
from studio.lib.devserver import QuietUnderscoreHeadersRequestHandler
from studio.workspaces.access import SESSION_KEY

# Tests written before tests/factories.py imported these from here; new tests import them from there.
from tests.factories import (  # noqa: E402, F401, I001
    PASSWORD,
    PERSONAS,
    finished_generation,
    image_file,
    make_project,
    make_team,
    make_user,
)
from tests.sandbox.quiet import quiet_sandbox

# The live server must pass Chanjing's `access_token` header through, as `make run` does.
django.test.testcases.QuietWSGIRequestHandler = QuietUnderscoreHeadersRequestHandler  # type: ignore[misc, assignment]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs with `--dist loadgroup`: every browser test goes to one worker, so only
    one worker pays for starting chromium and the live server behind it (about 16 s each), and
    two browsers never compete for the machine's two cores while the other worker runs the rest."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SANDBOX_MEDIA_ROOT = tmp_path / "sandbox"
    # Tests create many users; a real password hash costs ~0.3 s each on these machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Kept pages, filter choices and prompt libraries are keyed by primary keys and versions,
    which a rolled-back test hands to the next one: every test starts with an empty cache."""
    cache.clear()


@pytest.fixture(params=["default", "redis"])
def each_cache(request, settings):
    """The cache tests, once on local memory and once on Redis when TEST_REDIS_URL names one
    (.ci/run sets it when a Redis answers on 127.0.0.1:6379)."""
    if request.param == "default":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        cache.clear()
        return request.param
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("set TEST_REDIS_URL to run the cache tests on Redis too")
    # Never FLUSHDB: other test processes share the database. A prefix fresh for every test keeps
    # apart the keys of tests (users and workspaces of different tests may share primary keys)
    # and those of a running studio.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"studio-tests-{os.getpid()}-{time.monotonic_ns()}",
            "TIMEOUT": 600,
        }
    }
    return request.param


@pytest.fixture(autouse=True)
def _english_by_default():
    """LocaleMiddleware leaves the last request's language active in the thread; reset it."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _no_lingering_connections(django_db_setup, django_db_blocker):
    """End connections that live-server threads or killed pollers left on the test database,
    so PostgreSQL can drop it at the end of the session."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def sandbox(live_server, settings):
    """The sandbox provider on a live server, fast and tiny: the client talks to it over HTTP."""
    quiet_sandbox(settings, seed=0)
    settings.CHANJING_BASE_URL = f"{live_server.url}/sandbox"
    # The sandbox's videos are on this machine: the test's own, explicit download allowance.
    settings.CHANJING_DOWNLOAD_LOCAL_ORIGINS = [live_server.url]
    settings.SANDBOX_QUEUED_SECONDS = 0
    settings.SANDBOX_READY_SECONDS = 0
    settings.SANDBOX_GENERATING_SECONDS = 0
    settings.CHANJING_RATE_LIMIT = 0
    return settings.CHANJING_BASE_URL


@pytest.fixture
def alice(db) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob")


@pytest.fixture
def alice_project(alice) -> Project:
    return make_project(created_by=alice, name="Spring ad")


@pytest.fixture
def team(db) -> dict[str, Any]:
    """A team workspace with one person per role, and an outsider with a workspace of their own."""
    return make_team()


@pytest.fixture
def team_generation(team) -> Generation:
    """A finished video in the team workspace, made by the editor."""
    return finished_generation(team["workspace"], team["project"], team["editor"])


@pytest.fixture
def sign_in_as(client, team):
    """Sign the test client in as a persona; team members are switched into the team workspace."""

    def sign_in(persona: str, on=None):
        on = on or client
        if persona == "anonymous":
            on.logout()
            return on
        on.force_login(team[persona])
        if persona != "outsider":
            session = on.session
            session[SESSION_KEY] = str(team["workspace"].code)
            session.save()
        return on

    return sign_in
