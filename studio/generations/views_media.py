"""Frames, videos and posters, served only through the same scoped lookup as every other view.

The bytes come from disk, or from object storage through a short-lived signed URL (studio.lib.media).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from studio.generations.access import get_generation_for_user
from studio.lib.http import AuthedRequest
from studio.lib.media import serve_media


@login_required
@require_GET
def video(request: AuthedRequest, code: uuid.UUID) -> HttpResponseBase:
    generation, _membership = get_generation_for_user(request, code)
    download = f"seedance-{generation.code}.mp4" if request.GET.get("download") else None
    return serve_media(request, generation.video, download_name=download)


@login_required
@require_GET
def poster(request: AuthedRequest, code: uuid.UUID) -> HttpResponseBase:
    generation, _membership = get_generation_for_user(request, code)
    return serve_media(request, generation.poster)


@login_required
@require_GET
def frame(request: AuthedRequest, code: uuid.UUID, which: str) -> HttpResponseBase:
    generation, _membership = get_generation_for_user(request, code)
    frames = {"start": generation.start_frame, "end": generation.end_frame, "last": generation.last_frame}
    field = frames.get(which)
    if field is None:
        raise Http404
    return serve_media(request, field)
