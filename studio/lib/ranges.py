"""Serve a file with HTTP Range support, so browsers can seek in videos and clients can resume.

Only single ranges are honoured (`bytes=a-b`, `bytes=a-`, `bytes=-n`); anything else is ignored
and the whole file is sent, as RFC 9110 allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

CHUNK_SIZE = 64 * 1024
# The only types the studio stores. Anything else (a stored name from an old upload) is sent as
# bytes, which a browser under nosniff neither renders nor runs.
SERVED_TYPES = {
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE | re.ASCII)
# Longer than any file: a position with more digits than this is simply "past the end". Python
# refuses to convert numbers of more than 4,300 digits, and nothing needs that many.
_BEYOND_ANY_FILE = 10**18


class Unsatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a Range header asks for, None to send everything.

    Raises Unsatisfiable when the range is well formed but lies outside the file.
    """
    match = _RANGE.match(header or "")
    if not match or match.groups() == ("", ""):
        return None
    first, last = (_position(group) for group in match.groups())
    if first is None:
        suffix = last or 0
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    if last is not None and last < first:
        return None
    if first >= size:
        raise Unsatisfiable
    return first, min(last, size - 1) if last is not None else size - 1


def _position(digits: str) -> int | None:
    """A byte position from the header: None when absent, capped far beyond any file size."""
    if not digits:
        return None
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) < 19 else _BEYOND_ANY_FILE


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def ranged_file_response(
    request: HttpRequest,
    path: Path,
    content_type: str,
    *,
    filename: str | None = None,
    as_attachment: bool = False,
) -> HttpResponseBase:
    """Stream `path`: 206 for a satisfiable single Range, 416 for an unsatisfiable one, else 200."""
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        raise Http404("No such file") from None
    try:
        wanted = parse_range(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        refusal = HttpResponse(status=416)
        refusal["Content-Range"] = f"bytes */{size}"
        refusal["Accept-Ranges"] = "bytes"
        return refusal
    response: HttpResponseBase
    if wanted is None:
        response = FileResponse(
            path.open("rb"), content_type=content_type, as_attachment=as_attachment, filename=filename or ""
        )
        if not filename and not as_attachment:
            response.headers.pop("Content-Disposition", None)
    else:
        start, end = wanted
        response = StreamingHttpResponse(
            _read(path, start, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
        disposition = (
            content_disposition_header(as_attachment, filename or "") if filename or as_attachment else None
        )
        if disposition:
            response["Content-Disposition"] = disposition
    response["Accept-Ranges"] = "bytes"
    return response


def served_content_type(path: Path) -> str:
    return SERVED_TYPES.get(path.suffix.lower(), "application/octet-stream")
