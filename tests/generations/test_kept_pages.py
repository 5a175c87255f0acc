"""Kept pages and fragments: the galleries, the project page, the header and the composer are
drawn once and served again, and anything a person would see change shows on the very next
visit. Run on the default cache, and on Redis too when TEST_REDIS_URL is set: .ci/run sets it
when a Redis answers on 127.0.0.1:6379."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations.models import Generation, SavedPrompt, Status
from studio.workspaces.models import Membership, Workspace
from tests.factories import add_member, finished_generation, make_project, make_user

# Every test runs on local memory, and on Redis too when TEST_REDIS_URL is set (conftest.each_cache).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_cache")]


def get(client: Client, url: str, **headers) -> tuple[str, int]:
    """The page's HTML and how many queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode(), len(queries)


def was_kept(client: Client, url: str) -> str:
    """Visits twice; the second visit must come from the cache (no card or page template drawn)."""
    client.get(url)
    response = client.get(url)
    assert response.status_code == 200
    assert not response.templates, [t.name for t in response.templates]
    return response.content.decode()


def tile(page: str, generation: Generation) -> str:
    found = re.search(rf'<figure [^>]*id="item-{generation.code}".*?</figure>', page, re.S)
    assert found, f"no tile for {generation.prompt}"
    return found[0]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return found[1]


def test_a_gallery_seen_again_is_served_whole_and_cheaper(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    first, drawn = get(client, "/gallery/team/")
    again, kept = get(client, "/gallery/team/")
    assert kept < drawn
    assert was_kept(client, "/gallery/team/")
    assert team_generation.prompt in again and "by editor" in again
    # The per-visit values are this request's own, never a copy of another visit's.
    assert "<!--csrf-->" not in again and "<!--next-->" not in again and "<!--live:" not in again
    assert 'name="next" value="/gallery/team/"' in again


def test_a_star_a_rename_a_finish_and_a_language_switch_show_at_once(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    url = "/gallery/team/"
    was_kept(client, url)

    assert client.post(f"/g/{team_generation.code}/star", {"starred": "1"}).status_code == 302
    assert "is-starred" in tile(client.get(url).content.decode(), team_generation)

    team["project"].name = "Renamed project"
    team["project"].save()
    assert "Renamed project" in client.get(url).content.decode()  # in the filter bar's choices

    pending = Generation.objects.create(
        workspace=team["workspace"], project=team["project"], created_by=team["owner"], prompt="just finished"
    )
    assert "just finished" not in client.get(url).content.decode()
    Generation.objects.filter(pk=pending.pk).update(status=Status.SUCCEEDED, finished_at=timezone.now())
    assert "just finished" in client.get(url).content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": url})
    chinese = client.get(url).content.decode()
    assert 'lang="zh-hans"' in chinese and "作品库" in chinese and "Gallery" not in chinese


def test_renamed_people_and_workspaces_show_in_the_header_and_filters(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    url = "/gallery/team/"
    was_kept(client, url)
    team["editor"].username = "editor-renamed"
    team["editor"].save()
    page = client.get(url).content.decode()
    assert "editor-renamed" in page  # the header, the tile's maker, the "Made by" choices
    assert 'value="editor-renamed"' in page
    Workspace.objects.filter(pk=team["workspace"].pk).update(name="Night shift")
    assert "Night shift" in client.get(url).content.decode()


def test_new_and_departing_members_change_the_made_by_choices(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    url = "/gallery/team/"
    was_kept(client, url)
    newcomer = make_user("newcomer")
    add_member(team["workspace"], newcomer)
    assert 'value="newcomer"' in client.get(url).content.decode()
    Membership.objects.get(user=newcomer, workspace=team["workspace"]).delete()
    assert 'value="newcomer"' not in client.get(url).content.decode()


def test_two_people_never_see_each_others_kept_page(team, team_generation):
    pages = {}
    for persona in ("editor", "viewer"):
        client = Client()
        client.force_login(team[persona])
        session = client.session
        session["workspace_code"] = str(team["workspace"].code)
        session.save()
        pages[persona] = was_kept(client, "/gallery/team/")
    assert '<span class="who">editor</span>' in pages["editor"]
    assert '<span class="who">viewer</span>' in pages["viewer"]
    assert 'value="delete"' in pages["editor"] and 'value="delete"' not in pages["viewer"]


def test_a_kept_page_carries_a_csrf_token_that_works_for_this_visitor(team, team_generation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(team["editor"])
    was_kept(client, "/gallery/")
    other = Client(enforce_csrf_checks=True)
    other.force_login(team["editor"])
    page = was_kept(other, "/gallery/")  # kept by the first visit, filled for this one
    response = other.post(
        f"/g/{team_generation.code}/star", {"starred": "1", "csrfmiddlewaretoken": csrf_of(page)}
    )
    assert response.status_code == 302


def test_a_page_with_a_message_is_drawn_and_the_message_shown_once(sign_in_as, team, team_generation):
    client = sign_in_as("owner")
    was_kept(client, "/gallery/team/")
    client.post(f"/workspaces/{team['workspace'].code}/rename", {"name": "Team, renamed"})
    shown = client.get("/gallery/team/")
    assert shown.templates and "Renamed." in shown.content.decode()  # drawn, not kept
    after = was_kept(client, "/gallery/team/")
    assert team_generation.prompt in after and "Team, renamed" in after
    assert 'class="messages"' not in after  # shown once, never kept


def test_the_project_page_is_kept_with_a_fresh_submit_token_each_visit(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/"
    first = was_kept(client, url)
    second = client.get(url).content.decode()
    token = r'name="submit_token" value="([^"]*)"'
    assert re.search(token, first)[1] and re.search(token, second)[1]
    assert re.search(token, first)[1] != re.search(token, second)[1]
    assert team_generation.prompt in second


def test_the_project_page_shows_new_saved_prompts_and_the_quota_left(sign_in_as, team, team_generation):
    from studio.workspaces.models import WorkspaceQuota

    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/"
    was_kept(client, url)
    SavedPrompt.objects.create(project=team["project"], name="Dawn", text="a dawn over the bay")
    assert "a dawn over the bay" in client.get(url).content.decode()
    WorkspaceQuota.objects.create(workspace=team["workspace"], monthly_seconds=600)
    assert "s of video left this month" in client.get(url).content.decode()


def test_the_project_page_pages_older_shots_without_splitting_takes(sign_in_as, team):
    from studio.generations.views import PAGE_SIZE

    project = team["project"]
    start = timezone.now() - timedelta(days=1)
    singles = [
        finished_generation(team["workspace"], project, team["editor"], prompt=f"single {n}")
        for n in range(PAGE_SIZE - 2)
    ]
    for n, generation in enumerate(singles):
        Generation.objects.filter(pk=generation.pk).update(created_at=start + timedelta(minutes=100 - n))
    # Three takes made together straddle the end of the first page: they move to the second whole.
    group = "9d5b2c1e-0000-4000-8000-000000000001"
    for index in (1, 2, 3):
        take = finished_generation(team["workspace"], project, team["editor"], prompt="three takes")
        Generation.objects.filter(pk=take.pk).update(
            created_at=start + timedelta(minutes=10, seconds=index), take_group=group, take_index=index
        )
    client = sign_in_as("editor")
    url = f"/projects/{project.code}/"
    first = client.get(url).content.decode()
    assert first.count('class="shot"') == PAGE_SIZE - 2 and "three takes" not in first
    older = re.search(r'<a class="button" rel="next" href="([^"]+)"', first)[1]
    assert "Show older videos" in first

    more = client.get(older, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="generation-list").content.decode()
    assert "<html" not in more and "three takes" in more
    assert more.count('class="gen-card') == 3
    assert 'id="project-pager"' in more and 'hx-swap-oob="true"' in more and "Show older" not in more
    whole = client.get(older).content.decode()  # without scripts: the older page, whole
    assert "three takes" in whole and "Back to the newest" in whole


def test_directory_versions_go_up_with_the_names_pages_list(team):
    workspace = team["workspace"]

    def version() -> int:
        return Workspace.objects.get(pk=workspace.pk).directory_version

    before = version()
    project = make_project(workspace, name="Another")
    assert version() == before + 1
    project.name = "Another, renamed"
    project.save()
    SavedPrompt.objects.create(project=project, name="p", text="t")
    member = add_member(workspace, make_user("someone"))
    member.user.username = "someone-else"
    member.user.save()
    assert version() == before + 5
    member.user.last_login = timezone.now()
    member.user.save(update_fields=["last_login"])  # signing in changes no name
    workspace.name = "Renamed"
    workspace.save()  # saved from an older copy: the version is never put back
    assert version() == before + 5


def test_keeping_can_be_turned_off(sign_in_as, team, team_generation, settings):
    settings.CARD_CACHE_SECONDS = 0
    client = sign_in_as("editor")
    client.get("/gallery/team/")
    assert client.get("/gallery/team/").templates  # drawn every time


def test_pages_are_drawn_without_the_cache_when_redis_is_down(
    sign_in_as, team, team_generation, settings, caplog, monkeypatch
):
    from studio.lib import fragments

    monkeypatch.setattr(fragments, "_last_complaint", -1e9)  # logged once a minute: not yet
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    client = sign_in_as("editor")
    for url in ("/gallery/team/", "/gallery/", f"/projects/{team['project'].code}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert team_generation.prompt in response.content.decode()
    assert "cache unavailable" in caplog.text


def test_made_up_parameters_are_drawn_not_kept(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    assert was_kept(client, "/gallery/team/?q=lantern&ratio=9:16")  # the filter bar's own are kept
    client.get("/gallery/team/?utm=1")
    assert client.get("/gallery/team/?utm=1").templates  # drawn every time, never stored
    project = f"/projects/{team['project'].code}/"
    client.get(f"{project}?x=1")
    assert client.get(f"{project}?x=1").templates
