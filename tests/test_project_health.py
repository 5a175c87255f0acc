from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")


@pytest.mark.django_db
def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_not_found_pages_are_plain_and_in_the_readers_language(client, alice):
    client.force_login(alice)
    response = client.get("/g/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "belongs to a workspace you are not a member of" in response.content.decode()
    chinese = client.get("/g/00000000-0000-0000-0000-000000000000/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "找不到" in chinese.content.decode()
