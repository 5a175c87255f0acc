from __future__ import annotations

import functools
from datetime import timedelta

from django import template
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from studio.generations.models import Generation
from studio.generations.problems import is_content_rejection
from studio.generations.progress import Estimate, StageEstimates

register = template.Library()


@register.filter
def duration_short(value: timedelta | None) -> str:
    """12s, 3m 05s, 1h 02m: elapsed time as a person reads it on a card."""
    if value is None:
        return ""
    seconds = max(int(value.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(hours)dh %(minutes)02dm") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)dm %(seconds)02ds") % {"minutes": minutes, "seconds": seconds}
    return _("%(seconds)ds") % {"seconds": seconds}


@register.simple_tag
def progress_of(generation: Generation, estimates: StageEstimates | None) -> Estimate | None:
    """The card's Estimate (percent, words), or None without history or once finished."""
    return estimates.for_generation(generation) if estimates else None


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """An icon from the static sprite; decorative unless a label is given (then it is the name)."""
    sprite = _sprite_url()
    labelled = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
    return mark_safe(  # noqa: S308 - the name is a template literal, the label is escaped
        f'<svg class="icon"{labelled} focusable="false"><use href="{sprite}#{escape(name)}"></use></svg>'
    )


@functools.cache
def _sprite_url() -> str:
    return static("img/icons.svg")


@register.filter
def content_rejected(generation: Generation) -> bool:
    """The provider's content check refused it: the next step is to edit, not to retry as is."""
    return is_content_rejection(
        generation.error_kind, raw=generation.error_raw, params=generation.error_params
    )
