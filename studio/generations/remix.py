"""Remix: a new generation made from another one's settings, and the lineage the player shows.

The form carries the parent's public code (`remix_of`); the view resolves it through the scoped
lookup (remix_parent), so a code from a workspace the person cannot see answers 404 like any
other URL, and passes it to GenerationForm, which fills in the kept frames. The parent's stored
frames are reused by name (services.create_takes), not copied.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from studio.generations.access import get_generation_for_user
from studio.generations.models import Generation
from studio.generations.quota import QuotaExceeded, refusal

if TYPE_CHECKING:
    from studio.accounts.models import User

TRAIL_LENGTH = 4


def remix_parent(request: HttpRequest) -> Generation | None:
    """The generation a submitted form was filled from (its `remix_of`), through the scoped lookup.

    A malformed code is no parent at all; a code out of the person's reach is 404.
    """
    try:
        code = uuid.UUID(request.POST.get("remix_of") or "")
    except ValueError:
        return None
    return get_generation_for_user(request, code)[0]


def takes_refusal(exceeded: QuotaExceeded, data: dict[str, Any]) -> str:
    """The quota's refusal, saying how the takes add up when there are several."""
    return refusal(exceeded.status, exceeded.seconds, takes=data.get("takes") or 1)


def lineage(generation: Generation, user: User) -> dict[str, Any]:
    """The parent and the children of `generation` that `user` may open (remixes can cross workspaces)."""
    visible = Generation.objects.visible_to(user).live().with_related()
    ancestors: list[Generation] = []
    parent_id = generation.parent_id
    while parent_id and len(ancestors) < TRAIL_LENGTH:  # a short trail: one query a step
        ancestor = visible.filter(pk=parent_id).first()
        if ancestor is None:
            break
        ancestors.insert(0, ancestor)
        parent_id = ancestor.parent_id
    parent = ancestors[-1] if ancestors else None
    children = list(visible.filter(parent=generation).order_by("created_at", "id"))
    siblings = []
    if generation.take_group:
        siblings = list(visible.filter(take_group=generation.take_group).order_by("take_index"))
    return {
        "lineage_parent": parent,
        "lineage_ancestors": ancestors,
        "lineage_children": children,
        "takes": siblings,
    }
