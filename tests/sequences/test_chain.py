"""The proof of issue 15, over real HTTP to the sandbox: three shots chained by "Continue this
shot", put in a sequence and exported as one MP4 by the poller."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import resolve
from django.utils import timezone
from PIL import Image

from studio.generations.models import Generation, ParentKind, Status
from studio.sandbox import storage
from studio.sandbox.models import UploadedFile
from studio.sequences.models import Export, ExportStatus, Sequence
from tests.factories import image_file
from tests.sequences.imaging import decoded_frames, duration_of, psnr

pytestmark = pytest.mark.django_db(transaction=True)

SHOT = {"aspect_ratio": "16:9", "clarity": "720", "duration": "5"}


def poll_until_done(passes: int = 8) -> None:
    for _ in range(passes):
        Generation.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED]).update(
            next_attempt_at=timezone.now()
        )
        call_command("poll_generations", "--once")
        busy = Generation.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED]).exists()
        if not busy and not Export.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]):
            return


def uploaded_frame(url: str) -> Image.Image:
    """The image the sandbox received for a frame URL: what the provider was sent."""
    match = resolve(urlsplit(url).path)
    upload = UploadedFile.objects.get(file_id=match.kwargs["file_id"])
    path = storage.absolute(upload.path)
    assert path is not None
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.convert("RGB")


def continue_shot(client, shot: Generation, prompt: str) -> Generation:
    page = client.get(f"/g/{shot.code}/continue")
    assert page.status_code == 200
    html = page.content.decode()
    assert "from its last frame" in html
    assert f'src="/g/{shot.code}/frames/last"' in html
    form = page.context["form"]
    assert form.initial["prompt"] == shot.prompt  # ready to edit
    assert (form.initial["aspect_ratio"], form.initial["clarity"]) == (shot.aspect_ratio, shot.clarity)
    response = client.post(
        f"/projects/{shot.project.code}/generate",
        {
            "prompt": prompt,
            **SHOT,
            "remix_of": str(shot.code),
            "continues": "True",
            "keep_start_frame": "on",
        },
    )
    assert response.status_code == 302
    poll_until_done()
    made = Generation.objects.get(prompt=prompt)
    assert made.status == Status.SUCCEEDED, made.error_message
    return made


def test_three_chained_shots_export_as_one_video(client, alice, alice_project, sandbox, settings):
    settings.SANDBOX_VIDEO_WIDTH = 640  # 640×360 shots: a real size, so no frame needs scaling
    client.force_login(alice)
    client.post(
        f"/projects/{alice_project.code}/generate",
        {
            "prompt": "shot one: a red dawn",
            **SHOT,
            "start_frame": image_file("red.png", (640, 360), (200, 30, 30)),
        },
    )
    poll_until_done()
    one = Generation.objects.get()
    assert one.status == Status.SUCCEEDED, one.error_message

    two = continue_shot(client, one, "shot two: the sun climbs")
    three = continue_shot(client, two, "shot three: noon")

    # Lineage: each continues the one before, and the video page says so.
    assert (two.parent, two.parent_kind) == (one, ParentKind.CONTINUE)
    assert (three.parent, three.parent_kind) == (two, ParentKind.CONTINUE)
    assert "Continues" in client.get(f"/g/{three.code}/").content.decode()

    # The start frame the provider received for shots 2 and 3 is the last decoded frame before it.
    for before, after in ((one, two), (two, three)):
        last = decoded_frames(before.video.path)[-1]
        sent = uploaded_frame(after.start_frame_url)
        assert sent.size == last.size
        assert psnr(sent, last) >= 40

    # A sequence of the three, exported by the poller.
    client.post(
        f"/projects/{alice_project.code}/sequences/",
        {"name": "Sunrise", "aspect_ratio": "16:9", "clarity": "720", "fit": "fit", "crossfade_ms": "0"},
    )
    sequence = Sequence.objects.get()
    for shot in (one, two, three):
        client.post(f"/g/{shot.code}/add-to-sequence", {"sequence": str(sequence.code)})
    assert [s.generation for s in sequence.shots.all()] == [one, two, three]
    client.post(f"/sequences/{sequence.code}/export")
    export = Export.objects.get()
    assert export.status == ExportStatus.QUEUED  # never stitched in the web request
    poll_until_done()
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error_message
    assert len(export.video_sha256) == 64 and export.poster

    path = Path(export.video.path)
    shots = [one, two, three]
    total = sum(duration_of(shot.video.path) for shot in shots)
    assert abs(duration_of(path) - total) <= 0.1
    frames = decoded_frames(path)
    assert frames[0].size == (1280, 720)

    # Around each boundary: the frame before is the last of the earlier shot, the frame after
    # the first of the later one, each closer to its own shot than to the other.
    shot_frames = [
        [frame.resize((1280, 720), Image.Resampling.BICUBIC) for frame in decoded_frames(shot.video.path)]
        for shot in shots
    ]
    boundary = 0
    for earlier, later in zip(shot_frames, shot_frames[1:], strict=False):
        boundary += len(earlier)
        before, after = frames[boundary - 1], frames[boundary]
        assert psnr(before, earlier[-1]) > 30
        assert psnr(before, earlier[-1]) > psnr(before, later[0])
        assert psnr(after, later[0]) > 30
        assert psnr(after, later[0]) > psnr(after, earlier[-1])

    # Download it as a viewer would; it is the stored file.
    download = client.get(f"/exports/{export.code}/video.mp4?download=1")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == path.read_bytes()
