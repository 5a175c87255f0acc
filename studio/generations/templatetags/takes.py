"""Takes on the project page: generations made together are shown together, in take order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django import template

from studio.generations.cards import CardRow
from studio.generations.models import Generation

Take = TypeVar("Take", Generation, CardRow)

register = template.Library()


@register.filter
def take_groups(generations: Iterable[Take]) -> list[list[Take]]:
    """Generations of one take group become one list, where its newest member is; others are alone.

    A retried take is newer than its group, so the group comes up with it.
    """
    groups: list[list[Take]] = []
    by_group: dict[object, list[Take]] = {}
    for generation in generations:
        if generation.take_group and generation.take_group in by_group:
            by_group[generation.take_group].append(generation)
            continue
        groups.append([generation])
        if generation.take_group:
            by_group[generation.take_group] = groups[-1]
    for group in groups:
        group.sort(key=lambda g: g.take_index)
    return groups
