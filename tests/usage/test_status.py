"""The staff status page: pollers, queue, provider error rate, mode and token expiry (never the token)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

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
    assert "poller-a" in html and "alive" in html and "silent" in html
    counts = {value: count for value, _label, count in status.queue}
    assert counts == {"pending": 1, "submitted": 1, "succeeded": 5, "failed": 3, "cancelled": 1}
    assert timedelta(minutes=9) < status.oldest_pending < timedelta(minutes=11)
    assert (status.calls_last_hour, status.failed_calls_last_hour) == (3, 1)
    assert '<td class="num" id="error-rate">33%</td>' in html
    assert "Sandbox (built-in provider, not Seedance)" in html
    assert status.token["expires_at"] is not None
    assert "in 4\xa0hours" in html


def test_status_page_when_nothing_has_happened(client, staff):
    client.force_login(staff)
    html = client.get("/admin/status/").content.decode()
    assert "No poller has reported yet." in html
    assert "No token yet" in html
    assert '<td class="num" id="error-rate">–</td>' in html
