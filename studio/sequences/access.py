"""Scoped lookups for sequences, shots and exports: outsiders 404, roles that may not write 403."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from studio.sequences.models import Export, Sequence, Shot
from studio.workspaces.access import require_role
from studio.workspaces.models import Membership


def _membership(request: HttpRequest, workspace_id: int, *, write: bool) -> Membership:
    if not request.user.is_authenticated:
        raise Http404
    membership = Membership.objects.filter(workspace_id=workspace_id, user_id=request.user.pk).first()
    return require_role(membership, write=write)


def get_sequence_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[Sequence, Membership]:
    sequence = Sequence.objects.live().select_related("project__workspace").filter(code=code).first()
    if sequence is None:
        raise Http404
    return sequence, _membership(request, sequence.project.workspace_id, write=write)


def get_shot_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[Shot, Membership]:
    shot = (
        Shot.objects.filter(sequence__project__deleted_at__isnull=True, code=code)
        .select_related("sequence__project__workspace", "generation")
        .first()
    )
    if shot is None:
        raise Http404
    return shot, _membership(request, shot.sequence.project.workspace_id, write=write)


def get_export_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[Export, Membership]:
    export = (
        Export.objects.filter(sequence__project__deleted_at__isnull=True, code=code)
        .select_related("sequence__project__workspace")
        .first()
    )
    if export is None:
        raise Http404
    return export, _membership(request, export.sequence.project.workspace_id, write=write)
