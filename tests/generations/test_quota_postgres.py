"""Eight submits at once for the last seconds of a quota: only as many as fit get through."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection, connections

from studio.generations.models import Generation
from studio.generations.quota import QuotaExceeded
from studio.generations.services import create_generation
from studio.workspaces.models import WorkspaceQuota

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers need PostgreSQL row locks; run with DATABASE_URL=postgres://...",
    ),
]
RACERS = 8
FORM = {"prompt": "racing for the last seconds", "aspect_ratio": "9:16", "clarity": 720, "duration": 10}


def test_concurrent_service_calls_take_only_what_fits(transactional_db, alice, alice_project):
    WorkspaceQuota.objects.create(workspace=alice_project.workspace, monthly_seconds=40)
    barrier = threading.Barrier(RACERS)

    def race(_index: int) -> str:
        try:
            barrier.wait(timeout=30)
            create_generation(alice_project, alice, dict(FORM))
            return "created"
        except QuotaExceeded:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, range(RACERS)))
    assert sorted(outcomes) == ["created"] * 4 + ["refused"] * 4
    assert Generation.objects.filter(workspace=alice_project.workspace).count() == 4


def test_parallel_http_requests_take_only_what_fits(
    transactional_db, live_server, client, alice, alice_project
):
    WorkspaceQuota.objects.create(workspace=alice_project.workspace, monthly_seconds=30)
    client.force_login(alice)
    session_cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    url = f"{live_server.url}/projects/{alice_project.code}/"

    def browser() -> tuple[requests.Session, str]:
        session = requests.Session()
        session.cookies.set(django_settings.SESSION_COOKIE_NAME, session_cookie)
        page = session.get(url, timeout=30)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found is not None, "the page has no CSRF token"
        token = found.group(1)
        return session, token

    browsers = [browser() for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)

    def post(pair: tuple[requests.Session, str]) -> str:
        session, token = pair
        barrier.wait(timeout=30)
        response = session.post(
            f"{url}generate",
            data={**FORM, "csrfmiddlewaretoken": token},
            headers={"HX-Request": "true"},
            timeout=60,
        )
        assert response.status_code == 200, response.text[:500]
        return "refused" if response.headers.get("HX-Retarget") == "#generation-form" else "created"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(post, browsers))
    assert sorted(outcomes) == ["created"] * 3 + ["refused"] * 5
    assert Generation.objects.filter(workspace=alice_project.workspace).count() == 3
