"""The team gallery and My generations: what each shows, and a fixed number of queries per page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studio.generations.models import Generation
from studio.workspaces.models import personal_workspace_for
from tests.factories import finished_generation, make_project

pytestmark = pytest.mark.django_db


def test_the_team_gallery_shows_every_members_videos_with_their_maker(sign_in_as, team, team_generation):
    by_owner = finished_generation(
        team["workspace"], team["project"], team["owner"], prompt="owner's sunrise"
    )
    outsider_ws = personal_workspace_for(team["outsider"])
    elsewhere = make_project(outsider_ws, name="Mine")
    finished_generation(outsider_ws, elsewhere, team["outsider"], prompt="outsider's secret")
    page = sign_in_as("viewer").get("/gallery/team/").content.decode()
    assert team_generation.prompt in page and "by editor" in page
    assert by_owner.prompt.replace("'", "&#x27;") in page and "by owner" in page
    assert "outsider" not in page


def test_my_generations_span_my_workspaces_and_nobody_elses(client, team, team_generation):
    editor = team["editor"]
    personal = personal_workspace_for(editor)
    project = make_project(personal, name="Solo")
    finished_generation(personal, project, editor, prompt="my solo piece")
    finished_generation(team["workspace"], team["project"], team["owner"], prompt="the owner made this")
    client.force_login(editor)
    page = client.get("/gallery/").content.decode()
    assert "my solo piece" in page and team_generation.prompt in page
    assert "the owner made this" not in page
    assert "Team" in page  # each video says which workspace it lives in


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/gallery/", "/gallery/team/"])
def test_gallery_pages_take_the_same_number_of_queries_for_3_or_30_videos(sign_in_as, team, url):
    """Drawn from scratch (nothing cached) or kept, a page costs the same whatever its length."""
    client = sign_in_as("editor")
    for index in range(3):
        finished_generation(team["workspace"], team["project"], team["editor"], prompt=f"video {index}")
    cache.clear()
    drawn_three, kept_three = queries_for(client, url), queries_for(client, url)
    for index in range(27):
        finished_generation(team["workspace"], team["project"], team["editor"], prompt=f"more {index}")
    assert Generation.objects.count() == 30
    cache.clear()
    assert queries_for(client, url) == drawn_three
    assert queries_for(client, url) == kept_three
    # Drawn: session, user, workspaces, the filter bar's choices (1 or 2), the page, its models.
    assert drawn_three <= 7, drawn_three
    # Kept: session, user, workspaces, the page's rows.
    assert kept_three <= 4, kept_three
