"""What an operator's tools see: a plain-HTTP health probe, the monitor's JSON, request ids."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.chanjing.models import ProviderCall
from studio.generations.models import Status, WorkerHeartbeat
from studio.lib.logs import JsonFormatter, current_request_id
from tests.factories import make_past_generation as make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_http(settings):
    """The production settings' redirect and host rules, on the test client's plain HTTP
    (tests/ops checks that the production settings set SECURE_REDIRECT_EXEMPT so)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    settings.ALLOWED_HOSTS = ["studio.example.com"]


def test_a_plain_http_probe_by_ip_gets_its_answer(client, production_http):
    probe = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert probe.status_code == 200
    assert probe.json() == {"status": "ok", "database": "ok"}
    assert probe["Content-Security-Policy"]  # still under the strict policy


def test_every_other_path_keeps_the_redirect_and_the_host_check(client, production_http):
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.get("/healthz/status.json", HTTP_HOST="10.0.0.7:8000").status_code == 400
    redirected = client.get("/accounts/login/", HTTP_HOST="studio.example.com")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://studio.example.com/accounts/login/"
    assert client.post("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 400


def _busy_studio(ledger) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="host:1:aaaa", last_cycle_at=now - timedelta(seconds=3), cycles=9)
    WorkerHeartbeat.objects.create(name="host:1:bbbb", last_cycle_at=now - timedelta(hours=1))
    make_generation(
        ledger["launch"],
        ledger["carol"],
        created=now - timedelta(minutes=30),
        status=Status.PENDING,
        queued=None,
    )
    for ok in (True, False, False):
        ProviderCall.objects.create(endpoint="/open/v1/video_create", ok=ok)


def test_a_monitor_reads_queue_pollers_and_provider_errors(client, settings, ledger):
    settings.MONITOR_TOKEN = "monitor-token-123"
    _busy_studio(ledger)
    answer = client.get("/healthz/status.json", HTTP_AUTHORIZATION="Bearer monitor-token-123")
    assert answer.status_code == 200
    assert answer["Cache-Control"].startswith("max-age=0")
    data = answer.json()
    assert data["queue"]["pending"] == 1
    assert data["queue_depth"] == data["queue"]["pending"] + data["queue"]["submitted"]
    assert 29 * 60 < data["oldest_pending_seconds"] < 31 * 60
    assert data["pollers_alive"] == 1
    assert {p["name"]: p["alive"] for p in data["pollers"]} == {"host:1:aaaa": True, "host:1:bbbb": False}
    assert data["provider"]["calls_last_hour"] == 3
    assert data["provider"]["error_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert data["status"] == "problem"
    assert data["problems"] == [
        "a generation has waited to be sent for more than 10 minutes",
        "more than half of the provider calls failed in the last hour",
    ]


def test_no_poller_while_work_waits_is_a_problem(client, staff, ledger):
    make_generation(
        ledger["launch"], ledger["carol"], created=timezone.now(), status=Status.PENDING, queued=None
    )
    client.force_login(staff)
    data = client.get("/healthz/status.json").json()
    assert data["pollers_alive"] == 0
    assert "no poller is running while generations wait" in data["problems"]


def test_the_monitor_json_needs_the_token_or_staff(client, settings, alice):
    settings.MONITOR_TOKEN = "monitor-token-123"
    assert client.get("/healthz/status.json").status_code == 403
    assert client.get("/healthz/status.json", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    client.force_login(alice)
    assert client.get("/healthz/status.json").status_code == 403
    settings.MONITOR_TOKEN = ""
    assert client.get("/healthz/status.json", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/accounts/login/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    kept = client.get("/accounts/login/", HTTP_X_REQUEST_ID="proxy-id-0123456789")
    assert kept["X-Request-ID"] == "proxy-id-0123456789"
    hostile = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert "<" not in hostile["X-Request-ID"]


def test_json_log_lines_carry_the_request_id():
    formatter = JsonFormatter()
    token = current_request_id.set("abc123def456")
    try:
        record = logging.LogRecord("studio.x", logging.WARNING, __file__, 1, "stored %s", ("v.mp4",), None)
        line = json.loads(formatter.format(record))
    finally:
        current_request_id.reset(token)
    assert line["message"] == "stored v.mp4" and line["level"] == "WARNING"
    assert line["request_id"] == "abc123def456"

    atoms = {"h": "127.0.0.1", "m": "GET", "U": "/gallery/", "s": "200", "M": "12", "{x-request-id}o": "r-1"}
    access = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s", (), None)
    access.args = atoms
    line = json.loads(formatter.format(access))
    assert line["path"] == "/gallery/" and line["status"] == 200 and line["duration_ms"] == 12
    assert line["request_id"] == "r-1"
