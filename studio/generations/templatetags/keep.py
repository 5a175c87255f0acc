"""`{% keep %}`: a fragment drawn once and kept, keyed by exactly what it shows.

    {% keep "header" user.get_username nav theme %} … {% endkeep %}
    {% keep "composer" project.code quota_left live submit_token when composer_keepable %} … {% endkeep %}

The key is the fragment's name, a version of its source (and of the templates it includes),
the values listed after the name, the viewer's account and the language. Inside the fragment
`{% csrf_token %}` and `{{ here }}` (the page's path, for "come back here" fields) are drawn as
placeholders and filled per request, and `request` is None, so nothing of the request reaches
the cache unnoticed. The variables named after `live` change on every request (a fresh submit
token): they are drawn as placeholders too and filled with this request's values. After
`when`, a false value draws the fragment live instead, for a form with errors, say.
CARD_CACHE_SECONDS=0 turns keeping off, as it does for the cards.

Inside a page that is itself being kept (studio.lib.fragments.kept_page) a fragment is simply
drawn: the page's placeholders stay for the page to fill.
"""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.conf import settings
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from studio.lib import fragments

register = template.Library()


class KeepNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(
        self,
        name: str,
        vary: list[FilterExpression],
        live: list[str],
        when: FilterExpression | None,
        nodelist: NodeList,
        source: str,
    ) -> None:
        self.name = name
        self.vary = vary
        self.live = live
        self.when = when
        self.nodelist = nodelist
        self.source = source
        self._version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:  # lazily: included templates load only once the tag renders
            self._version = fragments.version([self.source, *fragments.included_sources(self.source, set())])
        return self._version

    def render(self, context: template.Context) -> str:
        if context.get(fragments.KEEPING):
            return self.nodelist.render(context)  # part of a kept page: it fills the placeholders
        request = context.get("request")
        if settings.CARD_CACHE_SECONDS <= 0 or (self.when is not None and not self.when.resolve(context)):
            with context.push(here=request.get_full_path() if request is not None else ""):
                return self.nodelist.render(context)
        state = (
            getattr(context.get("user"), "pk", None),
            [value.resolve(context) for value in self.vary],
            get_language(),
        )
        key = f"keep:{self.name}:{self.version}:{fragments.digest(state)}"
        raw: str | None = fragments.kept([key]).get(key)
        if raw is None:
            keeping: dict[str, Any] = {
                "request": None,
                "csrf_token": fragments.CSRF_PLACEHOLDER,
                "here": fragments.NEXT_PLACEHOLDER,
                fragments.KEEPING: True,
                **{name: fragments.live_placeholder(name) for name in self.live},
            }
            with context.push(keeping):
                raw = self.nodelist.render(context)
            fragments.keep({key: raw})
        live = {name: conditional_escape(str(context.get(name, ""))) for name in self.live}
        return mark_safe(fragments.filler(request, live)(raw))  # noqa: S308 - drawn with autoescape


@register.tag
def keep(parser: Parser, token: Token) -> KeepNode:
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% keep %} needs a name")
    when = None
    if len(bits) >= 3 and bits[-2] == "when":
        when = parser.compile_filter(bits[-1])
        bits = bits[:-2]
    live: list[str] = []
    if "live" in bits:
        live = bits[bits.index("live") + 1 :]
        bits = bits[: bits.index("live")]
    name = bits[0].strip("\"'")
    vary = [parser.compile_filter(bit) for bit in bits[1:]]
    # The block's own text, for its version: the parser pops tokens off the end of its list.
    before: list[Token] = list(cast("list[Token]", parser.tokens))
    nodelist = parser.parse(("endkeep",))
    consumed = before[len(parser.tokens) :]
    parser.delete_first_token()
    source = "\x1f".join(f"{t.token_type}:{t.contents}" for t in reversed(consumed))
    return KeepNode(name, vary, live, when, nodelist, source)
