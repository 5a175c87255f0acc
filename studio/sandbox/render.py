"""The sandbox's stand-in for Seedance: a small, real H.264 MP4 that shows what was asked for.

The video derives from the start frame (a slow Ken Burns zoom and pan), crossfades toward the end
frame when there is one, and is an animated gradient coloured by the prompt without frames. The
prompt and a SANDBOX label are drawn over every frame, so a person can tell the videos apart and
never mistakes one for real output.
"""

from __future__ import annotations

import colorsys
import hashlib
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageOps

from studio.sandbox.fonts import Font, font

ZOOM = 0.2  # how far the Ken Burns move zooms in over the whole video
LABEL = "SANDBOX"


@dataclass(frozen=True)
class VideoSpec:
    prompt: str
    duration: int
    aspect_ratio: str
    fps: int
    long_side: int
    start: Image.Image | None = None
    end: Image.Image | None = None

    @property
    def size(self) -> tuple[int, int]:
        return video_size(self.aspect_ratio, self.long_side)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def video_size(aspect_ratio: str, long_side: int) -> tuple[int, int]:
    """Width and height, both even as yuv420p needs, with `long_side` as the longer one."""
    across, down = (int(part) for part in aspect_ratio.split(":"))
    scale = long_side / max(across, down)
    return _even(across * scale), _even(down * scale)


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return ImageOps.fit(image, size, Image.Resampling.BILINEAR)


def _ken_burns(source: Image.Image, size: tuple[int, int], t: float, zoom_in: bool) -> Image.Image:
    """One frame of a slow zoom drifting left to right; `t` runs from 0 to 1."""
    zoom = 1 + ZOOM * (t if zoom_in else 1 - t)
    box_w, box_h = source.width / zoom, source.height / zoom
    left = (source.width - box_w) * (0.3 + 0.4 * t)
    top = (source.height - box_h) * 0.5
    return source.resize(size, Image.Resampling.BILINEAR, box=(left, top, left + box_w, top + box_h))


def _gradient_strip(prompt: str, size: tuple[int, int]) -> Image.Image:
    """A vertical gradient twice the frame's height whose colours come from the prompt's hash."""
    digest = hashlib.sha256(prompt.encode()).digest()
    hue = digest[0] / 255
    top = tuple(round(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.85))
    bottom = tuple(round(c * 255) for c in colorsys.hsv_to_rgb((hue + 0.33) % 1, 0.75, 0.45))
    ramp = Image.linear_gradient("L").resize((1, size[1]))
    cycle = Image.new("L", (1, size[1] * 2))
    cycle.paste(ramp, (0, 0))
    cycle.paste(ImageOps.flip(ramp), (0, size[1]))
    return ImageOps.colorize(cycle, top, bottom).resize((size[0], size[1] * 2))


def _wrap(text: str, face: Font, width: int, max_lines: int) -> list[str]:
    """Greedy wrapping by measured width, character by character so Chinese wraps too."""
    lines: list[str] = []
    line = ""
    for char in " ".join(text.split()):
        if face.getlength(line + char) <= width or not line:
            line += char
            continue
        cut = line.rfind(" ")
        if cut > 0 and char != " ":
            lines.append(line[:cut])
            line = line[cut + 1 :] + char
        else:
            lines.append(line)
            line = char.lstrip()
    lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][:-1] + "…"]
    return lines


def _overlay(spec: VideoSpec) -> Image.Image:
    """The prompt and the SANDBOX label, drawn once and pasted onto every frame."""
    width, height = spec.size
    layer = Image.new("RGBA", spec.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    short = min(width, height)
    margin = max(2, short // 40)
    label_face = font(max(8, short // 10))
    label_box = draw.textbbox((margin * 2, margin * 2), LABEL, font=label_face)
    draw.rectangle((margin, margin, label_box[2] + margin, label_box[3] + margin), fill=(200, 30, 40, 230))
    draw.text((margin * 2, margin * 2), LABEL, font=label_face, fill=(255, 255, 255, 255))

    text_face = font(max(8, short // 16))
    line_height = int(text_face.getbbox("Ag国")[3]) + margin // 2 + 1
    # The prompt may take the lower half at most, so the label and the picture stay visible.
    lines = _wrap(spec.prompt, text_face, width - margin * 4, max_lines=max(1, height // 2 // line_height))
    text_top = height - margin * 3 - line_height * len(lines)
    draw.rectangle((0, text_top - margin, width, height - margin * 2), fill=(0, 0, 0, 150))
    for index, line in enumerate(lines):
        draw.text((margin * 2, text_top + index * line_height), line, font=text_face, fill=(255, 255, 255))
    return layer


class _Frames:
    """The background of each frame, before the overlay."""

    def __init__(self, spec: VideoSpec) -> None:
        self.size = spec.size
        work = (round(self.size[0] * (1 + ZOOM)), round(self.size[1] * (1 + ZOOM)))
        self.start = _cover(spec.start, work) if spec.start is not None else None
        self.end = _cover(spec.end, work) if spec.end is not None else None
        # Without a start frame the picture is a scrolling gradient instead.
        self.strip = _gradient_strip(spec.prompt, self.size) if self.start is None else None

    def at(self, t: float) -> Image.Image:
        if self.strip is not None:
            offset = round(t * 2 * self.size[1]) % self.size[1]
            return self.strip.crop((0, offset, self.size[0], offset + self.size[1]))
        assert self.start is not None  # one of the two is always set (__init__)
        frame = _ken_burns(self.start, self.size, t, zoom_in=True)
        if self.end is not None:
            mix = min(1.0, max(0.0, (t - 0.3) / 0.6))
            if mix > 0:
                frame = Image.blend(frame, _ken_burns(self.end, self.size, t, zoom_in=False), mix)
        return frame


def _temporary(target: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=suffix)
    os.close(handle)
    return Path(name)


def _compose(frames: _Frames, overlay: Image.Image, t: float) -> Image.Image:
    """The finished picture at time `t`: background, overlay and a progress bar along the bottom."""
    image = frames.at(t)
    image.paste(overlay, (0, 0), overlay)
    width, height = image.size
    bar = max(2, height // 60)
    ImageDraw.Draw(image).rectangle((0, height - bar, round(width * t), height), fill=(255, 255, 255))
    return image


def render(spec: VideoSpec, video_path: Path, poster_path: Path) -> None:
    """Write the MP4 and its JPEG poster. Each lands by rename, so a reader never sees half a file
    and two requests rendering the same task at once both leave a whole one."""
    video_path.parent.mkdir(parents=True, exist_ok=True)
    frames, overlay = _Frames(spec), _overlay(spec)
    count = spec.duration * spec.fps
    poster_index = count * 2 // 5
    video_tmp, poster_tmp = _temporary(video_path, ".mp4"), _temporary(poster_path, ".jpg")
    try:
        with av.open(str(video_tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream("libx264", rate=spec.fps)
            stream.width, stream.height = spec.size
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "26"}
            for index in range(count):
                image = _compose(frames, overlay, index / max(1, count - 1))
                if index == poster_index:
                    image.save(poster_tmp, "JPEG", quality=85)
                frame = av.VideoFrame.from_image(image)
                frame.pts, frame.time_base = index, Fraction(1, spec.fps)
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        os.replace(poster_tmp, poster_path)
        os.replace(video_tmp, video_path)
    finally:
        video_tmp.unlink(missing_ok=True)
        poster_tmp.unlink(missing_ok=True)
