"""The generation admin: columns without a query per row, search, and the three actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations.models import Generation, Status
from studio.generations.quota import month_start
from studio.workspaces.models import WorkspaceQuota
from tests.factories import at, make_past_generation

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/generations/generation/"


def test_changelist_query_count_is_constant(client, staff, ledger):
    client.force_login(staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST, {"o": "-1"})
            assert response.status_code == 200
        return len(queries)

    before = count()
    for i in range(25):
        make_past_generation(ledger["teaser"], ledger["dan"], created=at(5, 9, i))
    assert count() == before


def test_search_by_trace_unique_id_and_creator(client, staff, ledger):
    client.force_login(staff)
    target = Generation.objects.filter(status=Status.SUBMITTED).get()
    target.trace_id, target.unique_id = "trace-abc-123", "task-xyz-789"
    target.save()
    for query in ("trace-abc-123", "task-xyz-789"):
        result = client.get(CHANGELIST, {"q": query}).context["cl"].result_list
        assert [g.pk for g in result] == [target.pk]
    assert {
        g.created_by.username
        for g in client.get(CHANGELIST, {"q": "carol@example.com"}).context["cl"].result_list
    } == {"carol"}


def test_change_page_is_read_only_and_links_the_call_journal(client, staff, ledger):
    client.force_login(staff)
    generation = Generation.objects.filter(status=Status.SUCCEEDED).first()
    html = client.get(f"{CHANGELIST}{generation.pk}/change/").content.decode()
    assert f"/admin/chanjing/providercall/?generation_code__exact={generation.code}" in html
    assert 'name="unique_id"' not in html and 'name="status"' not in html
    journal = client.get(f"/admin/chanjing/providercall/?generation_code__exact={generation.code}")
    assert journal.status_code == 200


def act(client, action: str, generations) -> str:
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [g.pk for g in generations]},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_poll_now(client, staff, ledger):
    client.force_login(staff)
    submitted = Generation.objects.get(status=Status.SUBMITTED)
    Generation.objects.filter(pk=submitted.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    done = Generation.objects.filter(status=Status.SUCCEEDED).first()
    message = act(client, "poll_now", [submitted, done])
    assert "1 generation is due now." in message
    submitted.refresh_from_db()
    assert submitted.next_attempt_at <= timezone.now()


def test_cancel_only_unsubmitted(client, staff, ledger):
    client.force_login(staff)
    pending = make_past_generation(
        ledger["launch"], ledger["carol"], created=at(4, 9), status=Status.PENDING, queued=None
    )
    submitted = Generation.objects.get(status=Status.SUBMITTED)
    message = act(client, "cancel_unsubmitted", [pending, submitted])
    assert "Cancelled 1 generation." in message
    assert "1 generation was already sent or finished and was left alone." in message
    pending.refresh_from_db()
    submitted.refresh_from_db()
    assert (pending.status, submitted.status) == (Status.CANCELLED, Status.SUBMITTED)
    assert pending.finished_at is not None


def test_retry_creates_a_new_generation_through_the_studio_path(client, staff, ledger):
    client.force_login(staff)
    failed = Generation.objects.filter(status=Status.FAILED, error_raw="content rejected").first()
    message = act(client, "retry", [failed])
    assert "Created 1 new generation" in message
    retry = Generation.objects.get(parent=failed)
    assert retry.status == Status.PENDING
    assert (retry.prompt, retry.duration, retry.clarity, retry.aspect_ratio) == (
        failed.prompt,
        failed.duration,
        failed.clarity,
        failed.aspect_ratio,
    )
    assert (retry.created_by, retry.project) == (failed.created_by, failed.project)
    failed.refresh_from_db()
    assert failed.status == Status.FAILED  # the original is kept as it was


def test_retry_respects_the_quota(client, staff, ledger):
    client.force_login(staff)
    team = ledger["team"]
    WorkspaceQuota.objects.create(workspace=team, monthly_seconds=5)
    make_past_generation(
        ledger["launch"], ledger["carol"], created=month_start() + timedelta(hours=1), duration=5
    )
    failed = Generation.objects.filter(workspace=team, status=Status.FAILED).first()
    message = act(client, "retry", [failed])
    assert "This workspace has 0 s of video left this month; this generation needs 5 s." in message
    assert not Generation.objects.filter(parent=failed).exists()


def test_other_admins_render(client, staff, ledger):
    client.force_login(staff)
    for url in (
        "/admin/generations/project/",
        "/admin/generations/workerheartbeat/",
        "/admin/workspaces/workspace/",
        "/admin/workspaces/membership/",
        "/admin/workspaces/workspacequota/",
        f"{CHANGELIST}?status__exact=failed&model_code=Doubao-Seedance-1.0-lite-i2v",
        f"{CHANGELIST}?created_at__year=2025&created_at__month=3",
    ):
        assert client.get(url).status_code == 200, url
