from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

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
