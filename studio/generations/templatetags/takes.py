"""Takes on the project page: generations made together are shown together, in take order."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from studio.generations.models import Generation

register = template.Library()


@register.filter
def take_groups(generations: Iterable[Generation]) -> list[list[Generation]]:
    """Consecutive generations of one take group become one list; every other generation is alone."""
    groups: list[list[Generation]] = []
    for generation in generations:
        if generation.take_group and groups and groups[-1][0].take_group == generation.take_group:
            groups[-1].append(generation)
        else:
            groups.append([generation])
    for group in groups:
        group.sort(key=lambda g: g.take_index)
    return groups
