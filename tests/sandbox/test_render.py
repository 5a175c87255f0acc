from __future__ import annotations

import io
from typing import Any

import av
import pytest
import responses
from PIL import Image

from studio.sandbox import storage
from studio.sandbox.models import Task
from studio.sandbox.render import VideoSpec, render, video_size

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


def finished_task(api, **fields) -> dict[str, Any]:
    unique_id = api.submit(**fields)["data"]
    task = api.task(unique_id)["data"]
    assert task["progress_desc"] == "Success", task
    return task


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def decoded_frames(data: bytes) -> list[Image.Image]:
    with av.open(io.BytesIO(data), mode="r") as container:
        return [frame.to_image() for frame in container.decode(video=0)]


def upload(api, client, name: str, color: tuple[int, int, int]) -> str:
    data = api.call("GET", "common/create_upload_url", service="ai_creation", name=name)["data"]
    assert client.put(data["sign_url"], png_bytes(color), content_type=data["mime_type"]).status_code == 200
    return data["full_path"]


@pytest.mark.parametrize(
    ("ratio", "duration", "size"),
    [("9:16", 5, (36, 64)), ("16:9", 10, (64, 36)), ("1:1", 5, (64, 64))],
)
def test_the_video_is_h264_at_the_requested_ratio_and_duration(api, client, ratio, duration, size):
    task = finished_task(api, aspect_ratio=ratio, video_duration=duration)
    response = client.get(task["output_url"][0])
    assert response["Content-Type"] == "video/mp4"
    data = b"".join(response.streaming_content)
    assert data.find(b"moov") < data.find(b"mdat"), "moov atom must come first (faststart)"
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == size
        assert abs(container.duration / av.time_base - duration) <= 0.2
    poster_url = task["output_url"][0].replace(".mp4", ".jpg")
    poster = client.get(poster_url)
    assert poster["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(poster.streaming_content))).size == size


def test_output_supports_range_requests(api, client):
    url = finished_task(api)["output_url"][0]
    response = client.get(url, headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response["Content-Type"] == "video/mp4"
    assert len(b"".join(response.streaming_content)) == 100


def test_rendering_happens_once(api, client):
    task = finished_task(api)
    stored = Task.objects.get(unique_id=task["unique_id"])
    video = storage.absolute(stored.video_path)
    assert video.is_file() and storage.absolute(stored.poster_path).is_file()
    first_mtime = video.stat().st_mtime_ns
    api.task(task["unique_id"])
    assert video.stat().st_mtime_ns == first_mtime
    assert sorted(path.name for path in video.parent.iterdir()) == sorted(
        [f"{task['unique_id']}.mp4", f"{task['unique_id']}.jpg"]
    )


def test_unrendered_outputs_are_404(api, client, sandbox_settings):
    sandbox_settings.SANDBOX_QUEUED_SECONDS = 60
    unique_id = api.submit()["data"]
    assert client.get(f"/sandbox/outputs/{unique_id}.mp4").status_code == 404


def test_the_video_moves_from_the_start_frame_to_the_end_frame(api, client, sandbox_settings):
    sandbox_settings.SANDBOX_VIDEO_WIDTH = 128
    start = upload(api, client, "start.png", (230, 20, 20))
    end = upload(api, client, "end.png", (20, 20, 230))
    task = finished_task(api, aspect_ratio="1:1", start_frame=start, end_frame=end, ref_img_url=[start, end])
    frames = decoded_frames(download(client, task["output_url"][0]))
    red, _, blue = frames[0].getpixel((120, 40))
    assert red > 180 and blue < 70
    red, _, blue = frames[-1].getpixel((120, 40))
    assert blue > 180 and red < 70


def test_without_frames_the_colour_comes_from_the_prompt(api, client):
    one = decoded_frames(
        download(client, finished_task(api, ref_prompt="sunrise", aspect_ratio="1:1")["output_url"][0])
    )
    two = decoded_frames(
        download(client, finished_task(api, ref_prompt="midnight", aspect_ratio="1:1")["output_url"][0])
    )
    assert one[0].getpixel((60, 20)) != two[0].getpixel((60, 20))
    assert one[0].getpixel((60, 20)) != one[len(one) // 2].getpixel((60, 20)), "the gradient moves"


def test_frames_on_this_machine_are_fetched(api, client, sandbox_settings):
    with responses.RequestsMock() as mock:
        mock.get("http://127.0.0.1:8000/media/frame.png", body=png_bytes((20, 230, 20)))
        task = finished_task(api, aspect_ratio="1:1", start_frame="http://127.0.0.1:8000/media/frame.png")
        assert len(mock.calls) == 1
    _, green, _ = decoded_frames(download(client, task["output_url"][0]))[0].getpixel((60, 20))
    assert green > 180


def test_remote_frames_are_never_fetched(api, client):
    with responses.RequestsMock() as mock:
        task = finished_task(api, start_frame="https://cdn.example.com/start.jpg")
        assert len(mock.calls) == 0
    assert decoded_frames(download(client, task["output_url"][0]))


def test_rendering_twice_to_the_same_place_leaves_whole_files(tmp_path):
    spec = VideoSpec(prompt="kite", duration=5, aspect_ratio="16:9", fps=2, long_side=48)
    video, poster = tmp_path / "v.mp4", tmp_path / "v.jpg"
    render(spec, video, poster)
    render(spec, video, poster)
    assert len(decoded_frames(video.read_bytes())) == 10
    assert sorted(path.name for path in tmp_path.iterdir()) == ["v.jpg", "v.mp4"]


@pytest.mark.parametrize(
    ("ratio", "long_side", "size"),
    [("9:16", 320, (180, 320)), ("16:9", 320, (320, 180)), ("1:1", 100, (100, 100)), ("9:16", 50, (28, 50))],
)
def test_video_sizes_are_even(ratio, long_side, size):
    assert video_size(ratio, long_side) == size
