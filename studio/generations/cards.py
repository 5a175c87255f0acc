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
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language

from studio.generations.models import Generation, GenerationQuerySet
from studio.generations.templatetags.studio_extras import _sprite_url
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

CSRF_PLACEHOLDER = mark_safe("<!--csrf-->")
NEXT_PLACEHOLDER = mark_safe("<!--next-->")

GALLERY_ITEM = "generations/gallery_item.html"
PROJECT_CARD = "generations/generation_card.html"
TAKE_GROUP = "generations/take_group.html"


def card_state(generation: Generation) -> tuple[object, ...]:
    """Every field of a generation that a card shows; a change to any of them is a new card."""
    return (
        generation.status,
        generation.provider_status,
        generation.prompt,
        generation.aspect_ratio,
        generation.clarity,
        generation.duration,
        generation.video_seconds,
        generation.video.name,
        generation.poster.name,
        generation.start_frame.name,
        generation.is_sandbox,
        generation.take_group,
        generation.take_index,
        generation.created_at,
        generation.finished_at,
        generation.error_kind,
        generation.error_code,
        generation.error_message,
        generation.error_raw,
        generation.error_params,
        generation.workspace.name,
        generation.created_by.get_username() if generation.created_by else "",
    )


_INCLUDE = re.compile(r"""{%\s*include\s+["']([^"']+)["']""")


def _template_sources(template_name: str, seen: set[str]) -> list[str]:
    """The template's source and those of the templates it includes by name, depth first."""
    if template_name in seen:
        return []
    seen.add(template_name)
    source: str = get_template(template_name).template.source  # type: ignore[attr-defined]
    included = [_template_sources(name, seen) for name in _INCLUDE.findall(source)]
    return [source, *(text for sources in included for text in sources)]


@functools.cache
def _template_version(template_name: str) -> str:
    """Changes with the card template, any template it includes (new card actions), and the icons."""
    sources = "\x1e".join(_template_sources(template_name, set()))
    return hashlib.blake2b(f"{sources}|{_sprite_url()}".encode(), digest_size=6).hexdigest()


def card_key(template_name: str, generation: Generation, viewer: dict[str, Any]) -> str:
    state = "\x1f".join(map(str, (*card_state(generation), *viewer.values(), get_language())))
    digest = hashlib.blake2b(state.encode(), digest_size=16).hexdigest()
    return f"card:{_template_version(template_name)}:{generation.code}:{digest}"


def for_cards(generations: GenerationQuerySet) -> GenerationQuerySet:
    """Generations with what their cards show and nothing more (see CARD_FIELDS)."""
    return generations.select_related("workspace", "created_by").only(*CARD_FIELDS)


def cacheable(generation: Generation) -> bool:
    return generation.is_terminal


def attach_cards(
    request: AuthedRequest,
    template_name: str,
    generations: Iterable[Generation],
    context: dict[str, Any],
    *,
    skip: Sequence[Generation] = (),
) -> None:
    """Give each finished generation its card as `card_html`, from the cache or drawn and kept.

    One cache round trip to read the whole page and one to store what was missing. `context`
    holds the viewer's part of the key (star, role, scope) besides what the template needs.
    """
    wanted: dict[str, Generation] = {}
    for generation in generations:
        if cacheable(generation) and generation not in skip:
            viewer = {
                "starred": bool(getattr(generation, "is_starred", False)),
                "can_write": bool(getattr(context.get("membership"), "can_write", False)),
                "scope": context.get("scope", ""),
            }
            wanted[card_key(template_name, generation, viewer)] = generation
    if not wanted:
        return
    found: dict[str, str] = cache.get_many(list(wanted))
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
                    "csrf_token": CSRF_PLACEHOLDER,
                    "next": NEXT_PLACEHOLDER,
                },
                autoescape=True,
            )
            found[key] = drawn[key] = template.render(card_context)
    if drawn:
        cache.set_many(drawn, timeout=settings.CARD_CACHE_SECONDS)
    fill = _filler(request)
    for key, generation in wanted.items():
        generation.card_key = key  # type: ignore[attr-defined]
        generation.card_raw = found[key]  # type: ignore[attr-defined]
        generation.card_html = fill(found[key])  # type: ignore[attr-defined]


def _filler(request: AuthedRequest) -> Callable[[str], SafeString]:
    csrf = escape(get_token(request))
    back = escape(request.get_full_path())

    def fill(html: str) -> SafeString:
        return SafeString(html.replace(CSRF_PLACEHOLDER, csrf).replace(NEXT_PLACEHOLDER, back))

    return fill


@dataclass
class Shot:
    """Takes made together, and their whole section when it came from the cache."""

    takes: list[Generation]
    html: SafeString | None = None


def attach_shots(request: AuthedRequest, groups: list[list[Generation]]) -> list[Shot]:
    """The project page's shots (a prompt header over its takes), kept like cards: a shot whose
    takes all came as cached cards is kept under their keys plus its "3 hours ago"."""
    shots = [Shot(takes) for takes in groups]
    wanted: dict[str, Shot] = {}
    for shot in shots:
        keys = [getattr(take, "card_key", None) for take in shot.takes]
        if all(keys):
            first = shot.takes[0]
            state = repr((keys, timesince(first.created_at), get_language()))
            digest = hashlib.blake2b(state.encode(), digest_size=16).hexdigest()
            wanted[f"shot:{_template_version(TAKE_GROUP)}:{first.code}:{digest}"] = shot
    if not wanted:
        return shots
    found: dict[str, str] = cache.get_many(list(wanted))
    template = get_template(TAKE_GROUP).template  # type: ignore[attr-defined]
    drawn: dict[str, str] = {}
    for key, shot in wanted.items():
        if key not in found:
            filled = [take.card_html for take in shot.takes]  # type: ignore[attr-defined]
            for take in shot.takes:
                take.card_html = SafeString(take.card_raw)  # type: ignore[attr-defined]
            found[key] = drawn[key] = template.render(Context({"group": shot.takes}, autoescape=True))
            for take, html in zip(shot.takes, filled, strict=True):
                take.card_html = html  # type: ignore[attr-defined]
    if drawn:
        cache.set_many(drawn, timeout=settings.CARD_CACHE_SECONDS)
    fill = _filler(request)
    for key, shot in wanted.items():
        shot.html = fill(found[key])
    return shots
