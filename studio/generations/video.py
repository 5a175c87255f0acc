"""Checks and derivatives of a downloaded video: is it an MP4, how long is it, what is its poster."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av


class NotAVideo(Exception):
    pass


@dataclass(frozen=True)
class VideoFacts:
    seconds: float
    width: int
    height: int
    codec: str


def looks_like_mp4(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(12)
    return len(head) >= 8 and head[4:8] == b"ftyp"


def probe(path: Path) -> VideoFacts:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if container.duration is not None:
                seconds = container.duration / av.time_base
            else:
                # A stream may lack a time base; then its length is as unknown as a missing duration.
                seconds = 0.0
                if stream.duration and stream.time_base is not None:
                    seconds = float(stream.duration * stream.time_base)
            return VideoFacts(
                seconds=round(seconds, 3),
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                codec=stream.codec_context.name,
            )
    except (av.FFmpegError, IndexError) as error:
        raise NotAVideo(str(error)) from error


def poster_jpeg(path: Path, *, at_seconds: float = 0.5) -> bytes:
    """The first decodable frame at or after `at_seconds`, as JPEG bytes."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is not None and frame.time >= at_seconds:
                    break
            if chosen is None:
                raise NotAVideo("the video has no frames")
            buffer = io.BytesIO()
            chosen.to_image().save(buffer, format="JPEG", quality=85)
            return buffer.getvalue()
    except (av.FFmpegError, IndexError) as error:
        raise NotAVideo(str(error)) from error
