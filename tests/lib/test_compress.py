"""Pages leave compressed; media keep their exact bytes, lengths and ranges."""

from __future__ import annotations

import gzip

import pytest

from tests.factories import finished_generation

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, br"}


def test_a_page_is_sent_gzip_compressed_and_reads_the_same(sign_in_as, team, team_generation):
    client = sign_in_as("editor")
    plain = client.get("/gallery/team/")
    packed = client.get("/gallery/team/", **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "a lantern drifts over the lake" in html
    assert len(packed.content) < len(plain.content) / 3


def test_videos_keep_their_length_and_byte_ranges(sign_in_as, team):
    generation = finished_generation(team["workspace"], team["project"], team["editor"])
    client = sign_in_as("editor")
    whole = client.get(f"/g/{generation.code}/video.mp4", **GZIP)
    assert "Content-Encoding" not in whole
    part = client.get(f"/g/{generation.code}/video.mp4", HTTP_RANGE="bytes=0-3", **GZIP)
    assert part.status_code == 206
    assert "Content-Encoding" not in part
    assert b"".join(part.streaming_content) == b"".join(whole.streaming_content)[:4]
