"""HTML drawn once and kept in the cache, with the request's own values filled in on the way out.

The cards (studio.generations.cards) and the `{% keep %}` fragments (the site header, the
composer) share these rules:

  - A kept fragment's key names everything it shows. Nothing is ever deleted: a change makes a
    new key, the next page shows it at once, and the old entry ages out.
  - The key carries a version of the templates that draw it (their source and the sources of
    the templates they include, and the icon sprite's URL), so a deploy that changes the HTML
    changes every key.
  - Per-request values never enter the cache. The CSRF token and the "come back here" path are
    drawn as placeholders that escaped text cannot contain (`<!--…-->`) and are filled in by
    filler(), and so is any other per-request value a fragment names (live_placeholder()).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from studio.generations.templatetags.studio_extras import _sprite_url

logger = logging.getLogger(__name__)

CSRF_PLACEHOLDER = mark_safe("<!--csrf-->")
NEXT_PLACEHOLDER = mark_safe("<!--next-->")
# Set in the context while HTML is drawn to be kept: nested fragments leave their placeholders.
KEEPING = "_keeping"

# Included and extended templates (and partials of them) are part of what a template draws.
_INCLUDE = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"'#]+)(?:#[^"']*)?["']""")


def live_placeholder(name: str) -> SafeString:
    """Where a per-request value (a fresh submit token) goes in kept HTML."""
    return mark_safe(f"<!--live:{name}-->")


def template_sources(template_name: str, seen: set[str]) -> list[str]:
    """The template's source and those of the templates it includes by name, depth first."""
    if template_name in seen:
        return []
    seen.add(template_name)
    source: str = get_template(template_name).template.source  # type: ignore[attr-defined]
    return [source, *included_sources(source, seen)]


def included_sources(source: str, seen: set[str]) -> list[str]:
    return [text for name in _INCLUDE.findall(source) for text in template_sources(name, seen)]


@functools.cache
def template_version(template_name: str) -> str:
    """A template's version: changes with it, the templates it extends or includes (new card
    actions), and the icons."""
    return version(template_sources(template_name, set()))


def version(sources: Iterable[str]) -> str:
    """A short digest of template sources and the icon sprite: changes with any of them."""
    text = "\x1e".join(sources)
    return hashlib.blake2b(f"{text}|{_sprite_url()}".encode(), digest_size=6).hexdigest()


def digest(state: object) -> str:
    return hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()


def filler(request: HttpRequest | None, live: Mapping[str, str] | None = None) -> Callable[[str], SafeString]:
    """Fills the placeholders of kept HTML with this request's CSRF token and path, and the
    `live` values (already escaped) for their live_placeholder()s."""
    if request is None:
        return SafeString
    values: dict[str, str] | None = request.__dict__.get("_fragment_values")
    if values is None:  # one CSRF token a page, however many fragments and cards it fills
        values = {
            CSRF_PLACEHOLDER: escape(get_token(request)),
            NEXT_PLACEHOLDER: escape(request.get_full_path()),
        }
        request.__dict__["_fragment_values"] = values
    pairs = [*values.items(), *((live_placeholder(name), str(value)) for name, value in (live or {}).items())]

    def fill(html: str) -> SafeString:
        for placeholder, value in pairs:
            html = html.replace(placeholder, value)
        return SafeString(html)

    return fill


# The cache is a help, never a dependency: with Redis down or slow, pages are drawn as if nothing
# were kept, and the outage is logged once a minute rather than on every request.
_last_complaint = float("-inf")


def _complain(error: Exception) -> None:
    global _last_complaint
    now = time.monotonic()
    if now - _last_complaint >= 60:
        _last_complaint = now
        logger.warning("cache unavailable, drawing pages without it: %s", type(error).__name__)


def kept(keys: list[str]) -> dict[str, Any]:
    """What the cache holds for `keys`; nothing when it cannot be reached."""
    try:
        found: dict[str, Any] = cache.get_many(keys)
    except Exception as error:  # noqa: BLE001 - any backend's failure means "not kept"
        _complain(error)
        return {}
    return found


def keep(entries: Mapping[str, Any]) -> None:
    """Keep `entries` for CARD_CACHE_SECONDS; a cache that cannot be reached keeps nothing."""
    try:
        cache.set_many(dict(entries), timeout=settings.CARD_CACHE_SECONDS)
    except Exception as error:  # noqa: BLE001
        _complain(error)
