"""Monthly quotas: what remains, the refusal a person reads, and release on failure or cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from studio.generations.models import Generation, Status
from studio.generations.quota import QuotaExceeded, month_start, remaining, reserve
from studio.generations.services import create_generation
from studio.workspaces.models import Role, WorkspaceQuota, personal_workspace_for
from tests.factories import add_member, make_past_generation, make_staff, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FORM = {"prompt": "海边日落,镜头缓慢拉远", "aspect_ratio": "9:16", "clarity": "720", "duration": "10"}


def this_month(**delta) -> datetime:
    return month_start() + timedelta(hours=1, **delta)


@pytest.fixture
def used(alice, alice_project):
    """Alice's workspace has a 30 s quota; 15 s are held this month, the rest released or older."""
    WorkspaceQuota.objects.create(workspace=alice_project.workspace, monthly_seconds=30)
    make_past_generation(alice_project, alice, created=this_month(), duration=5)  # billed
    make_past_generation(alice_project, alice, created=this_month(), duration=10, status=Status.PENDING)
    make_past_generation(alice_project, alice, created=this_month(), duration=10, status=Status.FAILED)
    make_past_generation(alice_project, alice, created=this_month(), duration=10, status=Status.CANCELLED)
    make_past_generation(alice_project, alice, created=month_start() - timedelta(seconds=1), duration=10)
    return alice_project


def test_no_quota_means_no_limit(alice, alice_project):
    assert remaining(alice_project.workspace, alice) is None
    with reserve(alice_project.workspace, alice, 10_000) as status:
        assert status is None


def test_remaining_counts_this_months_held_seconds_only(alice, used):
    status = remaining(used.workspace, alice)
    assert (status.workspace_used, status.remaining, status.member_left) == (15, 15, None)


def test_refusal_says_what_is_left_and_what_is_needed(alice, used):
    with pytest.raises(QuotaExceeded) as refusal, reserve(used.workspace, alice, 20):
        pytest.fail("the block must not run")
    assert refusal.value.message == (
        "This workspace has 15 s of video left this month; this generation needs 20 s."
    )
    with reserve(used.workspace, alice, 15) as status:  # exactly what is left fits
        assert status.remaining == 15


def test_member_cap(alice, used):
    bob = make_user("bob")
    add_member(used.workspace, bob, Role.EDITOR)
    WorkspaceQuota.objects.filter(workspace=used.workspace).update(per_member_monthly_seconds=20)
    assert remaining(used.workspace, alice).remaining == 5  # alice holds 15 of her 20
    assert remaining(used.workspace, bob).remaining == 15  # bob is held back by the workspace
    with pytest.raises(QuotaExceeded) as refusal:
        create_generation(used, alice, {**FORM, "duration": 10})
    assert refusal.value.message == (
        "You have 5 s of video left in this workspace this month; this generation needs 10 s."
    )
    create_generation(used, bob, {**FORM, "duration": 10})
    assert remaining(used.workspace, bob).remaining == 5


def test_failure_and_cancel_release_seconds(alice, used):
    pending = Generation.objects.get(status=Status.PENDING)
    pending.set_status(Status.CANCELLED)
    pending.save()
    assert remaining(used.workspace, alice).remaining == 25


def test_month_starts_at_midnight_studio_time():
    # 31 March 16:30 UTC is 1 April 00:30 in Shanghai: already April's allowance.
    start = month_start(datetime(2025, 3, 31, 16, 30, tzinfo=UTC))
    assert start.isoformat() == "2025-04-01T00:00:00+08:00"


def test_form_shows_what_remains(client, alice, used):
    client.force_login(alice)
    html = client.get(f"/projects/{used.code}/").content.decode()
    assert "15 s of video left this month." in html


def test_no_quota_no_line(client, alice, alice_project):
    client.force_login(alice)
    assert "left this month" not in client.get(f"/projects/{alice_project.code}/").content.decode()


def test_over_quota_is_a_form_error_in_place(client, alice, used):
    client.force_login(alice)
    before = Generation.objects.count()
    response = client.post(f"/projects/{used.code}/generate", {**FORM, "duration": "10"}, **HTMX)
    # 10 s fit in 15: accepted. The next 10 s do not fit in the 5 left.
    assert Generation.objects.count() == before + 1
    response = client.post(f"/projects/{used.code}/generate", {**FORM, "duration": "10"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#generation-form"
    html = response.content.decode()
    assert "This workspace has 5 s of video left this month; this generation needs 10 s." in html
    assert 'role="alert"' in html
    assert "5 s of video left this month." in html
    assert Generation.objects.count() == before + 1
    plain = client.post(f"/projects/{used.code}/generate", {**FORM, "duration": "10"})
    assert plain.status_code == 200
    assert "this generation needs 10 s." in plain.content.decode()


def test_quota_is_set_in_the_workspace_admin(client, alice):
    staff = make_staff("ops")
    client.force_login(staff)
    workspace = personal_workspace_for(alice)
    page = client.get(f"/admin/workspaces/workspace/{workspace.pk}/change/")
    assert page.status_code == 200
    assert "quota-0-monthly_seconds" in page.content.decode()
    assert client.get("/admin/workspaces/workspacequota/add/").status_code == 200
    response = client.post(
        "/admin/workspaces/workspacequota/add/",
        {"workspace": workspace.pk, "monthly_seconds": 600, "per_member_monthly_seconds": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    quota = WorkspaceQuota.objects.get(workspace=workspace)
    assert (quota.monthly_seconds, quota.per_member_monthly_seconds) == (600, None)
    assert remaining(workspace, alice).remaining == 600
    assert timezone.now() >= month_start()
