"""Scoped lookups: the only way views reach a workspace's data.

Outsiders get 404 (they must not learn that a thing exists); members whose role may not act
get 403.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone

from studio.workspaces.models import MANAGE_ROLES, Invitation, Membership, Workspace, personal_workspace_for

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from studio.lib.http import AuthedRequest

SESSION_KEY = "workspace_code"


def public_code(value: uuid.UUID | str) -> uuid.UUID:
    """A public code from a URL or a form. Anything that is not a UUID names nothing: 404."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise Http404 from None


def membership_for(user: AbstractBaseUser | AnonymousUser, workspace: Workspace) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(workspace=workspace, user_id=user.pk).first()


def require_role(membership: Membership | None, *, write: bool = False, manage: bool = False) -> Membership:
    if membership is None:
        raise Http404
    if manage and not membership.can_manage:
        raise PermissionDenied
    if write and not membership.can_write:
        raise PermissionDenied
    return membership


def get_membership_for_user(
    request: HttpRequest, code: uuid.UUID | str, *, write: bool = False, manage: bool = False
) -> Membership:
    membership = (
        Membership.objects.select_related("workspace")
        .filter(workspace__code=public_code(code), user_id=request.user.pk)
        .first()
        if request.user.is_authenticated
        else None
    )
    return require_role(membership, write=write, manage=manage)


def memberships_of(request: AuthedRequest) -> list[Membership]:
    """All the person's memberships with their workspaces, read once a request: the header's
    switcher, the current workspace and the scoped lookups share this one query."""
    cached: list[Membership] | None = request.__dict__.get("_memberships")
    if cached is None:
        cached = list(Membership.objects.filter(user_id=request.user.pk).select_related("workspace"))
        request.__dict__["_memberships"] = cached
    return cached


def current_membership(request: AuthedRequest) -> Membership:
    """The workspace the person is working in now: the one they switched to in this session, else
    the one they used last (remembered across sign-ins), else their personal one."""
    cached: Membership | None = getattr(request, "_current_membership", None)
    if cached is not None:
        return cached
    code = request.session.get(SESSION_KEY)
    memberships = memberships_of(request)
    membership = None
    if code:
        membership = next((m for m in memberships if str(m.workspace.code) == str(code)), None)
    if membership is None and not code:
        used = [m for m in memberships if m.last_used_at is not None]
        membership = max(used, key=lambda m: m.last_used_at or m.created_at) if used else None
    if membership is None:
        workspace = personal_workspace_for(request.user)
        membership = Membership.objects.select_related("workspace").get(
            workspace=workspace, user_id=request.user.pk
        )
        request.__dict__.pop("_memberships", None)  # the personal workspace may be new
    request.__dict__["_current_membership"] = membership
    return membership


def set_current_workspace(request: AuthedRequest, workspace: Workspace) -> None:
    request.session[SESSION_KEY] = str(workspace.code)
    request.__dict__.pop("_current_membership", None)
    request.__dict__.pop("_memberships", None)
    Membership.objects.filter(workspace=workspace, user_id=request.user.pk).update(
        last_used_at=timezone.now()
    )


def get_member_for_user(
    request: HttpRequest, code: uuid.UUID, *, manage: bool = False
) -> tuple[Membership, Membership]:
    """Another person's membership (by its public code) and the requester's own in that workspace."""
    target = Membership.objects.select_related("workspace", "user").filter(code=code).first()
    if target is None:
        raise Http404
    actor = require_role(membership_for(request.user, target.workspace), manage=manage)
    return target, actor


def get_invitation_for_user(
    request: HttpRequest, code: uuid.UUID, *, manage: bool = False
) -> tuple[Invitation, Membership]:
    invitation = Invitation.objects.select_related("workspace").filter(code=code).first()
    if invitation is None:
        raise Http404
    membership = require_role(membership_for(request.user, invitation.workspace), manage=manage)
    return invitation, membership


def get_invitation_by_token(token: str) -> Invitation:
    """The link itself is the credential: anyone holding it may read the invitation, nobody can guess it."""
    invitation: Invitation | None = (
        Invitation.objects.select_related("workspace", "created_by").filter(token=token).first()
    )
    if invitation is None:
        raise Http404
    return invitation


def whom_to_ask(membership: Membership) -> list[str]:
    """Who can change a read-only member's role: the workspace's owners and admins (one query)."""
    if membership.can_write:
        return []
    return list(
        Membership.objects.filter(workspace_id=membership.workspace_id, role__in=MANAGE_ROLES)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )
