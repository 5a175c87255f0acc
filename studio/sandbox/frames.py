"""The start and end frames of a task as Pillow images, wherever their URLs point."""

from __future__ import annotations

import io
import logging
import textwrap
from typing import IO
from urllib.parse import urlsplit

import requests
from django.urls import Resolver404, resolve
from PIL import Image, ImageDraw, ImageOps

from studio.sandbox import storage
from studio.sandbox.fonts import font
from studio.sandbox.models import UploadedFile

logger = logging.getLogger(__name__)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
FETCH_TIMEOUT = (1.0, 3.0)
FETCH_MAX_BYTES = 20 * 1024 * 1024


def load_frame(url: str) -> Image.Image:
    """The image at `url`: the sandbox's own upload, a local server's file, or a labelled placeholder."""
    try:
        image = _own_upload(url) or _local_fetch(url)
    except (OSError, ValueError, Image.DecompressionBombError, requests.RequestException) as error:
        logger.warning("sandbox could not load frame %s: %s", url, error)
        image = None
    return image if image is not None else placeholder(url)


def _decode(data: IO[bytes]) -> Image.Image:
    with Image.open(data) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def _own_upload(url: str) -> Image.Image | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    if match.view_name != "sandbox:file":
        return None
    upload = UploadedFile.objects.filter(file_id=match.kwargs["file_id"]).first()
    path = storage.absolute(upload.path) if upload and upload.path else None
    if path is None or not path.is_file():
        return None
    with path.open("rb") as handle:
        return _decode(handle)


def _local_fetch(url: str) -> Image.Image | None:
    """Fetch only from this machine: the sandbox never reaches out to the internet."""
    if urlsplit(url).hostname not in LOCAL_HOSTS:
        return None
    with requests.get(url, timeout=FETCH_TIMEOUT, stream=True) as response:
        response.raise_for_status()
        data = response.raw.read(FETCH_MAX_BYTES + 1, decode_content=True)
    if len(data) > FETCH_MAX_BYTES:
        raise ValueError("frame larger than the sandbox fetches")
    return _decode(io.BytesIO(data))


def placeholder(url: str, size: tuple[int, int] = (640, 640)) -> Image.Image:
    """A grey card naming the URL, so a video made from an unreachable frame says so."""
    image = Image.new("RGB", size, (96, 96, 104))
    draw = ImageDraw.Draw(image)
    text = "frame not reachable from the sandbox:\n" + "\n".join(textwrap.wrap(url, 34)[:8])
    draw.multiline_text((24, 24), text, fill=(235, 235, 235), font=font(22), spacing=6)
    return image
