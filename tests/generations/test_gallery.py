"""The galleries: what is shown and in which order, filters, search, stars and keyset paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generations.gallery import PAGE_SIZE
from studio.generations.models import Favorite, Generation, Status
from studio.workspaces.models import personal_workspace_for
from tests.factories import finished_generation, make_project

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ITEM = re.compile(r'<span class="caption-text"><a href="/g/[0-9a-f-]+/"[^>]*>([^<]*)</a>')


def shown(response) -> list[str]:
    """The prompts of the gallery items, in the order a person sees them."""
    assert response.status_code == 200
    return ITEM.findall(response.content.decode())


def made(
    team, prompt: str, *, minutes_ago: int = 0, by: str = "editor", project=None, **fields
) -> Generation:
    generation = finished_generation(team["workspace"], project or team["project"], team[by], prompt=prompt)
    fields["created_at"] = timezone.now() - timedelta(minutes=minutes_ago)
    Generation.objects.filter(pk=generation.pk).update(**fields)
    generation.refresh_from_db()
    return generation


def test_newest_first_by_default_and_oldest_first_on_request(sign_in_as, team):
    made(team, "first light", minutes_ago=30)
    made(team, "noon market", minutes_ago=20)
    made(team, "night rain", minutes_ago=10)
    client = sign_in_as("viewer")
    assert shown(client.get("/gallery/team/")) == ["night rain", "noon market", "first light"]
    assert shown(client.get("/gallery/team/?order=oldest")) == ["first light", "noon market", "night rain"]


def test_items_show_poster_preview_and_badges(sign_in_as, team):
    generation = made(team, "a lantern drifts", aspect_ratio="16:9", duration=10, video_seconds=10.04)
    page = sign_in_as("viewer").get("/gallery/team/").content.decode()
    assert re.search(
        rf'<video muted loop playsinline preload="none"[^>]*poster="/g/{generation.code}/poster.jpg"', page
    )
    assert "10.0 s" in page and "ratio-169" in page
    assert 'class="badge badge-succeeded"' not in page  # a finished video needs no "Done" badge
    assert f'href="/g/{generation.code}/remix"' in page  # "Use these settings"
    assert f'data-video="/g/{generation.code}/video.mp4"' in page  # the lightbox plays it


def test_filters_by_project_status_creator_ratio_and_date(sign_in_as, team):
    other = make_project(team["workspace"], name="Other")
    made(team, "owner square", by="owner", aspect_ratio="1:1", minutes_ago=60 * 24 * 3)
    made(team, "editor portrait", aspect_ratio="9:16")
    made(team, "in the other project", project=other)
    made(team, "still rendering", status=Status.SUBMITTED)
    made(team, "broke", status=Status.FAILED)
    client = sign_in_as("viewer")

    assert shown(client.get(f"/gallery/team/?project={other.code}")) == ["in the other project"]
    assert shown(client.get("/gallery/team/?creator=owner")) == ["owner square"]
    assert shown(client.get("/gallery/team/?ratio=1:1")) == ["owner square"]
    assert shown(client.get("/gallery/team/?status=active")) == ["still rendering"]
    assert shown(client.get("/gallery/team/?status=failed")) == ["broke"]
    assert "still rendering" not in shown(client.get("/gallery/team/"))  # done videos by default
    assert len(shown(client.get("/gallery/team/?status=all"))) == 5
    today = timezone.localdate()
    since_yesterday = shown(client.get(f"/gallery/team/?date_from={today - timedelta(days=1)}"))
    assert "owner square" not in since_yesterday and "editor portrait" in since_yesterday
    three_days_ago = today - timedelta(days=3)
    assert shown(client.get(f"/gallery/team/?date_from={three_days_ago}&date_to={three_days_ago}")) == [
        "owner square"
    ]


def test_my_generations_filter_by_workspace(client, team):
    editor = team["editor"]
    personal = personal_workspace_for(editor)
    solo = make_project(personal, name="Solo")
    finished_generation(personal, solo, editor, prompt="my solo piece")
    made(team, "team piece")
    client.force_login(editor)
    assert set(shown(client.get("/gallery/"))) == {"my solo piece", "team piece"}
    assert shown(client.get(f"/gallery/?workspace={personal.code}")) == ["my solo piece"]
    assert shown(client.get(f"/gallery/?workspace={team['workspace'].code}")) == ["team piece"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("LANTERN", ["Lanterns over the lake"]),
        ("lantern lake", ["Lanterns over the lake"]),
        ("灯笼", ["湖面上漂浮的红灯笼"]),
        ("漂浮", ["湖面上漂浮的红灯笼"]),
        ("kite", []),
    ],
)
def test_search_in_prompts_in_english_and_chinese(sign_in_as, team, query, expected):
    made(team, "Lanterns over the lake")
    made(team, "湖面上漂浮的红灯笼")
    made(team, "a quiet forest")
    assert shown(sign_in_as("viewer").get("/gallery/team/", {"q": query})) == expected


def test_starring_swaps_the_button_and_the_starred_filter_lists_it(sign_in_as, team):
    starred = made(team, "keep this one", minutes_ago=5)
    made(team, "not this one")
    client = sign_in_as("viewer")  # stars are personal: viewers may star too

    response = client.post(f"/g/{starred.code}/star", {"starred": "1"}, **HTMX)
    assert response.status_code == 200
    button = response.content.decode()
    assert button.lstrip().startswith('<form class="star-form"') and 'aria-pressed="true"' in button
    assert 'title="Starred"' in button and 'name="starred" value="0"' in button
    assert shown(client.get("/gallery/team/?starred=on")) == ["keep this one"]
    assert shown(sign_in_as("editor").get("/gallery/team/?starred=on")) == []  # stars are per person

    client = sign_in_as("viewer")
    response = client.post(f"/g/{starred.code}/star", {"starred": "0", "next": "/gallery/team/"})
    assert response.status_code == 302 and response["Location"] == "/gallery/team/"  # without JavaScript
    assert not Favorite.objects.exists()
    assert "No videos match these filters." in client.get("/gallery/team/?starred=on").content.decode()


def test_starring_twice_keeps_one_star_and_outsiders_cannot(sign_in_as, team):
    generation = made(team, "twice")
    client = sign_in_as("editor")
    client.post(f"/g/{generation.code}/star", {"starred": "1"})
    client.post(f"/g/{generation.code}/star", {"starred": "1"})
    assert Favorite.objects.filter(user=team["editor"]).count() == 1
    assert sign_in_as("outsider").post(f"/g/{generation.code}/star", {"starred": "1"}).status_code == 404


def test_keyset_pages_follow_each_other_without_gaps_or_repeats(sign_in_as, team):
    total = PAGE_SIZE + 6
    base = timezone.now() - timedelta(hours=1)
    for index in range(total):
        made(team, f"clip {index:02d}")
        # Two share a timestamp at the page boundary: the id breaks the tie.
        Generation.objects.filter(prompt=f"clip {index:02d}").update(
            created_at=base + timedelta(seconds=min(index, total - PAGE_SIZE))
        )
    client = sign_in_as("viewer")
    first = client.get("/gallery/team/")
    page = first.content.decode()
    next_url = re.search(r'<a class="button" rel="next" href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert "after=" in next_url and "clip" not in next_url

    second = client.get(next_url)
    assert len(shown(first)) == PAGE_SIZE and len(shown(second)) == 6
    everything = shown(first) + shown(second)
    expected = [p for (p,) in Generation.objects.order_by("-created_at", "-id").values_list("prompt")]
    assert everything == expected
    assert "That is everything for these filters." in second.content.decode()


def test_infinite_scroll_gets_only_the_next_items_and_a_new_pager(sign_in_as, team):
    for index in range(PAGE_SIZE + 2):
        made(team, f"clip {index:02d}", minutes_ago=index)
    client = sign_in_as("viewer")
    page = client.get("/gallery/team/?ratio=9:16").content.decode()
    # The pager under the grid loads the next page into the grid when it comes into view.
    pager = re.search(r'<nav id="gallery-pager"[^>]*>', page)[0]
    assert 'hx-trigger="revealed"' in pager and 'hx-target="#gallery-grid"' in pager
    assert 'hx-swap="beforeend"' in pager
    assert "hx-get" not in "".join(re.findall(r'<figure class="gallery-item[^>]*>', page))
    next_url = re.search(r'hx-get="([^"]+)"', pager)[1].replace("&amp;", "&")
    assert "ratio=9%3A16" in next_url  # the filters stay

    more = client.get(next_url, **HTMX)
    fragment = more.content.decode()
    assert "<html" not in fragment and "gallery-filters" not in fragment
    assert shown(more) == [f"clip {PAGE_SIZE:02d}", f"clip {PAGE_SIZE + 1:02d}"]
    assert 'id="gallery-pager"' in fragment and 'hx-swap-oob="true"' in fragment
    assert 'hx-trigger="revealed"' not in fragment  # nothing after these


def queries_for(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **headers).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/gallery/", "/gallery/team/", "/gallery/team/?starred=on&q=clip"])
def test_a_gallery_page_takes_the_same_queries_for_3_or_40_videos(sign_in_as, team, url):
    client = sign_in_as("editor")

    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            generation = made(team, f"clip {index}", minutes_ago=index)
            Favorite.objects.create(user=team["editor"], generation=generation)

    add(3, 0)
    cache.clear()
    with_three = queries_for(client, url)  # drawn from scratch
    kept_three = queries_for(client, url)  # the same page again, kept
    add(37, 3)
    cache.clear()
    assert queries_for(client, url) == with_three
    assert queries_for(client, url) == kept_three < with_three
    page = client.get(url).content.decode()
    cursor = re.search(r'rel="next" href="([^"]+)"', page)[1].replace("&amp;", "&")
    # A later page resolves its cursor: one query more, however long the gallery.
    cache.clear()
    assert queries_for(client, cursor) == with_three + 1
    assert queries_for(client, cursor, **HTMX) <= with_three + 1  # no header, so no workspace switcher


def test_empty_states_say_what_to_do_next(sign_in_as, team):
    client = sign_in_as("editor")
    empty = client.get("/gallery/team/").content.decode()
    assert "No finished videos in this workspace yet." in empty and "Open a project and generate one" in empty
    made(team, "something")
    no_match = client.get("/gallery/team/?q=nothing-like-this").content.decode()
    assert "No videos match these filters." in no_match and "Clear filters" in no_match


def test_viewers_are_not_told_to_generate_what_they_cannot(sign_in_as, team):
    team["project"].delete()
    client = sign_in_as("viewer")
    gallery = client.get("/gallery/team/").content.decode()
    assert "No finished videos in this workspace yet." in gallery
    assert "Open a project and generate one" not in gallery
    projects = client.get("/projects/").content.decode()
    assert "You are a <strong>Viewer</strong> in Team" in projects
    assert "To make videos here, ask admin, owner to make you an editor." in projects
    assert "Create your first project with the form." not in projects


def test_bad_filter_values_are_ignored_not_an_error(sign_in_as, team):
    made(team, "still shown")
    client = sign_in_as("viewer")
    assert shown(client.get("/gallery/team/?date_from=yesterday&after=not-a-cursor&status=x")) == [
        "still shown"
    ]


def test_a_cursor_from_another_workspace_starts_from_the_top(sign_in_as, team):
    made(team, "ours")
    outsider_ws = personal_workspace_for(team["outsider"])
    secret_project = make_project(outsider_ws, name="Secret")
    secret = finished_generation(outsider_ws, secret_project, team["outsider"], prompt="theirs")
    Generation.objects.filter(pk=secret.pk).update(created_at=datetime(2000, 1, 1, tzinfo=UTC))
    assert shown(sign_in_as("viewer").get(f"/gallery/team/?after={secret.code}")) == ["ours"]
