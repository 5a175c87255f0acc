"""Cards drawn once and kept: the gallery's tiles and the project page's finished cards.

A page of 24 to 48 cards spent two thirds of its time in the template (about 1,800 URL
reversals a page). A finished card only changes when something it shows changes, so its HTML is
cached under a key made of exactly those things:

  - the template's own source and the icon sprite's URL (a deploy that changes a card changes
    every key);
  - the generation's code and a digest of every field the card reads (status, provider status,
    video, poster, duration, error, prompt, take, sandbox mark, maker, workspace name);
  - what the viewer changes: the language, their star, whether their role may write, and the
    page's scope (a tile on "My generations" names the workspace, on the team gallery the maker).

Nothing is ever deleted from the cache: a star, a rename, a status change or a language switch
makes a new key, so the next page shows it at once, and the old entry ages out. Per-request
values never enter the cache: the CSRF token and the "come back here" path are drawn as
placeholders that cannot occur in escaped text (`<!--…-->`) and are filled in on the way out.

Cards still in progress (their elapsed time changes every second) and the gallery's last tile
(it carries the next page's address) are drawn live. A new card action that depends on
something not listed above must add it to card_state() or to the key, or it will be stale.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models.fields.files import FieldFile
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from studio.generations.models import TERMINAL_STATUSES, Generation, GenerationQuerySet
from studio.lib import fragments
from studio.lib.http import AuthedRequest

# The columns a card reads (card_state() and the templates): lists load only these, which
# halves the cost of building each row. A card that reads another field must add it here, or
# each card costs one more query (tests/test_list_query_counts.py notices).
CARD_FIELDS = (
    "code",
    "workspace_id",
    "project_id",
    "created_by_id",
    "status",
    "provider_status",
    "prompt",
    "aspect_ratio",
    "clarity",
    "duration",
    "video_seconds",
    "video",
    "poster",
    "start_frame",
    "is_sandbox",
    "take_group",
    "take_index",
    "created_at",
    "submitted_at",
    "finished_at",
    "error_kind",
    "error_code",
    "error_message",
    "error_raw",
    "error_params",
    "workspace__name",
    "workspace__code",
    "created_by__username",
)

GALLERY_ITEM = "generations/gallery_item.html"
PROJECT_CARD = "generations/generation_card.html"
TAKE_GROUP = "generations/take_group.html"


# What a card shows, in the names of a values() row: a change to any of them is a new card. The
# code is not among them: it is part of the key itself.
STATE_FIELDS = tuple(name for name in CARD_FIELDS if name != "code")


class CardRow:
    """One generation as a list page's query read it: plain values (values()), no model instance.

    Enough to key its card, to page and to group takes, at a fraction of a model's cost; a page
    that has to draw its cards turns its rows into models first (as_models)."""

    # The columns that pages read from a row besides its card's state (values[...]).
    id: int
    code: uuid.UUID
    take_group: uuid.UUID | None
    take_index: int
    created_at: datetime
    card_key: str | None
    card_html: SafeString | None = None

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.values = values

    @property
    def is_terminal(self) -> bool:
        return str(self.values["status"]) in TERMINAL_STATUSES


def card_state(generation: Generation | CardRow) -> tuple[object, ...]:
    """Every field of a generation that a card shows, the same from a row or from a model."""
    if isinstance(generation, CardRow):
        return tuple(generation.values[name] for name in STATE_FIELDS)
    return tuple(_shown(generation, name) for name in STATE_FIELDS)


def _shown(generation: Generation, name: str) -> object:
    """A model's value as values() reads it: a file's name, a related row's field (None without one)."""
    if "__" in name:
        relation, field = name.split("__")
        related = getattr(generation, relation)
        return None if related is None else getattr(related, field)
    value = getattr(generation, name)
    return value.name if isinstance(value, FieldFile) else value


def card_rows(generations: GenerationQuerySet) -> GenerationQuerySet:
    """The generations as CardRow values: what their cards show, their id and annotations."""
    names = ["id", *CARD_FIELDS, *generations.query.annotations]
    rows: GenerationQuerySet = generations.values(*names)
    return rows


def as_models(rows: Sequence[Generation | CardRow]) -> list[Generation]:
    """The rows' generations as models, for drawing their cards: one query, in the rows' order.
    A generation deleted since the rows were read is left out."""
    ids = [row.id for row in rows if isinstance(row, CardRow)]
    if not ids:
        return [row for row in rows if isinstance(row, Generation)]
    found = {g.pk: g for g in for_cards(Generation.objects.filter(pk__in=ids))}
    models = []
    for row in rows:
        if isinstance(row, Generation):
            models.append(row)
        elif (model := found.get(row.id)) is not None:
            if "is_starred" in row.values:
                model.is_starred = row.values["is_starred"]  # type: ignore[attr-defined]
            models.append(model)
    return models


def card_key(template_name: str, generation: Generation | CardRow, viewer: dict[str, Any]) -> str:
    state = (card_state(generation), tuple(viewer.values()), get_language())
    return f"card:{fragments.template_version(template_name)}:{generation.code}:{fragments.digest(state)}"


def for_cards(generations: GenerationQuerySet) -> GenerationQuerySet:
    """Generations with what their cards show and nothing more (see CARD_FIELDS)."""
    return generations.select_related("workspace", "created_by").only(*CARD_FIELDS)


def cacheable(generation: Generation | CardRow) -> bool:
    return generation.is_terminal


def key_cards(
    template_name: str, generations: Iterable[Generation | CardRow], context: dict[str, Any]
) -> dict[str, Any]:
    """Give each finished generation its `card_key`; the ones in progress get None."""
    wanted: dict[str, Any] = {}
    for generation in generations:
        key = None
        if cacheable(generation):
            viewer = {
                "starred": bool(getattr(generation, "is_starred", False)),
                "can_write": bool(getattr(context.get("membership"), "can_write", False)),
                "scope": context.get("scope", ""),
            }
            key = card_key(template_name, generation, viewer)
            wanted[key] = generation
        generation.card_key = key  # type: ignore[union-attr]
    return wanted


def attach_cards(
    request: AuthedRequest, template_name: str, generations: Iterable[Generation], context: dict[str, Any]
) -> None:
    """Give each finished generation its card as `card_html`, from the cache or drawn and kept.

    One cache round trip to read the whole page and one to store what was missing. `context`
    holds the viewer's part of the key (star, role, scope) besides what the template needs.
    """
    wanted = key_cards(template_name, generations, context)
    if not wanted:
        return
    found: dict[str, str] = fragments.kept(list(wanted))
    template = get_template(template_name).template  # type: ignore[attr-defined]
    drawn: dict[str, str] = {}
    for key, generation in wanted.items():
        if key not in found:
            card_context = Context(
                {
                    **context,
                    "generation": generation,
                    # Nothing of the request may reach a shared card.
                    "request": None,
                    "csrf_token": fragments.CSRF_PLACEHOLDER,
                    "next": fragments.NEXT_PLACEHOLDER,
                },
                autoescape=True,
            )
            found[key] = drawn[key] = template.render(card_context)
    if drawn:
        fragments.keep(drawn)
    fill = fragments.filler(request)
    for key, generation in wanted.items():
        generation.card_raw = found[key]
        generation.card_html = fill(found[key])


def cards_state(generations: Iterable[Generation | CardRow]) -> list[str] | None:
    """What a page of keyed cards shows, for the page's own key; None while one is in progress."""
    keys: list[str | None] = [getattr(generation, "card_key", None) for generation in generations]
    return None if None in keys else [key for key in keys if key is not None]


@dataclass
class Shot:
    """Takes made together, and their whole section when it came from the cache."""

    takes: list[Any]  # Generations, or CardRows that need no drawing
    html: SafeString | None = None

    @functools.cached_property
    def key(self) -> str | None:
        """Its takes' card keys (its time is words written by studio.js); None while a take is in
        progress."""
        keys = cards_state(self.takes)
        if keys is None:
            return None
        first = self.takes[0]
        state = (keys, get_language())
        return f"shot:{fragments.template_version(TAKE_GROUP)}:{first.code}:{fragments.digest(state)}"


def attach_shots(request: AuthedRequest, groups: list[list[Generation]]) -> list[Shot]:
    """The project page's shots (a prompt header over its takes), kept like cards: a shot whose
    takes all came as cached cards is kept under their keys."""
    shots = [Shot(takes) for takes in groups]
    wanted = {shot.key: shot for shot in shots if shot.key}
    if not wanted:
        return shots
    found: dict[str, str] = fragments.kept(list(wanted))
    template = get_template(TAKE_GROUP).template  # type: ignore[attr-defined]
    drawn: dict[str, str] = {}
    for key, shot in wanted.items():
        if key not in found:
            filled = [take.card_html for take in shot.takes]
            for take in shot.takes:
                take.card_html = SafeString(take.card_raw)
            found[key] = drawn[key] = template.render(Context({"group": shot.takes}, autoescape=True))
            for take, html in zip(shot.takes, filled, strict=True):
                take.card_html = html
    if drawn:
        fragments.keep(drawn)
    fill = fragments.filler(request)
    for key, shot in wanted.items():
        shot.html = fill(found[key])
    return shots
