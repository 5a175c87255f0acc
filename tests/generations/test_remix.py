"""Remix: "Use these settings" fills the form from any generation, and the player shows the lineage."""

from __future__ import annotations

import re
from typing import Any

import pytest

from studio.generations.models import Generation
from tests.factories import finished_generation, image_file, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens: no request leaves


@pytest.fixture
def parent(team) -> Generation:
    generation = finished_generation(
        team["workspace"], team["project"], team["owner"], prompt="红灯笼 over the lake"
    )
    Generation.objects.filter(pk=generation.pk).update(aspect_ratio="16:9", clarity=720, duration=10)
    generation.refresh_from_db()
    return generation


def remix_post(parent: Generation, **overrides) -> dict[str, Any]:
    data = {
        "prompt": parent.prompt,
        "aspect_ratio": parent.aspect_ratio,
        "clarity": str(parent.clarity),
        "duration": str(parent.duration),
        "remix_of": str(parent.code),
        "keep_start_frame": "on",
    }
    return {**data, **overrides}


def test_use_these_settings_fills_the_projects_form(sign_in_as, team, parent):
    page = sign_in_as("editor").get(f"/g/{parent.code}/remix").content.decode()
    assert f'action="/projects/{team["project"].code}/generate"' in page
    assert re.search(r"<textarea[^>]*>\s*红灯笼 over the lake</textarea>", page)
    assert re.search(r'<input type="radio" name="aspect_ratio" value="16:9"[^>]* checked>', page)
    assert re.search(r'<input type="radio" name="clarity" value="720"[^>]* checked>', page)
    assert re.search(r'<input type="radio" name="duration" value="10"[^>]* checked>', page)
    assert f'name="remix_of" value="{parent.code}"' in page
    # The parent's start frame is previewed, kept unless unticked or replaced.
    assert f'src="/g/{parent.code}/frames/start"' in page
    assert re.search(r'<input type="checkbox" name="keep_start_frame"[^>]*checked', page)


def test_the_remix_records_its_parent_and_reuses_the_stored_frame(sign_in_as, team, parent):
    client = sign_in_as("editor")
    response = client.post(
        f"/projects/{team['project'].code}/generate", remix_post(parent, prompt="更亮一些")
    )
    assert response.status_code == 302
    child = Generation.objects.get(prompt="更亮一些")
    assert child.parent == parent
    assert (child.aspect_ratio, child.clarity, child.duration) == ("16:9", 720, 10)
    assert child.start_frame.name == parent.start_frame.name  # the same stored image, not a copy


def test_a_new_file_replaces_the_frame_and_unticking_drops_it(sign_in_as, team, parent):
    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/generate"
    client.post(url, {**remix_post(parent, prompt="replaced"), "start_frame": image_file("new.png")})
    replaced = Generation.objects.get(prompt="replaced")
    assert replaced.start_frame.name == f"frames/{replaced.code}/start.png"  # the new file, not the parent's
    no_frame = remix_post(parent, prompt="no frame")
    del no_frame["keep_start_frame"]
    client.post(url, no_frame)
    assert not Generation.objects.get(prompt="no frame").start_frame


def test_the_player_shows_parent_and_children(sign_in_as, team, parent):
    client = sign_in_as("editor")
    client.post(f"/projects/{team['project'].code}/generate", remix_post(parent, prompt="the remix"))
    child = Generation.objects.get(prompt="the remix")

    child_page = client.get(f"/g/{child.code}/").content.decode()
    assert "Made from" in child_page and f'href="/g/{parent.code}/" rel="up"' in child_page
    assert '<span class="t">This video</span>' in child_page  # the end of the trail
    parent_page = client.get(f"/g/{parent.code}/").content.decode()
    assert "Remixes and retries of this video:" in parent_page
    assert re.search(rf'<a href="/g/{child.code}/"[^>]*>.*?the remix · ', parent_page)
    # The player has the download button and the way to remix again.
    assert f'href="/g/{parent.code}/video.mp4?download=1"' in parent_page
    assert f'href="/g/{parent.code}/remix"' in parent_page


def test_a_viewer_picks_one_of_their_own_projects(sign_in_as, team, parent):
    viewer = team["viewer"]
    own = make_project(created_by=viewer, name="My drafts")
    client = sign_in_as("viewer")
    picker = client.get(f"/g/{parent.code}/remix").content.decode()
    assert "My drafts" in picker and "Team project" not in picker  # viewers cannot generate in the team

    page = client.get(f"/g/{parent.code}/remix", {"project": str(own.code)}).content.decode()
    assert f'action="/projects/{own.code}/generate"' in page and "红灯笼 over the lake" in page
    client.post(f"/projects/{own.code}/generate", remix_post(parent, prompt="my take on it"))
    child = Generation.objects.get(prompt="my take on it")
    assert child.project == own and child.parent == parent
    assert client.get(f"/g/{parent.code}/remix", {"project": str(team["project"].code)}).status_code == 403


def test_a_parent_out_of_reach_is_404(sign_in_as, team, parent):
    outsider = team["outsider"]
    own = make_project(created_by=outsider, name="Mine")
    client = sign_in_as("outsider")
    assert client.get(f"/g/{parent.code}/remix").status_code == 404
    assert client.post(f"/projects/{own.code}/generate", remix_post(parent)).status_code == 404
    assert not Generation.objects.filter(project=own).exists()
