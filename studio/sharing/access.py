"""Scoped lookups for share links: members manage them by code, the public reaches them by token."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from studio.sharing.models import ShareLink
from studio.workspaces.access import membership_for, require_role
from studio.workspaces.models import Membership


def get_share_link_for_user(
    request: HttpRequest, code: uuid.UUID, *, write: bool = False
) -> tuple[ShareLink, Membership]:
    link = ShareLink.objects.select_related("generation__workspace").filter(code=code).first()
    if link is None:
        raise Http404
    membership = require_role(membership_for(request.user, link.generation.workspace), write=write)
    return link, membership


def get_live_share_link(token: str) -> ShareLink:
    """The public side: a revoked or expired link is gone at once, for the page and its media alike."""
    link: ShareLink | None = (
        ShareLink.objects.live()
        # A video in the Trash is not shown to the public either.
        .filter(generation__deleted_at__isnull=True, generation__project__deleted_at__isnull=True)
        .select_related("generation__created_by", "generation__workspace")
        .filter(token=token)
        .first()
    )
    if link is None:
        raise Http404
    return link


def get_ended_share_link(token: str) -> ShareLink | None:
    """A link that existed and was revoked or has expired, so its page can say which.

    Only the page uses it, and it shows nothing of the video; the media stay 404.
    """
    link = ShareLink.objects.filter(token=token).only("revoked_at", "expires_at").first()
    return link if link is not None and not link.is_live else None
