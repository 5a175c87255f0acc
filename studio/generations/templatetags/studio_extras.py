from __future__ import annotations

from datetime import timedelta

from django import template

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
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"
