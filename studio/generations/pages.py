"""Whole pages drawn once and kept: the galleries and the project page, for a viewer who comes back.

A page is kept under a key made of everything it shows: its cards' keys (each names the card's
fields, the viewer's star and role, and the language; studio.generations.cards), what the view
adds (`state`: the filter bar's choices, the quota left, the saved prompts…), the page's full
path, and the frame around it (chrome_state(): the person, their workspaces, the theme, the
language). Nothing is deleted: any change makes a new key, so the next visit shows it.

Per-request values stay out: the CSRF token and the path are placeholders, and so are the
`live` values (a fresh submit token), filled in on the way out (studio.lib.fragments). A page
with a card in progress (`state` is None), a page with messages to show, and htmx requests are
drawn as usual.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from studio.lib import fragments
from studio.lib.http import AuthedRequest
from studio.workspaces.context_processors import chrome_state


def kept_page(
    request: AuthedRequest,
    template_name: str,
    context: dict[str, Any],
    *,
    state: object | None,
    prepare: Callable[[], object],
    params: Collection[str] = (),
    live: dict[str, str] | None = None,
) -> HttpResponse:
    """The page from the cache, or drawn (after `prepare()`, which readies its cards) and kept.

    Only addresses whose query names nothing but `params` are kept: made-up parameters must not
    fill the cache with copies of one page.
    """
    live = live or {}
    if (
        state is None
        or settings.CARD_CACHE_SECONDS <= 0
        or request.method != "GET"
        or request.htmx
        or not set(request.GET).issubset(params)
        or len(get_messages(request))
    ):
        prepare()
        return render(request, template_name, {**context, **live})
    page = (state, chrome_state(request), context.get("nav"), request.get_full_path(), get_language())
    key = f"page:{fragments.template_version(template_name)}:{fragments.digest(page)}"
    packed: bytes | None = fragments.kept([key]).get(key)
    raw = None if packed is None else zlib.decompress(packed).decode()
    if raw is None:
        prepare()
        keeping = {
            "csrf_token": fragments.CSRF_PLACEHOLDER,
            "here": fragments.NEXT_PLACEHOLDER,
            fragments.KEEPING: True,
            **{name: fragments.live_placeholder(name) for name in live},
        }
        raw = render_to_string(template_name, {**context, **keeping}, request=request)
        # Kept compressed: a page is 70 to 90 KB of HTML and about a tenth of that packed, which
        # matters to a per-process memory cache; unpacking costs about 0.1 ms.
        fragments.keep({key: zlib.compress(raw.encode(), 1)})
    values = {name: conditional_escape(value) for name, value in live.items()}
    return HttpResponse(fragments.filler(request, values)(raw))
