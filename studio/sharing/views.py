"""Creating and revoking share links (members), and the public page and media behind them."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from studio.generations.access import get_generation_for_user
from studio.lib.http import AuthedRequest
from studio.lib.media import serve_media
from studio.sharing.access import get_ended_share_link, get_live_share_link, get_share_link_for_user
from studio.sharing.forms import ShareLinkForm
from studio.sharing.models import ShareLink

# Nothing behind a share link may outlive its revocation in a cache, nor be indexed.
PUBLIC_HEADERS = {"X-Robots-Tag": "noindex", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

_Response = TypeVar("_Response", bound=HttpResponseBase)


@login_required
@require_POST
def create(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    generation, _membership = get_generation_for_user(request, code, write=True)
    form = ShareLinkForm(request.POST)
    if not generation.has_video:
        messages.error(request, _("Only a finished video can be shared."))
    elif not form.is_valid():
        messages.error(request, _("Pick an expiry from the list."))
    else:
        ShareLink.objects.create(
            generation=generation,
            created_by=request.user,
            expires_at=form.expires_at(),
            hide_prompt=form.cleaned_data["hide_prompt"],
        )
        messages.success(request, _("Share link created: copy it below."))
    return redirect(f"{reverse('generations:detail', args=[generation.code])}#share")


@login_required
@require_POST
def revoke(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    link, _membership = get_share_link_for_user(request, code, write=True)
    link.revoke()
    messages.success(request, _("Share link revoked: the page and its video are gone."))
    return redirect(f"{reverse('generations:detail', args=[link.generation.code])}#share")


def _public(response: _Response) -> _Response:
    for header, value in PUBLIC_HEADERS.items():
        response[header] = value
    return response


# GET and HEAD: link previewers in chat apps often look before they fetch.
@require_safe
def page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = get_live_share_link(token)
    except Http404:
        ended = get_ended_share_link(token)
        if ended is None:
            raise
        context: dict[str, object] = {"revoked": ended.revoked_at is not None}
        return _public(render(request, "sharing/ended.html", context, status=410))
    generation = link.generation
    context = {
        "link": link,
        "generation": generation,
        "page_url": request.build_absolute_uri(),
        "video_url": request.build_absolute_uri(reverse("sharing:video", args=[token])),
        "poster_url": request.build_absolute_uri(reverse("sharing:poster", args=[token])),
    }
    return _public(render(request, "sharing/page.html", context))


def _serve(request: HttpRequest, field: FieldFile) -> HttpResponseBase:
    # A signed URL handed out before a revocation still works until it expires
    # (MEDIA_URL_EXPIRY_SECONDS); every new request meets the revocation at once.
    return _public(serve_media(request, field, cache_control="no-store"))


@require_safe
def video(request: HttpRequest, token: str) -> HttpResponseBase:
    generation = get_live_share_link(token).generation
    if not generation.has_video:
        raise Http404
    return _serve(request, generation.video)


@require_safe
def poster(request: HttpRequest, token: str) -> HttpResponseBase:
    return _serve(request, get_live_share_link(token).generation.poster)
