"""The true last frame of a stored video, made fit to start the next shot ("Continue this shot").

The video is decoded to its end: a seek lands on a keyframe, not on the last frame. Storage may
be remote, so PyAV reads a temporary copy, never the storage's own path. The frame is kept as
PNG, losslessly, and made to pass the provider's frame rules (studio.generations.images).
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from PIL import Image

from studio.generations.images import MAX_LONG_SIDE, MAX_RATIO, MIN_RATIO, MIN_SHORT_SIDE, check_frame
from studio.generations.models import Generation
from studio.generations.video import NotAVideo


@contextmanager
def local_copy(field: FieldFile, suffix: str = ".mp4") -> Iterator[Path]:
    """A temporary file with the stored file's bytes, removed afterwards."""
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        with field.open("rb") as source:
            shutil.copyfileobj(source, handle, length=1024 * 1024)
        handle.flush()
        yield Path(handle.name)


def decode_last_frame(path: Path) -> Image.Image:
    """Every frame decoded in order; the last one, at full resolution, as RGB."""
    last = None
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                last = frame
            if last is None:
                raise NotAVideo("the video has no frames")
            image: Image.Image = last.to_image().convert("RGB")
            return image
    except av.FFmpegError as error:
        raise NotAVideo(str(error)) from error


def fit_frame_rules(image: Image.Image) -> Image.Image:
    """Cropped to the allowed ratios, then scaled so the short side is at least 300 px and the
    long side at most 6000 px; unchanged when it already passes."""
    width, height = image.size
    if width / height > MAX_RATIO:
        keep = math.floor(height * MAX_RATIO)
        left = (width - keep) // 2
        image = image.crop((left, 0, left + keep, height))
    elif width / height < MIN_RATIO:
        keep = math.floor(width / MIN_RATIO)
        top = (height - keep) // 2
        image = image.crop((0, top, width, top + keep))
    width, height = image.size
    scale = 1.0
    if min(width, height) < MIN_SHORT_SIDE:
        scale = MIN_SHORT_SIDE / min(width, height)
    elif max(width, height) > MAX_LONG_SIDE:
        scale = MAX_LONG_SIDE / max(width, height)
    if scale != 1.0:
        size = (
            (math.ceil(width * scale), math.ceil(height * scale))
            if scale > 1
            else (
                math.floor(width * scale),
                math.floor(height * scale),
            )
        )
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def ensure_last_frame(generation: Generation) -> FieldFile:
    """The generation's stored last frame, made on first use. Raises NotAVideo or ValidationError."""
    if generation.last_frame:
        return generation.last_frame
    if not generation.has_video:
        raise NotAVideo("the generation has no video")
    with local_copy(generation.video) as path:
        image = fit_frame_rules(decode_last_frame(path))
    data = png_bytes(image)
    check_frame(SimpleUploadedFile("last.png", data, content_type="image/png"))
    generation.last_frame.save("last.png", ContentFile(data), save=False)
    generation.save(update_fields=["last_frame"])
    return generation.last_frame
