"""The galleries: a workspace's finished videos, and everything I made across my workspaces.

Each page runs a fixed number of queries whatever its length: the list is one query with its
project, workspace and maker joined in.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.generations.models import Generation, Status
from studio.workspaces.access import current_membership
from studio.workspaces.models import Workspace

PAGE_SIZE = 48


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """My generations: what I made in every workspace I still belong to."""
    generations = Generation.objects.filter(
        created_by=request.user,
        status=Status.SUCCEEDED,
        workspace__in=Workspace.objects.for_user(request.user),
    ).with_related()[:PAGE_SIZE]
    return render(request, "generations/gallery.html", {"generations": generations})


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    """The current workspace's gallery: every member's finished videos, each with who made it."""
    membership = current_membership(request)
    generations = Generation.objects.filter(
        workspace=membership.workspace, status=Status.SUCCEEDED
    ).with_related()[:PAGE_SIZE]
    return render(
        request, "generations/gallery_team.html", {"generations": generations, "membership": membership}
    )
