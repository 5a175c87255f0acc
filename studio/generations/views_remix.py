"""Remix: "Use these settings" opens a generation form filled from any generation.

The form goes to the generation's own project when the person may generate there, or to a
project they pick (`?project=<code>`); the frames stay the parent's stored images until
replaced, and the new generation records the parent (studio.generations.remix).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.generations.access import get_generation_for_user, get_project_for_user
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation, Project
from studio.generations.views import render_project
from studio.lib.http import AuthedRequest
from studio.workspaces.models import WRITE_ROLES


@login_required
@require_GET
def remix(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    source, source_membership = get_generation_for_user(request, code)
    if request.GET.get("project"):
        project, membership = get_project_for_user(request, request.GET["project"], write=True)
    elif source_membership.can_write and "pick" not in request.GET:
        project, membership = source.project, source_membership
    else:
        return _pick_project(request, source)
    form = GenerationForm(parent=source)
    return render_project(request, project, membership, form)


def _pick_project(request: AuthedRequest, source: Generation) -> HttpResponse:
    """Where the remix should go: any project in a workspace where this person may generate."""
    projects = (
        Project.objects.live()
        .filter(workspace__memberships__user=request.user, workspace__memberships__role__in=WRITE_ROLES)
        .select_related("workspace")
        .order_by("workspace__name", "name")
    )
    return render(request, "generations/remix_pick.html", {"source": source, "projects": projects})
