"""Scoped lookups for projects and generations: outsiders 404, roles that may not write 403."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from studio.generations.models import Generation, Project, SavedPrompt
from studio.workspaces.access import require_role
from studio.workspaces.models import Membership


def _membership(request: HttpRequest, workspace_id: int) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    return Membership.objects.filter(workspace_id=workspace_id, user_id=request.user.pk).first()


def get_project_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False
) -> tuple[Project, Membership]:
    project = Project.objects.select_related("workspace").filter(code=code).first()
    if project is None:
        raise Http404
    membership = require_role(_membership(request, project.workspace_id), write=write)
    return project, membership


def get_generation_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[Generation, Membership]:
    generation = Generation.objects.with_related().filter(code=code).first()
    if generation is None:
        raise Http404
    membership = require_role(_membership(request, generation.workspace_id), write=write)
    return generation, membership


def get_saved_prompt_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[SavedPrompt, Membership]:
    saved = SavedPrompt.objects.select_related("project__workspace").filter(code=code).first()
    if saved is None:
        raise Http404
    membership = require_role(_membership(request, saved.project.workspace_id), write=write)
    return saved, membership
