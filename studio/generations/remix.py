"""Remix: a new generation made from another one's settings, and the lineage the player shows.

The form carries the parent's public code (`remix_of`); every use of it goes through the scoped
lookup, so a code from a workspace the person cannot see answers 404 like any other URL.
The parent's stored frames are reused by name (services.create_takes), not copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from studio.generations.access import get_generation_for_user
from studio.generations.forms import GenerationForm
from studio.generations.models import Generation
from studio.generations.quota import QuotaExceeded, refusal

if TYPE_CHECKING:
    from studio.accounts.models import User

FRAMES = (("start_frame", "keep_start_frame"), ("end_frame", "keep_end_frame"))


def remix_initial(parent: Generation) -> dict[str, Any]:
    """The generation form's starting values for a remix of `parent`."""
    return {
        "prompt": parent.prompt,
        "aspect_ratio": parent.aspect_ratio,
        "clarity": parent.clarity,
        "duration": parent.duration,
        "remix_of": parent.code,
        "keep_start_frame": bool(parent.start_frame),
        "keep_end_frame": bool(parent.end_frame),
    }


def remix_source(request: HttpRequest, form: GenerationForm) -> tuple[Generation | None, dict[str, Any]]:
    """The remixed generation (if any) and the data to create from, with its kept frames filled in.

    Adds an error to the form when the kept frames do not make sense (an end frame alone).
    """
    valid = form.is_valid()
    code = form.cleaned_data.get("remix_of")
    parent = get_generation_for_user(request, code)[0] if code else None
    if not valid:
        return parent, {}
    data = dict(form.cleaned_data)
    if parent is None:
        return None, data
    for field, keep in FRAMES:
        if not data.get(field) and data.get(keep) and getattr(parent, field):
            data[field] = getattr(parent, field)  # a FieldFile: services reuse the stored image
    if data.get("end_frame") and not data.get("start_frame"):
        form.add_error("end_frame", _("An end frame needs a start frame."))
    return parent, data


def takes_refusal(exceeded: QuotaExceeded, data: dict[str, Any]) -> str:
    """The quota's refusal, saying how the takes add up when there are several."""
    return refusal(exceeded.status, exceeded.seconds, takes=data.get("takes") or 1)


def lineage(generation: Generation, user: User) -> dict[str, Any]:
    """The parent and the children of `generation` that `user` may open (remixes can cross workspaces)."""
    visible = Generation.objects.visible_to(user).with_related()
    parent = visible.filter(pk=generation.parent_id).first() if generation.parent_id else None
    children = list(visible.filter(parent=generation).order_by("created_at", "id"))
    siblings = []
    if generation.take_group:
        siblings = list(visible.filter(take_group=generation.take_group).order_by("take_index"))
    return {"lineage_parent": parent, "lineage_children": children, "takes": siblings}
