"""Share links for exports: the rules of studio.sharing (secret token, expiry, revocation, public
headers) for a finished sequence, on a page of its own."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from studio.lib.http import AuthedRequest
from studio.sequences.access import get_export_for_user
from studio.sequences.models import ExportShareLink
from studio.sharing.forms import ShareLinkForm
from studio.sharing.views import _public
from studio.sharing.views import _serve as _serve_public
from studio.workspaces.access import require_role
from studio.workspaces.models import Membership


@login_required
@require_POST
def create(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    export, _membership = get_export_for_user(request, code, write=True)
    form = ShareLinkForm(request.POST)
    if not export.has_video:
        messages.error(request, _("Only a finished export can be shared."))
    elif not form.is_valid():
        messages.error(request, _("Pick an expiry from the list."))
    else:
        ExportShareLink.objects.create(export=export, created_by=request.user, expires_at=form.expires_at())
        messages.success(request, _("Share link created: copy it below."))
    return redirect(f"{reverse('sequences:detail', args=[export.sequence.code])}#exports")


@login_required
@require_POST
def revoke(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    link = ExportShareLink.objects.select_related("export__sequence__project").filter(code=code).first()
    if link is None or not request.user.is_authenticated:
        raise Http404
    membership = Membership.objects.filter(
        workspace_id=link.export.sequence.project.workspace_id, user_id=request.user.pk
    ).first()
    require_role(membership, write=True)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    messages.success(request, _("Share link revoked: the page and its video are gone."))
    return redirect(f"{reverse('sequences:detail', args=[link.export.sequence.code])}#exports")


def _live_link(token: str) -> ExportShareLink:
    now = timezone.now()
    link = (
        ExportShareLink.objects.filter(token=token, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(export__sequence__project__deleted_at__isnull=True, export__status="done")
        .select_related("export__sequence")
        .first()
    )
    if link is None:
        raise Http404
    return link


@require_safe
def page(request: HttpRequest, token: str) -> HttpResponse:
    link = _live_link(token)
    context = {
        "link": link,
        "export": link.export,
        "video_url": reverse("sequences:shared_video", args=[token]),
        "poster_url": reverse("sequences:shared_poster", args=[token]),
    }
    return _public(render(request, "sequences/shared.html", context))


@require_safe
def video(request: HttpRequest, token: str) -> HttpResponseBase:
    return _serve_public(request, _live_link(token).export.video)


@require_safe
def poster(request: HttpRequest, token: str) -> HttpResponseBase:
    return _serve_public(request, _live_link(token).export.poster)
