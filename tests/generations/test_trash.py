"""Delete, restore and archive; the Trash; bulk actions and the streamed ZIP."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.utils import timezone

from studio.generations.models import TRASH_DAYS, Favorite, Generation
from studio.generations.zipstream import zip_of_videos
from studio.sharing.models import ShareLink
from studio.usage.report import build_report
from tests.factories import finished_generation

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def usage_totals() -> tuple[object, ...]:
    today = timezone.localdate()
    totals = build_report(today - timedelta(days=1), today + timedelta(days=1)).totals
    return totals.generations, totals.succeeded, totals.billed_seconds


def test_a_deleted_video_leaves_pages_but_not_the_usage_figures(sign_in_as, team, team_generation):
    before = usage_totals()
    client = sign_in_as("editor")
    response = client.post(f"/g/{team_generation.code}/delete", **HTMX)
    assert response.status_code == 200 and response.content == b""  # the card goes away in place
    assert usage_totals() == before == (1, 1, team_generation.duration)
    assert team_generation.prompt not in client.get(f"/projects/{team['project'].code}/").content.decode()
    assert team_generation.prompt not in client.get("/gallery/team/").content.decode()
    assert client.get(f"/g/{team_generation.code}/").status_code == 404
    trash = client.get("/trash/").content.decode()
    assert f'id="trash-{team_generation.code}"' in trash and team_generation.prompt in trash

    response = client.post(f"/g/{team_generation.code}/restore")
    assert response.status_code == 302
    assert client.get(f"/g/{team_generation.code}/").status_code == 200
    assert "The Trash is empty." in client.get("/trash/").content.decode()


def test_a_deleted_project_takes_its_videos_to_the_trash_and_back(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    project = team["project"]
    assert client.post(f"/projects/{project.code}/delete")["Location"] == "/projects/"
    assert f'href="/projects/{project.code}/"' not in client.get("/projects/").content.decode()
    assert client.get(f"/projects/{project.code}/").status_code == 404
    assert client.get(f"/g/{team_generation.code}/").status_code == 404
    assert team_generation.prompt not in client.get("/gallery/team/").content.decode()
    trash = client.get("/trash/").content.decode()
    assert f'id="trash-{project.code}"' in trash and "1 video" in trash
    assert f'id="trash-{team_generation.code}"' not in trash  # it comes back with its project

    assert client.post(f"/projects/{project.code}/restore")["Location"] == f"/projects/{project.code}/"
    assert client.get(f"/g/{team_generation.code}/").status_code == 200


def test_the_trash_keeps_things_thirty_days(sign_in_as, team, team_generation):
    old = timezone.now() - timedelta(days=TRASH_DAYS, minutes=1)
    Generation.objects.filter(pk=team_generation.pk).update(deleted_at=old)
    client = sign_in_as("editor")
    assert team_generation.prompt not in client.get("/trash/").content.decode()
    assert client.post(f"/g/{team_generation.code}/restore").status_code == 404
    assert Generation.objects.filter(pk=team_generation.pk).exists()  # still counted by the ledger


def test_a_shared_video_in_the_trash_is_no_longer_public(client, team, team_generation):
    link = ShareLink.objects.create(generation=team_generation, created_by=team["owner"])
    assert client.get(f"/s/{link.token}/").status_code == 200
    Generation.objects.filter(pk=team_generation.pk).update(deleted_at=timezone.now())
    assert client.get(f"/s/{link.token}/").status_code == 404
    assert client.get(f"/s/{link.token}/video.mp4").status_code == 404


def test_archived_projects_leave_the_list_and_come_back(sign_in_as, team):
    client = sign_in_as("editor")
    project = team["project"]
    client.post(f"/projects/{project.code}/archive", {"archived": "1"})
    page = client.get("/projects/").content.decode()
    assert "1 archived project" in page and 'class="project-grid"' not in page
    assert client.get(f"/projects/{project.code}/").status_code == 200  # still works
    client.post(f"/projects/{project.code}/archive", {"archived": "0"})
    assert "archived project" not in client.get("/projects/").content.decode()


def test_viewers_cannot_delete_restore_or_archive(sign_in_as, team, team_generation):
    client = sign_in_as("viewer")
    assert client.post(f"/g/{team_generation.code}/delete").status_code == 403
    assert client.post(f"/projects/{team['project'].code}/archive").status_code == 403
    assert (
        client.post("/gallery/selected", {"action": "delete", "g": [team_generation.code]}).status_code == 404
    )
    team_generation.refresh_from_db()
    assert team_generation.deleted_at is None
    # Nothing they cannot do is offered.
    page = client.get(f"/projects/{team['project'].code}/").content.decode()
    assert f"/g/{team_generation.code}/delete" not in page and "/archive" not in page


def test_bulk_star_and_delete_act_only_on_what_the_person_may_touch(sign_in_as, team, team_generation):
    mine = finished_generation(team["workspace"], team["project"], team["editor"], prompt="second")
    client = sign_in_as("viewer")
    codes = [str(team_generation.code), str(mine.code), "not-a-code"]
    response = client.post("/gallery/selected", {"action": "star", "g": codes, "next": "/gallery/team/"})
    assert response.status_code == 302 and response["Location"] == "/gallery/team/"
    assert Favorite.objects.filter(user=team["viewer"]).count() == 2

    client = sign_in_as("editor")
    client.post("/gallery/selected", {"action": "delete", "g": codes})
    assert Generation.objects.filter(deleted_at__isnull=False).count() == 2
    assert sign_in_as("outsider").post("/gallery/selected", {"action": "star", "g": codes}).status_code == 404


def test_the_zip_streams_the_chosen_videos_in_gallery_order(sign_in_as, team, team_generation):
    newer = finished_generation(team["workspace"], team["project"], team["editor"], prompt="雨夜街头 rain")
    response = sign_in_as("viewer").post(
        "/gallery/selected.zip", {"g": [str(team_generation.code), str(newer.code)]}
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="seedance-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [
        f"01-雨夜街头-rain-{str(newer.code)[:8]}.mp4",
        f"02-a-lantern-drifts-over-the-lake-{str(team_generation.code)[:8]}.mp4",
    ]
    with team_generation.video.open("rb") as stored:
        assert archive.read(archive.namelist()[1]) == stored.read()


def test_the_zip_is_written_piece_by_piece(team, monkeypatch):
    """Never the whole archive at once: each piece is one chunk of a video, or zipfile's headers."""
    monkeypatch.setattr("studio.generations.zipstream.CHUNK", 64)
    videos = [finished_generation(team["workspace"], team["project"], team["editor"]) for _ in range(3)]
    pieces = [piece for piece in zip_of_videos(videos) if piece]
    total = sum(map(len, pieces))
    assert len(pieces) > 3 * 10 and max(map(len, pieces)) <= 512 < total
    assert zipfile.ZipFile(io.BytesIO(b"".join(pieces))).testzip() is None


def test_usage_report_keeps_deleted_generations(team, team_generation):
    day = date.today()
    before = build_report(day - timedelta(days=2), day + timedelta(days=2)).totals.billed_seconds
    Generation.objects.update(deleted_at=timezone.now())
    team["project"].deleted_at = timezone.now()
    team["project"].save()
    assert build_report(day - timedelta(days=2), day + timedelta(days=2)).totals.billed_seconds == before > 0


def test_the_sandbox_banner_can_be_hidden(client, alice, settings):
    settings.SANDBOX_MODE = True
    client.force_login(alice)
    assert 'id="sandbox-banner"' in client.get("/projects/").content.decode()
    response = client.post("/accounts/sandbox-banner/hide", {"next": "/projects/"})
    assert response["Location"] == "/projects/" and response.cookies["sandbox_banner"].value == "hidden"
    assert 'id="sandbox-banner"' not in client.get("/projects/").content.decode()
