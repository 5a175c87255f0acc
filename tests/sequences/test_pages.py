"""Sequence pages: build, reorder by buttons, keys or drag and drop, switch takes, and constant queries."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.sequences.models import Export, ExportShareLink, Sequence
from tests.factories import finished_generation, make_export, make_sequence

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def takes(team, count: int, prompt: str):
    group = uuid.uuid4()
    return [
        finished_generation(
            team["workspace"], team["project"], team["editor"], prompt=prompt, take_group=group, take_index=n
        )
        for n in range(1, count + 1)
    ]


def shot_prompts(sequence: Sequence) -> list[str]:
    return [shot.generation.prompt for shot in sequence.shots.select_related("generation")]


@pytest.fixture
def built(team):
    shots = [finished_generation(team["workspace"], team["project"], team["editor"], prompt=p) for p in "ABC"]
    return make_sequence(team["project"], shots, created_by=team["editor"])


def test_an_editor_adds_a_shot_from_a_card_to_a_new_sequence(client, sign_in_as, team, team_generation):
    sign_in_as("editor")
    card = client.get(f"/projects/{team['project'].code}/").content.decode()
    assert f'href="/g/{team_generation.code}/add-to-sequence"' in card
    assert f'href="/g/{team_generation.code}/continue"' in card
    response = client.post(f"/g/{team_generation.code}/add-to-sequence", {"new_name": "Trailer"})
    sequence = Sequence.objects.get(name="Trailer")
    assert response.url == f"/sequences/{sequence.code}/"
    assert (sequence.aspect_ratio, sequence.clarity) == (
        team_generation.aspect_ratio,
        team_generation.clarity,
    )
    assert shot_prompts(sequence) == [team_generation.prompt]


def test_the_team_gallery_offers_continue_and_add_to_a_sequence_to_editors_only(
    client, sign_in_as, team, team_generation
):
    add = f"/g/{team_generation.code}/add-to-sequence"
    sign_in_as("editor")
    gallery = client.get("/gallery/team/").content.decode()
    assert add in gallery and f"/g/{team_generation.code}/continue" in gallery
    assert client.get(add).status_code == 200
    client.logout()
    sign_in_as("viewer")
    assert add not in client.get("/gallery/team/").content.decode()


def test_arrow_buttons_move_a_shot_and_answer_with_the_new_list(client, sign_in_as, built):
    sign_in_as("editor")
    first = built.shots.first()
    response = client.post(f"/shots/{first.code}/move", {"to": "down"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(">B<") < html.index(">A<") < html.index(">C<")
    assert shot_prompts(built) == ["B", "A", "C"]
    client.post(f"/shots/{first.code}/move", {"to": "last"})
    assert shot_prompts(built) == ["B", "C", "A"]
    assert client.post(f"/shots/{first.code}/move", {"to": "sideways"}).status_code == 400


def test_drag_and_drop_sends_the_whole_order(client, sign_in_as, built):
    sign_in_as("editor")
    codes = {shot.generation.prompt: str(shot.code) for shot in built.shots.select_related("generation")}
    response = client.post(
        f"/sequences/{built.code}/order", {"shot": [codes["C"], codes["A"], codes["B"]]}, **HTMX
    )
    assert response.status_code == 200
    assert shot_prompts(built) == ["C", "A", "B"]
    # A stale page (a shot missing) changes nothing.
    stale = client.post(f"/sequences/{built.code}/order", {"shot": [codes["A"], codes["B"]]})
    assert stale.status_code == 409
    assert shot_prompts(built) == ["C", "A", "B"]


def test_a_shot_switches_to_another_take_of_its_group_and_only_that(client, sign_in_as, team, built):
    sign_in_as("editor")
    take1, take2, _take3 = takes(team, 3, "D")
    shot = built.append(take1)
    page = client.get(f"/sequences/{built.code}/").content.decode()
    assert f'<option value="{take2.code}">Take 2</option>' in page
    client.post(f"/shots/{shot.code}/take", {"generation": str(take2.code)})
    shot.refresh_from_db()
    assert shot.generation == take2
    stranger = finished_generation(team["workspace"], team["project"], team["editor"], prompt="E")
    assert client.post(f"/shots/{shot.code}/take", {"generation": str(stranger.code)}).status_code == 404


def test_remove_takes_the_shot_out_and_keeps_the_video(client, sign_in_as, built):
    sign_in_as("editor")
    shot = built.shots.first()
    client.post(f"/shots/{shot.code}/remove")
    assert shot_prompts(built) == ["B", "C"]
    assert shot.generation.__class__.objects.filter(pk=shot.generation_id).exists()


def test_a_viewer_watches_and_downloads_but_builds_nothing(client, sign_in_as, built):
    export = make_export(built)
    sign_in_as("viewer")
    page = client.get(f"/sequences/{built.code}/").content.decode()
    assert "Play all shots" in page
    assert f"/exports/{export.code}/video.mp4?download=1" in page
    assert "Move up" not in page and "Export as one MP4" not in page and "draggable" not in page
    assert client.get(f"/exports/{export.code}/video.mp4?download=1").status_code == 200
    assert client.post(f"/sequences/{built.code}/export").status_code == 403


def test_exporting_queues_and_the_panel_polls_until_it_is_done(client, sign_in_as, built):
    sign_in_as("editor")
    panel = client.post(f"/sequences/{built.code}/export", **HTMX).content.decode()
    export = Export.objects.get()
    assert export.status == "queued"
    assert f'hx-get="/sequences/{built.code}/exports"' in panel and "every 2s" in panel
    Export.objects.filter(pk=export.pk).update(status="running", progress=40)
    running = client.get(f"/sequences/{built.code}/exports", **HTMX)
    assert running.status_code == 200 and 'value="40"' in running.content.decode()
    Export.objects.filter(pk=export.pk).update(status="failed")
    assert client.get(f"/sequences/{built.code}/exports", **HTMX).status_code == 286


def test_an_export_share_link_plays_for_anyone_until_revoked(client, sign_in_as, built):
    export = make_export(built)
    sign_in_as("editor")
    client.post(f"/exports/{export.code}/share", {"expires_in": ""})
    link = ExportShareLink.objects.get()
    client.logout()
    page = client.get(f"/s/x/{link.token}/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert client.get(f"/s/x/{link.token}/video.mp4").status_code == 200
    sign_in_as("editor")
    client.post(f"/export-shares/{link.code}/revoke")
    client.logout()
    assert client.get(f"/s/x/{link.token}/").status_code == 404
    assert client.get(f"/s/x/{link.token}/video.mp4").status_code == 404


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_sequence_pages_run_a_constant_number_of_queries(client, sign_in_as, team):
    sign_in_as("editor")
    sequence = make_sequence(team["project"], takes(team, 2, "X")[:1], created_by=team["editor"])
    make_export(sequence)
    pages = [f"/sequences/{sequence.code}/", f"/projects/{team['project'].code}/sequences/"]
    few = [count_queries(client, url) for url in pages]
    for index in range(5):
        sequence.append(takes(team, 3, f"Y{index}")[0])
        sequence.append(finished_generation(team["workspace"], team["project"], team["editor"]))
        ExportShareLink.objects.create(export=make_export(sequence), created_by=team["editor"])
        make_sequence(team["project"], name=f"other {index}")
    many = [count_queries(client, url) for url in pages]
    assert many == few


def test_a_shot_whose_video_went_to_the_trash_is_neither_played_nor_exported(client, sign_in_as, built):
    from django.utils import timezone

    from studio.generations.models import Generation

    first = built.shots.first()
    Generation.objects.filter(pk=first.generation_id).update(deleted_at=timezone.now())
    sign_in_as("editor")
    page = client.get(f"/sequences/{built.code}/").content.decode()
    assert "In the Trash" in page
    assert "data-shot-video>Shot 1" in page and f"/g/{first.generation.code}/video.mp4" not in page
    client.post(f"/sequences/{built.code}/export")
    assert first.generation_id not in Export.objects.get().generation_ids
