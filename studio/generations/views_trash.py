"""Delete, restore and archive; the Trash; the gallery's actions on several videos at once.

Deleting only sets `deleted_at`: the row stays, so the usage ledger (which is the generations
table, studio.generations.ledger) counts exactly what it counted before. The Trash lists what was
deleted in the last TRASH_DAYS days; after that it is no longer offered for restoring.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from studio.generations.access import get_generation_for_user, get_project_for_user
from studio.generations.models import TRASH_DAYS, Favorite, Generation, Project
from studio.generations.zipstream import zip_of_videos
from studio.lib.http import AuthedRequest
from studio.workspaces.access import current_membership, whom_to_ask
from studio.workspaces.models import WRITE_ROLES

BULK_MAX = 100


def _back(request: AuthedRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def generation_delete(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    generation, _membership = get_generation_for_user(request, code, write=True)
    generation.deleted_at = timezone.now()
    generation.save(update_fields=["deleted_at"])
    if request.htmx:
        return HttpResponse("")  # the card goes; the Trash has it
    messages.success(
        request, _("Moved to the Trash. You can restore it for %(days)d days.") % {"days": TRASH_DAYS}
    )
    return _back(request, reverse("generations:project", args=[generation.project.code]))


@login_required
@require_POST
def generation_restore(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    generation, _membership = get_generation_for_user(request, code, write=True, trashed=True)
    generation.deleted_at = None
    generation.save(update_fields=["deleted_at"])
    messages.success(request, _("Restored. It is back in its project."))
    return _back(request, "generations:trash")


@login_required
@require_POST
def project_delete(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    project, _membership = get_project_for_user(request, code, write=True)
    project.deleted_at = timezone.now()
    project.save(update_fields=["deleted_at"])
    messages.success(
        request,
        _("“%(name)s” and its videos are in the Trash. You can restore them for %(days)d days.")
        % {"name": project.name, "days": TRASH_DAYS},
    )
    return redirect("generations:projects")


@login_required
@require_POST
def project_restore(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    project, _membership = get_project_for_user(request, code, write=True, trashed=True)
    project.deleted_at = None
    project.save(update_fields=["deleted_at"])
    messages.success(request, _("“%(name)s” is restored with its videos.") % {"name": project.name})
    return redirect("generations:project", code=project.code)


@login_required
@require_POST
def project_archive(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """archived=1 archives (the project leaves the main list), archived=0 brings it back."""
    project, _membership = get_project_for_user(request, code, write=True)
    project.archived_at = timezone.now() if request.POST.get("archived") != "0" else None
    project.save(update_fields=["archived_at"])
    if project.archived_at:
        messages.success(request, _("“%(name)s” is archived.") % {"name": project.name})
        return redirect("generations:projects")
    messages.success(request, _("“%(name)s” is back in the project list.") % {"name": project.name})
    return redirect("generations:project", code=project.code)


@login_required
@require_GET
def trash(request: AuthedRequest) -> HttpResponse:
    """The current workspace's Trash: deleted projects (with how many videos) and videos."""
    membership = current_membership(request)
    workspace = membership.workspace
    projects = (
        Project.objects.in_trash()
        .filter(workspace=workspace)
        .annotate(videos=Count("generations"))
        .order_by("-deleted_at")
    )
    generations = (
        Generation.objects.in_trash().filter(workspace=workspace).with_related().order_by("-deleted_at")
    )
    context = {
        "membership": membership,
        "trashed_projects": projects,
        "trashed_generations": generations,
        "days": TRASH_DAYS,
        "ask_whom": whom_to_ask(membership),
        "nav": "trash",
    }
    return render(request, "generations/trash.html", context)


def _chosen(request: AuthedRequest, params: QueryDict, *, write: bool) -> list[Generation]:
    """The live generations picked by their codes (`g`) that this person may see, or change."""
    codes = []
    for value in params.getlist("g")[:BULK_MAX]:
        try:
            codes.append(uuid.UUID(value))
        except ValueError:
            continue
    memberships = Q(workspace__memberships__user=request.user)
    if write:
        memberships &= Q(workspace__memberships__role__in=WRITE_ROLES)
    chosen = list(
        Generation.objects.live().filter(memberships, code__in=codes).order_by("-created_at", "-id")
    )
    if not chosen:
        raise Http404  # nothing of theirs: outsiders learn nothing
    return chosen


@login_required
@require_POST
def bulk(request: AuthedRequest) -> HttpResponse:
    """Star or delete several gallery videos at once."""
    action = request.POST.get("action")
    if action == "star":
        chosen = _chosen(request, request.POST, write=False)
        Favorite.objects.bulk_create(
            [Favorite(user=request.user, generation=g) for g in chosen], ignore_conflicts=True
        )
        text = ngettext("Starred %(n)d video.", "Starred %(n)d videos.", len(chosen))
    elif action == "delete":
        chosen = _chosen(request, request.POST, write=True)
        Generation.objects.filter(pk__in=[g.pk for g in chosen]).update(deleted_at=timezone.now())
        text = ngettext("Moved %(n)d video to the Trash.", "Moved %(n)d videos to the Trash.", len(chosen))
    else:
        return HttpResponse(_("Choose what to do with the selected videos."), status=400)
    messages.success(request, text % {"n": len(chosen)})
    return _back(request, "generations:team_gallery")


@login_required
@require_POST
def download_zip(request: AuthedRequest) -> StreamingHttpResponse:
    """The selected finished videos as one ZIP, streamed as it is written (never held in memory)."""
    chosen = [g for g in _chosen(request, request.POST, write=False) if g.has_video]
    if not chosen:
        raise Http404
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(zip_of_videos(chosen), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="seedance-{stamp}.zip"'
    return response
