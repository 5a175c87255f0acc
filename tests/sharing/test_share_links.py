"""Share links: a public, read-only page and its media, gone at once when revoked or expired."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from studio.generations.models import Status
from studio.sharing.models import ShareLink
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(team, team_generation) -> ShareLink:
    return ShareLink.objects.create(generation=team_generation, created_by=team["editor"])


def public_urls(link: ShareLink) -> list[str]:
    return [f"/s/{link.token}/", f"/s/{link.token}/video.mp4", f"/s/{link.token}/poster.jpg"]


def test_an_editor_creates_a_link_from_the_generation_page(sign_in_as, team_generation):
    client = sign_in_as("editor")
    page = client.get(f"/g/{team_generation.code}/").content.decode()
    assert 'id="share"' in page and f'action="/g/{team_generation.code}/share"' in page
    response = client.post(f"/g/{team_generation.code}/share", {"expires_in": "7", "hide_prompt": "on"})
    assert response["Location"] == f"/g/{team_generation.code}/#share"
    link = ShareLink.objects.get()
    assert link.hide_prompt and link.created_by.username == "editor"
    assert timedelta(days=6, hours=23) < link.expires_at - timezone.now() <= timedelta(days=7)
    assert len(link.token) >= 40
    page = client.get(f"/g/{team_generation.code}/").content.decode()
    assert f"http://testserver/s/{link.token}/" in page


def test_viewers_neither_see_nor_create_links(sign_in_as, team_generation):
    client = sign_in_as("viewer")
    assert 'id="share"' not in client.get(f"/g/{team_generation.code}/").content.decode()
    assert client.post(f"/g/{team_generation.code}/share", {}).status_code == 403
    assert not ShareLink.objects.exists()


def test_an_unfinished_generation_cannot_be_shared(sign_in_as, team_generation):
    team_generation.status = Status.SUBMITTED
    team_generation.save()
    client = sign_in_as("editor")
    response = client.post(f"/g/{team_generation.code}/share", {}, follow=True)
    assert "Only a finished video can be shared." in response.content.decode()
    assert not ShareLink.objects.exists()


def test_the_public_page_plays_the_video_for_anyone_and_is_not_indexed(client, link, team_generation):
    response = client.get(f"/s/{link.token}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in html
    assert '<meta property="og:type" content="video.other">' in html
    assert f'<meta property="og:video" content="http://testserver/s/{link.token}/video.mp4">' in html
    assert f'<meta property="og:image" content="http://testserver/s/{link.token}/poster.jpg">' in html
    assert f'<meta property="og:title" content="{team_generation.prompt}">' in html
    assert (
        f'<video controls playsinline preload="metadata" src="http://testserver/s/{link.token}/video.mp4"'
        in html
    )
    assert team_generation.prompt in html
    # Nothing on the page points at the members' media URLs or a file path.
    assert str(team_generation.code) not in html and "private-media" not in html


def test_link_previewers_may_look_with_head(client, link):
    response = client.head(f"/s/{link.token}/")
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex"


def test_the_prompt_can_be_hidden(client, link, team_generation):
    ShareLink.objects.filter(pk=link.pk).update(hide_prompt=True)
    html = client.get(f"/s/{link.token}/").content.decode()
    assert team_generation.prompt not in html
    assert '<meta property="og:title" content="A video from Seedance Studio">' in html


def test_shared_media_is_served_through_the_token_with_ranges(client, link, team_generation):
    video = client.get(f"/s/{link.token}/video.mp4")
    assert video.status_code == 200 and video["Content-Type"] == "video/mp4"
    assert b"".join(video.streaming_content) == Path(team_generation.video.path).read_bytes()
    assert video["X-Robots-Tag"] == "noindex" and video["Cache-Control"] == "no-store"
    ranged = client.get(f"/s/{link.token}/video.mp4", HTTP_RANGE="bytes=10-19")
    size = team_generation.video.size
    assert ranged.status_code == 206 and ranged["Content-Range"] == f"bytes 10-19/{size}"
    assert len(b"".join(ranged.streaming_content)) == 10
    poster = client.get(f"/s/{link.token}/poster.jpg")
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"


def test_revoking_makes_the_page_and_its_media_unreachable_at_once(sign_in_as, link):
    anonymous = sign_in_as("anonymous", on=None)
    for url in public_urls(link):
        assert anonymous.get(url).status_code == 200, url
    editor = sign_in_as("editor")
    assert editor.post(f"/shares/{link.code}/revoke").status_code == 302
    editor.logout()
    page, *media = public_urls(link)
    gone = editor.get(page)
    assert gone.status_code == 410
    assert "The person who shared this video revoked the link." in gone.content.decode()
    assert "belongs to a workspace" not in gone.content.decode()
    assert link.generation.prompt not in gone.content.decode()
    for url in media:
        assert editor.get(url).status_code == 404, url


def test_an_expired_link_is_gone(client, link):
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    page, *media = public_urls(link)
    gone = client.get(page)
    assert gone.status_code == 410
    assert "This share link has expired." in gone.content.decode()
    assert gone["Cache-Control"] == "no-store"
    for url in media:
        assert client.get(url).status_code == 404, url


def test_outsiders_cannot_revoke_and_viewers_may_not(sign_in_as, link):
    assert sign_in_as("outsider").post(f"/shares/{link.code}/revoke").status_code == 404
    assert sign_in_as("viewer").post(f"/shares/{link.code}/revoke").status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None


def test_an_unknown_token_is_404(client):
    assert client.get("/s/nope/").status_code == 404


def test_the_admin_marks_expired_and_revoked_links_as_not_live(client, team, team_generation):
    live = ShareLink.objects.create(generation=team_generation, created_by=team["editor"])
    expired = ShareLink.objects.create(
        generation=team_generation,
        created_by=team["editor"],
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    revoked = ShareLink.objects.create(generation=team_generation, created_by=team["editor"])
    revoked.revoke()
    client.force_login(make_staff())
    page = client.get("/admin/sharing/sharelink/").content.decode()
    # Each row: the action checkbox carries the link's id, the last icon is the "live" column.
    shown = {}
    for row in re.findall(r"<tr>.*?</tr>", page, re.S):
        found = re.search(r'name="_selected_action" value="(\d+)"', row)
        if found:
            shown[int(found[1])] = re.findall(r'alt="(True|False)"', row)[-1]
    assert shown == {live.pk: "True", expired.pk: "False", revoked.pk: "False"}
