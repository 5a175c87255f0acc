"""Continue a shot; build a sequence of shots, play it, and export it as one MP4.

Every view starts with a scoped lookup: outsiders get 404, viewers 403 on anything that writes.
Editors build and export; viewers watch and download.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from studio.generations.access import get_generation_for_user, get_project_for_user
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation, Status
from studio.generations.video import NotAVideo
from studio.generations.views import render_project
from studio.lib.http import AuthedRequest
from studio.lib.media import serve_media
from studio.sequences.access import get_export_for_user, get_sequence_for_user, get_shot_for_user
from studio.sequences.export import NothingToExport, request_export
from studio.sequences.forms import SequenceForm
from studio.sequences.frames import ensure_last_frame
from studio.sequences.models import ExportShareLink, Sequence
from studio.workspaces.models import Membership

RECENT_EXPORTS = 5


@login_required
@require_GET
def continue_shot(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """The composer, opened with the video's true last frame as its start frame."""
    source, membership = get_generation_for_user(request, code, write=True)
    if not source.has_video:
        raise Http404
    try:
        ensure_last_frame(source)
    except (NotAVideo, ValidationError):
        messages.error(
            request, _("The last frame of this video could not be read, so it cannot be continued.")
        )
        return redirect("generations:detail", code=source.code)
    form = GenerationForm(parent=source, continues=True)
    return render_project(request, source.project, membership, form)


@login_required
@require_http_methods(["GET", "POST"])
def sequence_list(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    project, membership = get_project_for_user(request, code, write=request.method == "POST")
    form = SequenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sequence = form.save(commit=False)
        sequence.project, sequence.created_by = project, request.user
        sequence.save()
        return redirect("sequences:detail", code=sequence.code)
    sequences = project.sequences.annotate(shot_count=Count("shots")).select_related("created_by")
    context = {"project": project, "membership": membership, "form": form, "sequences": sequences}
    return render(request, "sequences/sequence_list.html", context)


def _detail_context(
    sequence: Sequence, membership: Membership, form: SequenceForm | None = None
) -> dict[str, Any]:
    shots = list(sequence.shots.select_related("generation"))
    groups = {shot.generation.take_group for shot in shots if shot.generation.take_group}
    takes: dict[uuid.UUID, list[Generation]] = defaultdict(list)
    if groups:
        for take in (
            Generation.objects.live()
            .filter(take_group__in=groups, status=Status.SUCCEEDED, project=sequence.project)
            .order_by("take_index", "created_at")
        ):
            takes[take.take_group].append(take)  # type: ignore[index]
    for shot in shots:
        shot.takes = takes.get(shot.generation.take_group, []) if shot.generation.take_group else []  # type: ignore[attr-defined]
    live_links = Prefetch(
        "share_links", queryset=ExportShareLink.objects.filter(revoked_at__isnull=True), to_attr="live_links"
    )
    exports = list(sequence.exports.prefetch_related(live_links)[:RECENT_EXPORTS])
    return {
        "sequence": sequence,
        "project": sequence.project,
        "membership": membership,
        "shots": shots,
        # A video in the Trash keeps its place in the list but is neither played nor exported.
        "playable": [shot for shot in shots if shot.generation.has_video and not shot.generation.deleted_at],
        "exports": exports,
        "exporting": any(not export.is_finished for export in exports),
        "form": form or SequenceForm(instance=sequence),
    }


@login_required
@require_GET
def sequence_detail(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    sequence, membership = get_sequence_for_user(request, code)
    return render(request, "sequences/sequence_detail.html", _detail_context(sequence, membership))


@login_required
@require_POST
def sequence_settings(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    sequence, membership = get_sequence_for_user(request, code, write=True)
    form = SequenceForm(request.POST, instance=sequence)
    if not form.is_valid():
        context = _detail_context(sequence, membership, form)
        return render(request, "sequences/sequence_detail.html", context)
    form.save()
    messages.success(request, _("Sequence saved."))
    return redirect("sequences:detail", code=sequence.code)


@login_required
@require_POST
def sequence_delete(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    sequence, _membership = get_sequence_for_user(request, code, write=True)
    project_code = sequence.project.code
    sequence.delete()
    messages.success(request, _("Sequence deleted; its videos are kept."))
    return redirect("sequences:list", code=project_code)


@login_required
@require_http_methods(["GET", "POST"])
def add_shot(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """Add a finished video to one of its project's sequences, or to a new one."""
    generation, membership = get_generation_for_user(request, code, write=True)
    if not generation.has_video:
        raise Http404
    project = generation.project
    if request.method == "POST":
        name = request.POST.get("new_name", "").strip()
        if name:
            sequence = Sequence.objects.create(
                project=project,
                name=name[:120],
                aspect_ratio=generation.aspect_ratio,
                clarity=generation.clarity,
                created_by=request.user,
            )
        else:
            found = project.sequences.filter(code=_uuid_or_404(request.POST.get("sequence"))).first()
            if found is None:
                raise Http404
            sequence = found
        sequence.append(generation)
        messages.success(request, _("Added to “%(name)s”.") % {"name": sequence.name})
        return redirect("sequences:detail", code=sequence.code)
    sequences = project.sequences.annotate(shot_count=Count("shots"))
    context = {"generation": generation, "membership": membership, "sequences": sequences}
    return render(request, "sequences/add_shot.html", context)


def _uuid_or_404(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise Http404 from None


def _shots_response(request: AuthedRequest, sequence: Sequence, membership: Membership) -> HttpResponse:
    if request.htmx:
        return render(request, "sequences/sequence_detail.html#shots", _detail_context(sequence, membership))
    return redirect("sequences:detail", code=sequence.code)


MOVES = {"up": -1, "down": 1, "first": -10_000, "last": 10_000}


@login_required
@require_POST
def shot_move(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    shot, membership = get_shot_for_user(request, code, write=True)
    offset = MOVES.get(request.POST.get("to", ""))
    if offset is None:
        return HttpResponse(_("Say where the shot goes: up, down, first or last."), status=400)
    shot.sequence.move(shot, offset)
    return _shots_response(request, shot.sequence, membership)


@login_required
@require_POST
def sequence_order(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """Drag and drop sends the whole new order at once."""
    sequence, membership = get_sequence_for_user(request, code, write=True)
    if not sequence.reorder(request.POST.getlist("shot")):
        return HttpResponse(_("The list of shots has changed; reload the page."), status=409)
    return _shots_response(request, sequence, membership)


@login_required
@require_POST
def shot_remove(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    shot, membership = get_shot_for_user(request, code, write=True)
    sequence = shot.sequence
    shot.delete()
    return _shots_response(request, sequence, membership)


@login_required
@require_POST
def shot_take(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """Point the shot at another finished take of the same group."""
    shot, membership = get_shot_for_user(request, code, write=True)
    group = shot.generation.take_group
    take = (
        Generation.objects.live()
        .filter(
            code=_uuid_or_404(request.POST.get("generation")),
            take_group=group,
            project=shot.sequence.project,
            status=Status.SUCCEEDED,
        )
        .first()
        if group
        else None
    )
    if take is None:
        raise Http404
    shot.generation = take
    shot.save(update_fields=["generation"])
    return _shots_response(request, shot.sequence, membership)


@login_required
@require_POST
def export_create(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    sequence, membership = get_sequence_for_user(request, code, write=True)
    try:
        request_export(sequence, request.user)
    except NothingToExport:
        messages.error(request, _("Add a finished video to the sequence before exporting it."))
    if request.htmx:
        return render(
            request, "sequences/sequence_detail.html#exports", _detail_context(sequence, membership)
        )
    return redirect("sequences:detail", code=sequence.code)


@login_required
@require_GET
def export_list(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    """The exports panel, polled while an export is under way; 286 stops the polling when none is."""
    sequence, membership = get_sequence_for_user(request, code)
    context = _detail_context(sequence, membership)
    response = render(request, "sequences/sequence_detail.html#exports", context)
    if not context["exporting"]:
        return HttpResponseStopPolling(response.content)
    return response


@login_required
@require_GET
def export_video(request: AuthedRequest, code: uuid.UUID) -> HttpResponseBase:
    export, _membership = get_export_for_user(request, code)
    download = f"sequence-{export.code}.mp4" if request.GET.get("download") else None
    return serve_media(request, export.video, download_name=download)


@login_required
@require_GET
def export_poster(request: AuthedRequest, code: uuid.UUID) -> HttpResponseBase:
    export, _membership = get_export_for_user(request, code)
    return serve_media(request, export.poster)
