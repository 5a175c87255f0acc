"""Cached cards: drawn once, and a star, a rename, a status change, a role change, a delete or
restore, or a language switch shows on the very next page. Run on the default cache, and on
Redis too when TEST_REDIS_URL is set (e.g. redis://127.0.0.1:6379/7): .ci/run sets it when a
Redis answers on 127.0.0.1:6379."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from studio.generations.models import Generation, Status
from studio.workspaces.models import Membership, Role
from tests.factories import finished_generation, make_project

# Every test runs on local memory, and on Redis too when TEST_REDIS_URL is set (conftest.each_cache).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_cache")]

CARD_TEMPLATES = {"generations/gallery_item.html", "generations/generation_card.html"}


def cards_drawn(response) -> int:
    return sum(1 for t in response.templates if t.name in CARD_TEMPLATES)


def tile(response, generation) -> str:
    page = response.content.decode()
    found = re.search(rf'<figure [^>]*id="item-{generation.code}".*?</figure>', page, re.S)
    assert found, f"no tile for {generation.prompt}"
    return found[0]


def card(response, generation) -> str:
    page = response.content.decode()
    found = re.search(rf'<article [^>]*id="gen-{generation.code}".*?</article>', page, re.S)
    assert found, f"no card for {generation.prompt}"
    return found[0]


@pytest.fixture
def videos(team):
    return [
        finished_generation(team["workspace"], team["project"], team["editor"], prompt=f"lantern {n}")
        for n in range(3)
    ]


def test_a_second_visit_takes_finished_cards_from_the_cache(sign_in_as, team, videos):
    client = sign_in_as("editor")
    for url in ("/gallery/team/", "/gallery/", f"/projects/{team['project'].code}/"):
        first = client.get(url)
        assert cards_drawn(first) == 3, url
        again = client.get(url)
        assert cards_drawn(again) == 0, url
        assert again.content.count(b"lantern") == first.content.count(b"lantern")


def test_a_star_shows_at_once_and_only_for_who_starred(sign_in_as, team, videos):
    editor = sign_in_as("editor")
    viewer = sign_in_as("viewer", on=Client())
    assert "is-starred" not in tile(editor.get("/gallery/team/"), videos[0])
    assert "is-starred" not in tile(viewer.get("/gallery/team/"), videos[0])
    editor.post(f"/g/{videos[0].code}/star", {"starred": "1"})
    assert "is-starred" in tile(editor.get("/gallery/team/"), videos[0])
    assert "is-starred" not in tile(viewer.get("/gallery/team/"), videos[0])
    editor.post(f"/g/{videos[0].code}/star", {"starred": "0"})
    assert "is-starred" not in tile(editor.get("/gallery/team/"), videos[0])


def test_a_status_change_shows_at_once(sign_in_as, team, videos):
    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/"
    assert "<video" in card(client.get(url), videos[1])
    # As the poller writes it: a queryset update of the status alone, no save(), no timestamp.
    Generation.objects.filter(pk=videos[1].pk).update(status=Status.FAILED)
    shown = card(client.get(url), videos[1])
    assert "<video" not in shown
    assert 'data-status="failed"' in shown
    Generation.objects.filter(pk=videos[1].pk).update(
        error_message="The provider could not make this video.", error_raw="内容审核未通过"
    )
    assert "内容审核未通过" in card(client.get(url), videos[1])


def test_a_workspace_rename_shows_at_once_on_my_generations(sign_in_as, team, videos):
    client = sign_in_as("editor")
    assert "Team" in tile(client.get("/gallery/"), videos[0])
    owner = sign_in_as("owner", on=Client())
    owner.post(f"/workspaces/{team['workspace'].code}/rename", {"name": "Night crew"})
    assert "Night crew" in tile(client.get("/gallery/"), videos[0])


def test_a_role_change_shows_at_once(sign_in_as, team, videos):
    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/"
    assert f'action="/g/{videos[0].code}/delete"' in card(client.get(url), videos[0])
    Membership.objects.filter(user=team["editor"], workspace=team["workspace"]).update(role=Role.VIEWER)
    assert f'action="/g/{videos[0].code}/delete"' not in card(client.get(url), videos[0])


def test_delete_and_restore_show_at_once(sign_in_as, team, videos):
    client = sign_in_as("editor")
    assert f"item-{videos[2].code}" in client.get("/gallery/team/").content.decode()
    client.post(f"/g/{videos[2].code}/delete")
    assert f"item-{videos[2].code}" not in client.get("/gallery/team/").content.decode()
    client.post(f"/g/{videos[2].code}/restore")
    assert f"item-{videos[2].code}" in client.get("/gallery/team/").content.decode()


def test_a_language_switch_shows_at_once(sign_in_as, team, videos):
    client = sign_in_as("editor")
    assert 'aria-label="Star"' in tile(client.get("/gallery/team/"), videos[0])
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/gallery/team/"})
    chinese = tile(client.get("/gallery/team/"), videos[0])
    assert 'aria-label="收藏"' in chinese
    assert 'aria-label="Star"' not in chinese


def test_a_cached_card_carries_each_visitors_own_csrf_token_and_return_path(team, videos):
    """A card drawn for one person must not hand the next one their token or their filters."""
    editor = Client(enforce_csrf_checks=True)
    editor.force_login(team["editor"])
    viewer = Client(enforce_csrf_checks=True)
    viewer.force_login(team["viewer"])
    for client in (editor, viewer):
        session = client.session
        session["workspace_code"] = str(team["workspace"].code)
        session.save()
    first = tile(editor.get("/gallery/team/?ratio=9:16"), videos[0])
    second = tile(viewer.get("/gallery/team/"), videos[0])
    assert 'name="next" value="/gallery/team/"' in second
    token_first = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first)[1]
    token_second = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second)[1]
    assert token_first != token_second
    assert "<!--" not in second
    answer = viewer.post(
        f"/g/{videos[0].code}/star",
        {"starred": "1", "next": "/gallery/team/", "csrfmiddlewaretoken": token_second},
    )
    assert answer.status_code == 302
    assert videos[0].favorites.filter(user=team["viewer"]).exists()


def test_a_card_in_progress_is_drawn_live_every_time(sign_in_as, team):
    pending = Generation.objects.create(
        workspace=team["workspace"],
        project=team["project"],
        created_by=team["editor"],
        prompt="still going",
        model_code="m",
        status=Status.SUBMITTED,
        provider_status="Generating",
        submitted_at=timezone.now(),
    )
    client = sign_in_as("editor")
    url = f"/projects/{team['project'].code}/"
    assert cards_drawn(client.get(url)) == 1
    assert cards_drawn(client.get(url)) == 1
    assert f'data-poll="{pending.code}"' in client.get(url).content.decode()


def test_the_filter_bar_is_kept_but_follows_new_projects_values_and_language(sign_in_as, team, videos):
    client = sign_in_as("editor")
    assert "Night shoot" not in client.get("/gallery/team/").content.decode()
    make_project(team["workspace"], name="Night shoot")
    page = client.get("/gallery/team/").content.decode()
    assert ">Night shoot</option>" in page
    assert 'value="lantern"' in client.get("/gallery/team/?q=lantern").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/gallery/team/"})
    assert "只看已收藏" in client.get("/gallery/team/").content.decode()


def test_a_change_to_a_template_the_card_includes_is_a_new_card(monkeypatch):
    """New card actions live in included templates (e.g. sequences/shot_actions.html): changing
    one must not leave the old card in a shared cache after a deploy."""
    from studio.lib import fragments

    fragments.template_version.cache_clear()
    before = fragments.template_version("generations/generation_card.html")
    real = fragments.template_sources

    def edited(template_name, seen):
        sources = real(template_name, seen)
        if template_name == "sequences/shot_actions.html":
            return [sources[0] + "<!-- a new action -->", *sources[1:]]
        return sources

    monkeypatch.setattr(fragments, "template_sources", edited)
    fragments.template_version.cache_clear()
    try:
        assert fragments.template_version("generations/generation_card.html") != before
    finally:
        fragments.template_version.cache_clear()
