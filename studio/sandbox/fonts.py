"""A font that can draw the prompt, Chinese included, when the machine has one."""

from __future__ import annotations

import glob
from functools import cache

from PIL import ImageFont

_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_PATTERNS = (
    "/usr/share/fonts/**/*CJK*.tt[cf]",
    "/usr/share/fonts/**/*CJK*.otf",
    "/usr/share/fonts/**/wqy*.tt[cf]",
    "/usr/share/fonts/**/*[Hh]ei*.tt[cf]",
    "/usr/share/fonts/**/*SC*.otf",
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def cjk_font_path() -> str | None:
    for path in _CANDIDATES:
        if glob.glob(path):
            return path
    for pattern in _PATTERNS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


@cache
def font(size: int) -> Font:
    path = cjk_font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)
