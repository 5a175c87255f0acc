"""Scoped lookups for projects and generations: outsiders 404, roles that may not write 403."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from studio.generations.models import Generation, Project, SavedPrompt
from studio.workspaces.access import public_code, require_role
from studio.workspaces.models import Membership


def _scoped(
    request: HttpRequest, found: object | None, workspace_id: int | None, *, write: bool
) -> Membership:
    """404 when the object does not exist or the person is not a member of its workspace; 403 when
    their role may not write. Both cases look the same to an outsider."""
    if found is None or not request.user.is_authenticated:
        raise Http404
    membership = Membership.objects.filter(workspace_id=workspace_id, user_id=request.user.pk).first()
    return require_role(membership, write=write)


def get_project_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False
) -> tuple[Project, Membership]:
    project = Project.objects.select_related("workspace").filter(code=public_code(code)).first()
    return project, _scoped(request, project, project and project.workspace_id, write=write)


def get_generation_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[Generation, Membership]:
    generation = Generation.objects.with_related().filter(code=code).first()
    return generation, _scoped(request, generation, generation and generation.workspace_id, write=write)


def get_saved_prompt_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[SavedPrompt, Membership]:
    saved = SavedPrompt.objects.select_related("project__workspace").filter(code=code).first()
    return saved, _scoped(request, saved, saved and saved.project.workspace_id, write=write)
