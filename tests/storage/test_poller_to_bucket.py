"""The poller stores a finished video and its poster in the bucket, and the studio serves them."""

from __future__ import annotations

import pytest
import requests
from django.core.files.storage import default_storage

from studio.generations.models import Generation, Status
from tests.generations.test_poller import HTMX, poll_until_done

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_poller_stores_video_and_poster_in_the_bucket(client, alice, alice_project, sandbox, s3_media):
    client.force_login(alice)
    client.post(
        f"/projects/{alice_project.code}/generate",
        {"prompt": "a lantern over the lake", "aspect_ratio": "16:9", "clarity": "720", "duration": "5"},
        **HTMX,
    )
    poll_until_done()

    generation = Generation.objects.get()
    assert generation.status == Status.SUCCEEDED
    keys = s3_media.keys()
    assert keys[f"media/{generation.video.name}"] == generation.video_bytes
    assert keys[f"media/{generation.poster.name}"] > 0
    with pytest.raises(NotImplementedError):
        default_storage.path(generation.video.name)  # nothing on local disk to fall back on

    response = client.get(f"/g/{generation.code}/video.mp4")
    assert response.status_code == 302
    video = requests.get(response["Location"], timeout=10)
    assert video.status_code == 200 and len(video.content) == generation.video_bytes
    assert video.content[4:8] == b"ftyp"
