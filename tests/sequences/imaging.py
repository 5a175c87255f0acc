"""Picture comparisons for the sequence tests, in plain Pillow."""

from __future__ import annotations

import math
from pathlib import Path

import av
from PIL import Image, ImageChops, ImageStat


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
