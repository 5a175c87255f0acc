"""A ZIP written while it is sent: zipfile over a write-only pipe that a generator drains.

zipfile writes to a stream it cannot seek with data descriptors after each member, so the
archive never has to exist whole, in memory or on disk: at most one CHUNK of a video (plus
zipfile's headers) is held at a time. Videos are stored, not deflated: MP4 is compressed already.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator

from django.utils import timezone

from studio.generations.models import Generation

CHUNK = 256 * 1024


class _Pipe(io.RawIOBase):
    """Collects what zipfile writes until the generator takes it; it cannot seek or tell."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def member_name(index: int, generation: Generation) -> str:
    """01-a-girl-turns-in-a-sea-of-flowers-3f2a9c1e.mp4: in gallery order, readable, unique."""
    words = re.sub(r"[^\w]+", "-", generation.prompt.lower(), flags=re.UNICODE).strip("-")[:40].strip("-")
    return f"{index:02d}-{words or 'video'}-{str(generation.code)[:8]}.mp4"


def zip_of_videos(generations: Iterable[Generation]) -> Iterator[bytes]:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, generation in enumerate(generations, start=1):
            when = timezone.localtime(generation.finished_at or generation.created_at)
            info = zipfile.ZipInfo(member_name(index, generation), date_time=when.timetuple()[:6])
            with generation.video.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()
