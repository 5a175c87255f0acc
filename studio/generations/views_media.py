"""Frames, videos and posters, served only through the same scoped lookup as every other view."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from studio.generations.access import get_generation_for_user
from studio.lib.http import AuthedRequest
from studio.lib.ranges import ranged_file_response, served_content_type


def _serve(request: AuthedRequest, field: FieldFile, *, download_name: str | None = None) -> HttpResponseBase:
    if not field:
        raise Http404
    path = Path(field.path)
    if not path.exists():
        raise Http404
    content_type = served_content_type(path)
    response = ranged_file_response(
        request, path, content_type, filename=download_name, as_attachment=bool(download_name)
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def video(request: AuthedRequest, code: uuid.UUID) -> HttpResponseBase:
    generation, _membership = get_generation_for_user(request, code)
    download = f"seedance-{generation.code}.mp4" if request.GET.get("download") else None
    return _serve(request, generation.video, download_name=download)


@login_required
@require_GET
def poster(request: AuthedRequest, code: uuid.UUID) -> HttpResponseBase:
    generation, _membership = get_generation_for_user(request, code)
    return _serve(request, generation.poster)


@login_required
@require_GET
def frame(request: AuthedRequest, code: uuid.UUID, which: str) -> HttpResponseBase:
    generation, _membership = get_generation_for_user(request, code)
    frames = {"start": generation.start_frame, "end": generation.end_frame, "last": generation.last_frame}
    field = frames.get(which)
    if field is None:
        raise Http404
    return _serve(request, field)
