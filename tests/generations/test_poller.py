"""From submit to a stored, playable video, over real HTTP to the sandbox."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from django.core.management import call_command
from django.utils import timezone

from studio.generations.models import Generation, Status
from tests.factories import image_file

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


def poll_until_done(passes: int = 6) -> None:
    for _ in range(passes):
        Generation.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED]).update(
            next_attempt_at=timezone.now()
        )
        call_command("poll_generations", "--once")
        if not Generation.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED]).exists():
            return


def test_poller_takes_a_text_to_video_generation_to_a_stored_playable_video(
    client, alice, alice_project, sandbox
):
    client.force_login(alice)
    client.post(
        f"/projects/{alice_project.code}/generate",
        {
            "prompt": "a paper boat on a rainy street",
            "aspect_ratio": "16:9",
            "clarity": "720",
            "duration": "5",
        },
        **HTMX,
    )
    poll_until_done()

    generation = Generation.objects.get()
    assert generation.status == Status.SUCCEEDED
    assert generation.provider_video_url.startswith(sandbox)
    path = Path(generation.video.path)
    assert path.exists() and path.stat().st_size == generation.video_bytes
    assert len(generation.video_sha256) == 64
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.width > stream.codec_context.height  # 16:9
        assert abs(container.duration / av.time_base - 5) < 0.3
    assert generation.video_seconds == pytest.approx(5, abs=0.3)
    assert generation.poster

    # The card a person sees is done, stops polling, and plays the stored copy.
    card = client.get(f"/g/{generation.code}/card")
    assert card.status_code == 286
    html = card.content.decode()
    assert "Done" in html and "Sandbox" in html
    assert f'src="/g/{generation.code}/video.mp4"' in html
    assert "every 2s" not in html

    # The gallery shows it, and the video seeks (HTTP Range answers 206).
    gallery = client.get("/gallery/").content.decode()
    assert "a paper boat on a rainy street" in gallery
    ranged = client.get(f"/g/{generation.code}/video.mp4", HTTP_RANGE="bytes=100-199")
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 100-199/{generation.video_bytes}"
    assert len(b"".join(ranged.streaming_content)) == 100


def test_image_to_video_uploads_the_frames_and_follows_the_ratio(client, alice, alice_project, sandbox):
    client.force_login(alice)
    client.post(
        f"/projects/{alice_project.code}/generate",
        {
            "prompt": "the red square turns blue",
            "aspect_ratio": "9:16",
            "clarity": "1080",
            "duration": "5",
            "start_frame": image_file("start.png", color=(220, 20, 20)),
            "end_frame": image_file("end.jpg", color=(20, 20, 220), fmt="JPEG"),
        },
        **HTMX,
    )
    generation = Generation.objects.get()
    assert generation.status == Status.PENDING  # frames go through the poller's upload flow
    poll_until_done()
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED, generation.error_message
    assert generation.start_frame_url.startswith(sandbox)
    assert generation.end_frame_url.startswith(sandbox)
    with av.open(generation.video.path) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.height > stream.codec_context.width  # 9:16
        first = next(container.decode(stream)).to_image().convert("RGB")
    # The sandbox video starts from the red start frame.
    r, g, b = first.resize((1, 1)).getpixel((0, 0))
    assert r > b


def test_a_failed_task_shows_the_providers_message(client, alice, alice_project, sandbox):
    client.force_login(alice)
    client.post(
        f"/projects/{alice_project.code}/generate",
        {"prompt": "forbidden scene [fail]", "aspect_ratio": "1:1", "clarity": "720", "duration": "5"},
        **HTMX,
    )
    poll_until_done()
    generation = Generation.objects.get()
    assert generation.status == Status.FAILED
    assert generation.error_raw
    card = client.get(f"/g/{generation.code}/card").content.decode()
    assert "Failed" in card
    assert generation.error_raw in card
    assert "The video was rejected by the content check." in card
    # The explanation is worded when shown, in the reader's language; the raw message stays.
    card_zh = client.get(f"/g/{generation.code}/card", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "视频未通过内容审核" in card_zh
    assert generation.error_raw in card_zh
