"""Picture comparisons for the sequence tests, in plain Pillow."""

from __future__ import annotations

import math
import tempfile
from fractions import Fraction
from pathlib import Path

import av
from django.core.files.base import ContentFile
from PIL import Image, ImageChops, ImageStat

from tests.factories import finished_generation


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB between two RGB images of one size (inf when equal)."""
    assert a.size == b.size, (a.size, b.size)
    rms = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).rms
    mse = sum(value * value for value in rms) / len(rms)
    return math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)


def decoded_frames(path: str | Path) -> list[Image.Image]:
    with av.open(str(path)) as container:
        return [frame.to_image().convert("RGB") for frame in container.decode(video=0)]


def duration_of(path: str | Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        return float(container.duration / av.time_base)


def mp4_bytes(colors: list[tuple[int, int, int]], size: tuple[int, int] = (64, 36), fps: int = 4) -> bytes:
    """A real H.264 MP4 with one solid-coloured frame per entry of `colors`."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as handle:
        with av.open(handle.name, mode="w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=fps)
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "10", "g": str(len(colors))}
            for index, color in enumerate(colors):
                frame = av.VideoFrame.from_image(Image.new("RGB", size, color))
                frame.pts, frame.time_base = index, Fraction(1, fps)
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return Path(handle.name).read_bytes()


def video_generation(project, colors: list[tuple[int, int, int]], size=(64, 36), fps: int = 4, **overrides):
    """A finished generation whose stored video is a real MP4 of solid colours."""
    generation = finished_generation(project=project, **overrides)
    generation.video.save("v.mp4", ContentFile(mp4_bytes(colors, size, fps)), save=True)
    return generation
