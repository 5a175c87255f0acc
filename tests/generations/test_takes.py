"""Takes: 1 to 4 variations in one submit, one quota reservation, one group side by side."""

from __future__ import annotations

import re
from typing import Any

import pytest

from studio.generations.models import Generation
from studio.workspaces.models import WorkspaceQuota
from tests.factories import image_file

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"


def form_data(client, project, **overrides) -> dict[str, Any]:
    page = client.get(f"/projects/{project.code}/").content.decode()
    found = re.search(r'name="submit_token" value="(\w+)"', page)
    assert found is not None, "the form has no submit token"
    token = found[1]
    data = {
        "prompt": "一只猫在屋顶上",
        "aspect_ratio": "9:16",
        "clarity": "720",
        "duration": "5",
        "takes": "3",
    }
    return {**data, "submit_token": token, **overrides}


def test_three_takes_make_one_group_shown_side_by_side(sign_in_as, team):
    project = team["project"]
    client = sign_in_as("editor")
    response = client.post(f"/projects/{project.code}/generate", form_data(client, project), **HTMX)
    takes = list(Generation.objects.order_by("take_index"))
    assert [t.take_index for t in takes] == [1, 2, 3]
    assert takes[0].take_group is not None and len({t.take_group for t in takes}) == 1
    assert {t.prompt for t in takes} == {"一只猫在屋顶上"}

    fragment = response.content.decode()  # the whole group comes back, in take order
    assert '<section class="shot" id="shot-' in fragment and 'aria-label="3 takes"' in fragment
    assert fragment.count("一只猫在屋顶上") == 1  # one prompt header for the whole group
    assert [f"Take {n}" for n in (1, 2, 3)] == re.findall(
        r'<span class="take-label">(Take \d)</span>', fragment
    )
    assert re.findall(r'id="gen-([0-9a-f-]+)"', fragment) == [str(t.code) for t in takes]

    page = client.get(f"/projects/{project.code}/").content.decode()
    group = page.split('<section class="shot"')[1].split("</section>")[0]
    assert re.findall(r'<article class="gen-card[^"]*" id="gen-([0-9a-f-]+)"', group) == [
        str(t.code) for t in takes
    ]


def test_one_take_is_a_plain_card(sign_in_as, team):
    client = sign_in_as("editor")
    client.post(f"/projects/{team['project'].code}/generate", form_data(client, team["project"], takes="1"))
    generation = Generation.objects.get()
    assert generation.take_group is None
    page = client.get(f"/projects/{team['project'].code}/").content.decode()
    assert 'class="take-label"' not in page and 'aria-label="1 take"' in page


def test_a_double_submit_of_takes_still_makes_one_group(sign_in_as, team):
    project = team["project"]
    client = sign_in_as("editor")
    data = form_data(client, project, takes="4")
    client.post(f"/projects/{project.code}/generate", data, **HTMX)
    repeat = client.post(f"/projects/{project.code}/generate", data, **HTMX)
    assert repeat.status_code == 204
    client.post(f"/projects/{project.code}/generate", data)  # and again without JavaScript
    assert Generation.objects.count() == 4
    assert Generation.objects.values("take_group").distinct().count() == 1


def test_takes_share_one_stored_frame(sign_in_as, team):
    project = team["project"]
    client = sign_in_as("editor")
    client.post(
        f"/projects/{project.code}/generate",
        {**form_data(client, project, takes="2"), "start_frame": image_file()},
    )
    first, second = Generation.objects.order_by("take_index")
    assert first.start_frame.name and first.start_frame.name == second.start_frame.name


def test_takes_are_reserved_together_and_refused_together(sign_in_as, team):
    WorkspaceQuota.objects.create(workspace=team["workspace"], monthly_seconds=15)
    project = team["project"]
    client = sign_in_as("editor")
    response = client.post(f"/projects/{project.code}/generate", form_data(client, project, takes="4"))
    page = response.content.decode()
    assert "This workspace has 15 s of video left this month; 4 takes of 5 s need 20 s." in page
    assert "this generation needs" not in page  # said once, for the takes, not twice
    assert not Generation.objects.exists()  # none of the four, not the first three

    client.post(f"/projects/{project.code}/generate", form_data(client, project, takes="3"))
    assert Generation.objects.count() == 3
    assert "0 s of video left this month." in client.get(f"/projects/{project.code}/").content.decode()


def test_takes_refused_by_the_member_allowance_say_so_once_in_english_and_chinese(sign_in_as, team):
    WorkspaceQuota.objects.create(
        workspace=team["workspace"], monthly_seconds=100, per_member_monthly_seconds=10
    )
    project = team["project"]
    client = sign_in_as("editor")
    page = client.post(f"/projects/{project.code}/generate", form_data(client, project)).content.decode()
    assert "You have 10 s of video left in this workspace this month; 3 takes of 5 s need 15 s." in page
    assert "this generation needs" not in page

    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
    page = client.post(
        f"/projects/{project.code}/generate", form_data(client, project), **zh
    ).content.decode()
    assert "本月你在此工作区还可生成 10 秒视频，而 3 个 5 秒的版本共需 15 秒。" in page
    assert not Generation.objects.exists()


def test_more_than_four_takes_is_refused(sign_in_as, team):
    client = sign_in_as("editor")
    response = client.post(
        f"/projects/{team['project'].code}/generate", form_data(client, team["project"], takes="5")
    )
    assert "Select a valid choice." in response.content.decode()
    assert not Generation.objects.exists()
