"""The stylesheet's colour tokens meet WCAG AA in both themes: text 4.5:1 on every surface it is
used on, the primary button's label on its colour, and input borders 3:1 on the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "studio.css").read_text()

TEXT = ["--fg", "--muted", "--faint", "--accent-text", "--ok", "--warn", "--bad"]
SURFACES = ["--bg", "--surface", "--surface-2"]
# Status colours are also used as text on their own soft backgrounds (badges, notices).
PAIRS = [
    ("--accent-fg", "--accent"),
    ("--ok", "--ok-soft"),
    ("--bad", "--bad-soft"),
    ("--warn", "--warn-soft"),
    ("--fg", "--accent-soft"),
    ("--accent-text", "--accent-soft"),
    ("--fg", "--warn-soft"),
    ("--fg", "--bad-soft"),
    ("--fg", "--surface-3"),
    ("--muted", "--surface-3"),
    ("--muted", "--accent-soft"),
]


def tokens(block_start: str) -> dict[str, str]:
    block = CSS[CSS.index(block_start) :]
    block = block[: block.index("}")]
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


THEMES = {"dark": tokens(":root {"), "light": tokens("html[data-theme=light] {")}


def test_the_system_theme_repeats_the_light_tokens():
    assert tokens("html[data-theme=system] {") == THEMES["light"]


@pytest.mark.parametrize("theme", THEMES)
def test_text_colours_meet_aa_on_every_surface(theme):
    colours = THEMES[theme]
    low = {
        f"{text} on {surface}": round(contrast(colours[text], colours[surface]), 2)
        for text in TEXT
        for surface in SURFACES
        if contrast(colours[text], colours[surface]) < 4.5
    }
    low |= {
        f"{text} on {surface}": round(contrast(colours[text], colours[surface]), 2)
        for text, surface in PAIRS
        if contrast(colours[text], colours[surface]) < 4.5
    }
    assert low == {}


@pytest.mark.parametrize("theme", THEMES)
def test_field_borders_are_visible(theme):
    colours = THEMES[theme]
    assert contrast(colours["--field-line"], colours["--bg"]) >= 3
    assert contrast(colours["--field-line"], colours["--surface"]) >= 3
