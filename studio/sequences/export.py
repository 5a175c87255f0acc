"""Exports: a sequence stitched into one MP4 by the background worker, never in a web request.

The poller's export step (poll_generations.handle_one_export) calls handle_one(): claim one due
export under a lease, commit, then decode and encode with PyAV. Every shot is re-encoded to the
export's size (fit with black bars, or fill by cropping) and to one frame rate, the highest
among the shots. Shot i lasts its own duration; a crossfade of c seconds overlaps the end of one
shot with the start of the next, so the export lasts sum(durations) - (n - 1) * c.

Storage may be remote: shots are copied to temporary files for PyAV, and the result is saved
through the storage API.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image, ImageOps

from studio.generations.models import Generation
from studio.sequences.frames import local_copy
from studio.sequences.models import Export, ExportStatus, Fit, Sequence

if TYPE_CHECKING:
    from studio.accounts.models import User

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LEASE_SECONDS = 600  # renewed as frames are written, so only a dead worker's export is retaken
POSTER_AT_SECONDS = 0.5
X264_PRESET = "veryfast"  # the worker's time matters more than a few percent of file size


class NothingToExport(Exception):
    pass


def request_export(sequence: Sequence, user: User) -> Export:
    """Queue an export of the sequence as it is now: its shots, size, fit and crossfade."""
    ids = [
        shot.generation_id
        for shot in sequence.shots.select_related("generation")
        if shot.generation.has_video and shot.generation.deleted_at is None
    ]
    if not ids:
        raise NothingToExport
    width, height = sequence.size
    return Export.objects.create(
        sequence=sequence,
        created_by=user,
        generation_ids=ids,
        width=width,
        height=height,
        fit=sequence.fit,
        crossfade_ms=sequence.crossfade_ms,
    )


def claim(worker: str) -> Export | None:
    """Lease one due export to `worker` and commit, so no other worker stitches it too."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Export.objects.due(now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:1]
        )
        if not ids:
            return None
        taken = (
            Export.objects.filter(id=ids[0])
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
            .update(
                lease_owner=worker,
                lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                status=ExportStatus.RUNNING,
                attempts=F("attempts") + 1,
            )
        )
    if not taken:
        return None
    return Export.objects.filter(id=ids[0], lease_owner=worker).first()


def handle_one(worker: str) -> bool:
    """The poller's export step: stitch one due export. False when there was none."""
    export = claim(worker)
    if export is None:
        return False
    try:
        stitch(export, on_progress=lambda percent: _progress(export, worker, percent))
    except Exception as error:
        _after_crash(export, error)
    return True


def release_all(worker: str) -> int:
    return Export.objects.filter(lease_owner=worker).update(lease_owner="", lease_expires_at=None)


def _progress(export: Export, worker: str, percent: int) -> None:
    Export.objects.filter(pk=export.pk, lease_owner=worker).update(
        progress=percent, lease_expires_at=timezone.now() + timedelta(seconds=LEASE_SECONDS)
    )


def _after_crash(export: Export, error: Exception) -> None:
    """Give up after MAX_ATTEMPTS; until then try again later. Pushed forward before it is logged."""
    export.refresh_from_db()
    fields: dict[str, object] = {"lease_owner": "", "lease_expires_at": None}
    if export.attempts >= MAX_ATTEMPTS:
        fields |= {
            "status": ExportStatus.FAILED,
            "finished_at": timezone.now(),
            "error_message": f"{type(error).__name__}: {error}"[:500],
        }
    else:
        fields |= {
            "status": ExportStatus.QUEUED,
            "next_attempt_at": timezone.now() + timedelta(seconds=30 * export.attempts),
        }
    Export.objects.filter(pk=export.pk).update(**fields)
    log.exception("export %s: stitching failed (attempt %s)", export.code, export.attempts)


def _rate_of(path: Path) -> Fraction:
    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
        return Fraction(rate) if rate else Fraction(24)


def _seconds_of(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if container.duration is not None:
            return float(container.duration / av.time_base)
        if stream.duration and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return float(sum(1 for _ in container.decode(stream)) / (stream.average_rate or 24))


def _shaped(frame: av.VideoFrame, size: tuple[int, int], fit: str) -> av.VideoFrame:
    """The frame at the export's size in yuv420p. A frame of the same shape is scaled by swscale
    without leaving YUV; another shape goes through Pillow for the bars or the crop."""
    width, height = size
    if (frame.width, frame.height) == size and frame.format.name == "yuv420p":
        return frame
    if frame.width * height == frame.height * width:
        return frame.reformat(width=width, height=height, format="yuv420p", interpolation="BICUBIC")
    image = frame.to_image()
    if fit == Fit.FILL:
        image = ImageOps.fit(image, size, Image.Resampling.BICUBIC)
    else:
        image = ImageOps.pad(image, size, Image.Resampling.BICUBIC, color=(0, 0, 0))
    return _yuv(image)


def shot_frames(
    path: Path, count: int, rate: Fraction, size: tuple[int, int], fit: str
) -> Iterator[av.VideoFrame]:
    """`count` frames at `rate`: at each output time, the latest source frame shown by then."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = container.decode(stream)
        current = next(decoded, None)
        if current is None:
            raise ValueError(f"{path.name}: no frames")
        start = current.time or 0.0
        upcoming = next(decoded, None)
        shaped = _shaped(current, size, fit)
        for index in range(count):
            at = start + float(index / rate) + 1e-6
            moved = False
            while upcoming is not None and (upcoming.time or 0.0) <= at:
                current, upcoming, moved = upcoming, next(decoded, None), True
            if moved:
                shaped = _shaped(current, size, fit)
            yield shaped


def _blend(before: av.VideoFrame, after: av.VideoFrame, alpha: float) -> av.VideoFrame:
    return _yuv(Image.blend(before.to_image(), after.to_image(), alpha))


def _yuv(image: Image.Image) -> av.VideoFrame:
    frame: av.VideoFrame = av.VideoFrame.from_image(image).reformat(format="yuv420p")
    return frame


def stitch(export: Export, on_progress: Callable[[int], None] = lambda percent: None) -> None:
    """Write the export's MP4 and poster and mark it done."""
    generations = Generation.objects.in_bulk(export.generation_ids)
    shots = [generations[pk] for pk in export.generation_ids if pk in generations and generations[pk].video]
    if not shots:
        raise ValueError("none of the shots has a video any more")
    size = (export.width, export.height)
    with ExitStack() as stack:
        paths = [stack.enter_context(local_copy(shot.video)) for shot in shots]
        rate = max(_rate_of(path) for path in paths)
        counts = [max(1, round(_seconds_of(path) * rate)) for path in paths]
        overlap = min(round(export.crossfade_ms / 1000 * rate), *(count // 2 for count in counts))
        total = sum(counts) - overlap * (len(counts) - 1)
        out_handle = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".mp4"))
        poster = _encode(
            Path(out_handle.name),
            _timeline(paths, counts, rate, size, export.fit, overlap),
            rate,
            size,
            total,
            on_progress,
        )
        digest, length = _sha256(Path(out_handle.name))
        seconds = total / rate
        with open(out_handle.name, "rb") as written:
            export.video.save("export.mp4", File(written), save=False)
    export.poster.save("poster.jpg", ContentFile(poster), save=False)
    export.video_sha256, export.video_bytes, export.video_seconds = digest, length, round(float(seconds), 3)
    export.status, export.progress, export.finished_at = ExportStatus.DONE, 100, timezone.now()
    export.lease_owner, export.lease_expires_at, export.error_message = "", None, ""
    export.save()


def _timeline(
    paths: list[Path], counts: list[int], rate: Fraction, size: tuple[int, int], fit: str, overlap: int
) -> Iterator[av.VideoFrame]:
    """Every output frame in order; with a crossfade, the last `overlap` frames of a shot are
    held back and blended into the first `overlap` frames of the next."""
    tail: deque[av.VideoFrame] = deque()
    for number, (path, count) in enumerate(zip(paths, counts, strict=True)):
        last = number == len(paths) - 1
        for index, frame in enumerate(shot_frames(path, count, rate, size, fit)):
            if tail and index < overlap:
                yield _blend(tail.popleft(), frame, (index + 1) / (overlap + 1))
            elif not last and index >= count - overlap:
                tail.append(frame)
            else:
                yield frame


def _encode(
    path: Path,
    frames: Iterator[av.VideoFrame],
    rate: Fraction,
    size: tuple[int, int],
    total: int,
    on_progress: Callable[[int], None],
) -> bytes:
    poster_index = min(total - 1, math.floor(POSTER_AT_SECONDS * rate))
    poster = b""
    step = max(1, total // 20)
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": X264_PRESET, "crf": "18"}
        time_base = Fraction(rate.denominator, rate.numerator)
        for index, frame in enumerate(frames):
            if index == poster_index:
                poster = _jpeg(frame.to_image())
            frame.pts, frame.time_base = index, time_base
            out.mux(stream.encode(frame))
            if index % step == 0:
                on_progress(min(99, index * 100 // total))
        out.mux(stream.encode(None))
    return poster


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _sha256(path: Path) -> tuple[str, int]:
    digest, length = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length
