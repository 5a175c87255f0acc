"""The staff status page: pollers, queue, provider error rate, mode and token expiry (never the token)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation

from studio.chanjing.models import ProviderCall, ProviderToken
from studio.generations.models import Status, WorkerHeartbeat
from tests.factories import make_past_generation

pytestmark = pytest.mark.django_db


def test_status_page(client, staff, ledger):
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="poller-a", last_cycle_at=now - timedelta(seconds=5), cycles=42)
    WorkerHeartbeat.objects.create(name="poller-b", last_cycle_at=now - timedelta(minutes=30))
    make_past_generation(
        ledger["launch"],
        ledger["carol"],
        created=now - timedelta(minutes=10),
        status=Status.PENDING,
        queued=None,
        submit_uncertain_since=now - timedelta(minutes=9),  # its submit answer was lost
    )
    for ok in (True, True, False):
        ProviderCall.objects.create(endpoint="/open/v1/video_create", ok=ok)
    old = ProviderCall.objects.create(endpoint="/open/v1/video_create", ok=False)
    ProviderCall.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=2))
    ProviderToken.objects.create(
        base_url=settings.CHANJING_BASE_URL,
        app_id=settings.CHANJING_APP_ID,
        token="SECRET-TOKEN-VALUE",
        expires_at=now + timedelta(hours=5),
    )

    client.force_login(staff)
    response = client.get("/admin/status/")
    assert response.status_code == 200
    status = response.context["status"]
    html = response.content.decode()
    assert "SECRET-TOKEN-VALUE" not in html
    assert [(b.row.name, b.alive) for b in status.heartbeats] == [("poller-a", True), ("poller-b", False)]
    assert "poller-a" in html and "alive" in html and "not responding since" in html
    counts = {value: count for value, _label, count in status.queue}
    assert counts == {"pending": 1, "submitted": 1, "succeeded": 5, "failed": 3, "cancelled": 1}
    assert timedelta(minutes=9) < status.oldest_pending < timedelta(minutes=11)
    assert status.reconciling == 1
    assert 'being looked for: <span class="num">1</span>' in html
    assert (status.calls_last_hour, status.failed_calls_last_hour) == (3, 1)
    assert '<td class="num" id="error-rate">33%</td>' in html
    assert "Sandbox (built-in provider, not Seedance)" in html
    assert status.token["expires_at"] is not None
    assert "in 4\xa0hours" in html


def test_a_killed_poller_is_told_from_a_live_and_a_stopped_one(client, staff, settings):
    settings.POLLER_SLEEP_SECONDS = 2
    settings.POLLER_LEASE_SECONDS = 120
    now = timezone.now()
    # Busy with a long step for most of a lease: still alive.
    WorkerHeartbeat.objects.create(name="busy", last_cycle_at=now - timedelta(seconds=100))
    # SIGKILLed three minutes ago: its last heartbeat stays, but it is not responding.
    killed_at = now - timedelta(minutes=3)
    WorkerHeartbeat.objects.create(name="killed", last_cycle_at=killed_at)
    WorkerHeartbeat.objects.create(name="stopped", last_cycle_at=killed_at, stopped_at=killed_at)

    client.force_login(staff)
    html = client.get("/admin/status/").content.decode()
    states = dict(re.findall(r'<th scope="row">(\w+)</th>\s*<td data-state="(\w+)">', html))
    assert states == {"busy": "alive", "killed": "dead", "stopped": "stopped"}
    since = timezone.localtime(killed_at).strftime("%Y-%m-%d %H:%M:%S")
    assert f"not responding since {since}" in html
    assert f"stopped at {since}" in html
    assert "1 poller alive; 1 not responding (killed, or its machine is gone)." in html
    with translation.override("zh-hans"):
        html = client.get("/admin/status/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert f"自 {since} 起无响应" in html


def test_status_page_when_nothing_has_happened(client, staff):
    client.force_login(staff)
    html = client.get("/admin/status/").content.decode()
    assert "No poller has reported yet." in html
    assert "No token yet" in html
    assert '<td class="num" id="error-rate">–</td>' in html
