"""What a request may be, checked before any view (or Django's own form parsing) reads it.

- A body declared longer than REQUEST_MAX_BYTES is answered 413 at once, before a byte of it is
  read. Django never reads past the declared Content-Length, so a body that lies about its
  length is cut off there; CappedUploadHandler then keeps at most FRAME_MAX_BYTES + 1 of each
  uploaded file, so the form reports the real size without the studio storing it.
- An address longer than MAX_URL_LENGTH is answered 414, as a production server would (gunicorn
  refuses request lines over 4 KB); the login redirect that quotes it could not be built.
- A NUL character in the path or the query string is answered 400: no value of the studio's
  contains one, and PostgreSQL refuses it in a query.
- An empty `_to_field` is answered 400: Django's admin looks up a field named "" and fails.

A view that takes larger bodies (the sandbox's upload target) says so with `@allow_body_up_to`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 4096
TO_FIELD_VAR = "_to_field"

View = Callable[..., HttpResponse]


def allow_body_up_to(max_bytes: int) -> Callable[[View], View]:
    """Let one view take request bodies up to `max_bytes` instead of REQUEST_MAX_BYTES."""

    def decorator(view: View) -> View:
        view.max_body_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return decorator


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _refuse(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    response = render(request, "refused.html", {"title": title, "message": message}, status=status)
    if status == 413:
        # The body was not read: the connection cannot carry another request after it.
        response["Connection"] = "close"
    return response


class RequestLimitsMiddleware:
    """Placed before CsrfViewMiddleware, whose check is the first thing that reads a form body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        limit = getattr(view, "max_body_bytes", settings.REQUEST_MAX_BYTES)
        declared = _declared_length(request)
        if declared > limit:
            return _refuse(
                request,
                413,
                _("Upload too large"),
                _("This upload is %(size).1f MB; the studio accepts at most %(limit).0f MB at once.")
                % {"size": declared / 1_000_000, "limit": limit / 1_000_000},
            )
        query = request.META.get("QUERY_STRING", "")
        if len(request.path) + len(query) > MAX_URL_LENGTH:
            return _refuse(request, 414, _("Address too long"), _("This address is too long to open."))
        if "\x00" in request.path or "\x00" in query or "%00" in query:
            return _refuse(
                request,
                400,
                _("Bad request"),
                _("This address contains a NUL character, which is not allowed."),
            )
        if request.GET.get(TO_FIELD_VAR) == "" or (
            request.method == "POST"
            and request.path.startswith("/admin/")
            and request.POST.get(TO_FIELD_VAR) == ""
        ):
            return _refuse(request, 400, _("Bad request"), _("This request is malformed."))
        return None


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams an uploaded file to a temporary file, but keeps at most FRAME_MAX_BYTES + 1 of it.

    The file's `size` stays what the client sent (the parser counts every byte), so the frame
    check reports "the image is 40.0 MB; the limit is 10 MB" without the rest being stored.
    """

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = settings.FRAME_MAX_BYTES + 1 - start
        if room > 0:
            self.file.write(raw_data[:room])
        return None
