from __future__ import annotations

from typing import Any

from django import template

from studio.generations.models import Generation
from studio.sharing.forms import ShareLinkForm
from studio.sharing.models import ShareLink

register = template.Library()


@register.simple_tag
def share_panel(generation: Generation) -> dict[str, Any]:
    """The live links and a blank form for a generation the calling view has already authorised."""
    links = list(ShareLink.objects.live().filter(generation=generation))
    return {"links": links, "form": ShareLinkForm(initial={"expires_in": 7})}
