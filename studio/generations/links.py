"""A generation's own URLs for its card, without a reverse() per link.

A card links to its generation a dozen times (open, video, poster, star, remix, download,
continue, add to a sequence…); drawn with `{% url %}` that was about 300 reversals for a page
of 24 cards, a third of the time it took to draw them. Each URL here is reversed once per
process (and script prefix) around a stand-in code, and every card fills in its own code.
"""

from __future__ import annotations

import functools
import uuid

from django.urls import get_script_prefix, reverse

_STAND_IN = "00000000-0000-4000-8000-000000000000"


@functools.cache
def _around_code(name: str, prefix: str, *extra: str) -> tuple[str, str]:
    """The URL named `name` split where the generation's code goes (for this script prefix)."""
    url = reverse(name, args=[_STAND_IN, *extra])
    head, found, tail = url.partition(_STAND_IN)
    assert found, url
    return head, tail


def _url(name: str, code: uuid.UUID, *extra: str) -> str:
    head, tail = _around_code(name, get_script_prefix(), *extra)
    return f"{head}{code}{tail}"


class Links:
    """`generation.links.video` and so on, read by the card templates."""

    def __init__(self, code: uuid.UUID) -> None:
        self.code = code

    @property
    def detail(self) -> str:
        return _url("generations:detail", self.code)

    @property
    def video(self) -> str:
        return _url("generations:video", self.code)

    @property
    def poster(self) -> str:
        return _url("generations:poster", self.code)

    @property
    def start_frame(self) -> str:
        return _url("generations:frame", self.code, "start")

    @property
    def star(self) -> str:
        return _url("generations:star", self.code)

    @property
    def remix(self) -> str:
        return _url("generations:remix", self.code)

    @property
    def retry(self) -> str:
        return _url("generations:retry", self.code)

    @property
    def cancel(self) -> str:
        return _url("generations:cancel", self.code)

    @property
    def delete(self) -> str:
        return _url("generations:delete", self.code)

    @property
    def continue_shot(self) -> str:
        return _url("sequences:continue", self.code)

    @property
    def add_shot(self) -> str:
        return _url("sequences:add_shot", self.code)
