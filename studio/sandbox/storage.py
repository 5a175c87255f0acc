"""Where the sandbox keeps its files: uploads and rendered outputs under SANDBOX_MEDIA_ROOT."""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
}


def media_root() -> Path:
    return Path(settings.SANDBOX_MEDIA_ROOT)


def absolute(relative: str) -> Path | None:
    """The file for a stored relative path, or None if it would leave the media root."""
    root = media_root().resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) else None


def content_type_for(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def safe_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    try:
        return get_valid_filename(base)[:120]
    except SuspiciousFileOperation:  # names such as "..": any stable name will do
        return "upload" + PurePosixPath(base).suffix.lower()[:10]


def upload_path(file_id: str, name: str) -> str:
    return f"uploads/{file_id}/{safe_name(name)}"


def output_paths(unique_id: str) -> tuple[str, str]:
    return f"outputs/{unique_id}.mp4", f"outputs/{unique_id}.jpg"
