"""Frames, posters and videos in an S3-compatible bucket: the scoped lookup still decides, the
store serves the bytes through short-lived signed URLs, and the poller writes straight to it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from django.utils import timezone

from studio.generations.models import Generation
from studio.sharing.models import ShareLink
from tests.factories import finished_generation, image_file

pytestmark = pytest.mark.django_db


def signed(response, bucket) -> str:
    """The signed URL a media view redirected to, checked to be the bucket's and short-lived."""
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith(f"{bucket.endpoint}/{bucket.name}/media/"), location
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    assert "no-store" in response["Cache-Control"]
    return location


def test_an_uploaded_frame_goes_to_the_bucket_and_comes_back_signed(client, alice, alice_project, s3_media):
    client.force_login(alice)
    frame = image_file("start.png")
    client.post(
        f"/projects/{alice_project.code}/generate",
        {"prompt": "a kite", "aspect_ratio": "9:16", "clarity": "720", "duration": "5", "start_frame": frame},
    )
    generation = Generation.objects.get()
    key = f"media/{generation.start_frame.name}"
    assert key in s3_media.keys()  # noqa: SIM118 (a listing, not a dict)
    assert not Path(generation.start_frame.name).is_absolute()

    location = signed(client.get(f"/g/{generation.code}/frames/start"), s3_media)
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "image/png"
    frame.seek(0)
    assert fetched.content == frame.read()


def test_a_video_redirects_to_a_signed_url_that_seeks_and_downloads_by_name(client, team, s3_media):
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    stored = default_storage.open(generation.video.name).read()
    client.force_login(team["viewer"])

    location = signed(client.get(f"/g/{generation.code}/video.mp4"), s3_media)
    ranged = requests.get(location, headers={"Range": "bytes=100-199"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes 100-199/{len(stored)}"
    assert ranged.content == stored[100:200]
    assert ranged.headers["Content-Type"] == "video/mp4"
    assert ranged.headers["Content-Disposition"] == "inline"

    download = signed(client.get(f"/g/{generation.code}/video.mp4?download=1"), s3_media)
    whole = requests.get(download, timeout=10)
    assert whole.content == stored
    assert whole.headers["Content-Disposition"] == f'attachment; filename="seedance-{generation.code}.mp4"'

    poster = requests.get(signed(client.get(f"/g/{generation.code}/poster.jpg"), s3_media), timeout=10)
    assert poster.headers["Content-Type"] == "image/jpeg"


def test_outsiders_get_404_and_no_signed_url(client, team, s3_media):
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    client.force_login(team["outsider"])
    for url in (f"/g/{generation.code}/video.mp4", f"/g/{generation.code}/poster.jpg"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Location" not in response


def test_pages_allow_media_from_the_bucket_under_the_csp(client, team, s3_media):
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    client.force_login(team["viewer"])
    policy = client.get(f"/g/{generation.code}/")["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert s3_media.endpoint in directives["media-src"]
    assert s3_media.endpoint in directives["img-src"]
    assert s3_media.endpoint not in directives["script-src"]


def test_share_link_media_is_signed_until_the_link_is_revoked_or_expires(client, team, s3_media):
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    link = ShareLink.objects.create(generation=generation, created_by=team["editor"])
    video = client.get(f"/s/{link.token}/video.mp4")
    location = signed(video, s3_media)
    assert video["X-Robots-Tag"] == "noindex"
    fetched = requests.get(location, headers={"Range": "bytes=0-9"}, timeout=10)
    assert fetched.status_code == 206 and fetched.headers["Cache-Control"] == "no-store"
    signed(client.get(f"/s/{link.token}/poster.jpg"), s3_media)

    link.revoke()
    for url in (f"/s/{link.token}/video.mp4", f"/s/{link.token}/poster.jpg"):
        response = client.get(url)
        assert response.status_code == 404 and "Location" not in response
    # The page itself says the link was revoked (410), and still signs nothing.
    page = client.get(f"/s/{link.token}/")
    assert page.status_code == 410 and "Location" not in page

    expired = ShareLink.objects.create(
        generation=generation,
        created_by=team["editor"],
        expires_at=timezone.now() - timezone.timedelta(seconds=1),
    )
    assert client.get(f"/s/{expired.token}/video.mp4").status_code == 404
