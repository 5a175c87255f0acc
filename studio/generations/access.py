"""Scoped lookups for projects and generations: outsiders 404, roles that may not write 403."""

from __future__ import annotations

import uuid
from typing import cast

from django.http import Http404, HttpRequest

from studio.generations.models import Generation, Project, SavedPrompt
from studio.lib.http import AuthedRequest
from studio.workspaces.access import memberships_of, public_code, require_role
from studio.workspaces.models import Membership


def _scoped(request: HttpRequest, workspace_id: int, *, write: bool) -> Membership:
    """404 when the person is not a member of the object's workspace; 403 when their role may not
    write. Both cases look the same to an outsider as a missing object."""
    if not request.user.is_authenticated:
        raise Http404
    mine = memberships_of(cast(AuthedRequest, request))
    membership = next((m for m in mine if m.workspace_id == workspace_id), None)
    return require_role(membership, write=write)


def get_project_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False, trashed: bool = False
) -> tuple[Project, Membership]:
    """A live project, or (trashed=True) one waiting in the Trash; anything else is 404."""
    projects = Project.objects.in_trash() if trashed else Project.objects.live()
    # The quota comes along: the project page shows what is left (quota.remaining()).
    try:
        project = projects.select_related("workspace__quota").get(code=public_code(code))  # code is unique
    except Project.DoesNotExist:
        raise Http404 from None
    return project, _scoped(request, project.workspace_id, write=write)


def get_generation_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False, trashed: bool = False
) -> tuple[Generation, Membership]:
    """A live generation, or (trashed=True) one waiting in the Trash; anything else is 404."""
    generations = Generation.objects.in_trash() if trashed else Generation.objects.live()
    generation: Generation | None = generations.with_related().filter(code=code).first()
    if generation is None:
        raise Http404
    return generation, _scoped(request, generation.workspace_id, write=write)


def get_saved_prompt_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[SavedPrompt, Membership]:
    # A prompt of a project in the Trash is as gone as its project.
    saved = (
        SavedPrompt.objects.select_related("project__workspace")
        .filter(code=code, project__deleted_at__isnull=True)
        .first()
    )
    if saved is None:
        raise Http404
    return saved, _scoped(request, saved.project.workspace_id, write=write)
