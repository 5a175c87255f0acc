"""What an answer may contain: JSON decoded with limits, and typed readers for its fields.

Every answer passes through here before the client hands anything to the studio, so a broken,
compromised or impersonated provider can make a call fail (with a `MalformedAnswer`, which the
client journals like any other failure) but cannot make a worker crash or store something
larger than its column. The limits are the studio's columns and the contract's shapes.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# An answer larger than this is refused without being read whole. A page of 50 tasks is
# about 100 KB; the largest honest answer is far below this.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# The contract's deepest object is three levels (data.list[i].motion_info).
MAX_DEPTH = 16
MAX_ID_LENGTH = 64  # Generation.unique_id
MAX_STATUS_LENGTH = 32  # Generation.provider_status
MAX_URL_LENGTH = 2000  # Generation.provider_video_url
MAX_URLS = 16
MAX_TEXT_LENGTH = 4000  # err_msg and the echoed prompt, kept verbatim up to this
MAX_SHORT_TEXT = 200  # model_code, aspect_ratio and other echoes
MAX_LIST_ITEMS = 1000
# Unix seconds from 2000 to 2100: a create_time outside is not a time.
MIN_TIME, MAX_TIME = 946_684_800, 4_102_444_800
MAX_TOKEN_LENGTH = 1024
# RFC 6750's b64token: what an HTTP header can carry without quoting or escaping.
TOKEN_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Task ids are opaque, but an id is printable and has no spaces or separators.
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]*")


class BadShape(ValueError):
    """A value that breaks the contract's shape or the studio's limits."""


def _refuse_constant(name: str) -> Any:
    raise BadShape(f"the number {name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadShape(f"the number {text[:20]} is out of range")
    return value


def decode_json(raw: bytes) -> Any:
    """The JSON value of `raw`; BadShape when it is not JSON, too deep, or holds non-finite numbers."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except BadShape:
        raise
    except RecursionError:
        raise BadShape(f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise BadShape("not JSON") from None
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadShape(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def text(
    data: dict[str, Any],
    key: str,
    *,
    limit: int = MAX_SHORT_TEXT,
    truncate: bool = False,
    numbers: bool = False,
) -> str:
    """A string field; missing or null is "". Longer than `limit`: cut when `truncate`, else refused.
    A number is read as its text only where `numbers` says the field may hold one."""
    value = data.get(key)
    if value is None:
        return ""
    readable = (str, int, float) if numbers else (str,)
    if isinstance(value, bool) or not isinstance(value, readable):
        raise BadShape(f"{key} is a {type(value).__name__}, not a string")
    value = str(value)
    if len(value) > limit:
        if not truncate:
            raise BadShape(f"{key} is {len(value)} characters long (at most {limit})")
        value = value[: limit - 1] + "…"
    return value


def identifier(value: Any, what: str = "task id") -> str:
    """A task id: a printable, space-free string of at most MAX_ID_LENGTH characters."""
    if not isinstance(value, str) or not value:
        raise BadShape(f"the {what} is missing")
    if len(value) > MAX_ID_LENGTH or not ID_RE.fullmatch(value):
        raise BadShape(f"the {what} is not an id ({len(value)} characters, not letters, digits or ._:-)")
    return value


def integer(
    data: dict[str, Any], key: str, *, low: int = 0, high: int = 2**31 - 1, default: int | None = None
) -> int | None:
    """A whole number within [low, high]; missing or null is `default`. "12" and 12.0 are read."""
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise BadShape(f"{key} is a boolean, not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise BadShape(f"{key} is not a whole number")
        value = int(value)
    elif isinstance(value, str):
        if not re.fullmatch(r"-?\d{1,19}", value.strip()):
            raise BadShape(f"{key} is not a number")
        value = int(value)
    elif not isinstance(value, int):
        raise BadShape(f"{key} is a {type(value).__name__}, not a number")
    if not low <= value <= high:
        raise BadShape(f"{key} is out of range")
    return value


def url_list(data: dict[str, Any], key: str) -> list[str]:
    """A list of URLs (a single string is read as a list of one); empty items are dropped."""
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise BadShape(f"{key} is a {type(value).__name__}, not a list")
    if len(value) > MAX_URLS:
        raise BadShape(f"{key} has {len(value)} items (at most {MAX_URLS})")
    urls = []
    for item in value:
        if not isinstance(item, str):
            raise BadShape(f"{key} holds a {type(item).__name__}, not a URL")
        if len(item) > MAX_URL_LENGTH:
            raise BadShape(f"{key} holds a URL of {len(item)} characters (at most {MAX_URL_LENGTH})")
        if item.strip():
            urls.append(item.strip())
    return urls


def object_list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A list of objects; missing or null is an empty list."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadShape(f"{key} is a {type(value).__name__}, not a list")
    if len(value) > MAX_LIST_ITEMS:
        raise BadShape(f"{key} has {len(value)} items (at most {MAX_LIST_ITEMS})")
    return value


def token(value: Any) -> str:
    """An access token that can be sent as a header as it is; refused otherwise, never repaired."""
    if not isinstance(value, str) or not value:
        raise BadShape("the access token is missing")
    if len(value) > MAX_TOKEN_LENGTH:
        raise BadShape(f"the access token is {len(value)} characters long (at most {MAX_TOKEN_LENGTH})")
    if not TOKEN_RE.fullmatch(value):
        raise BadShape("the access token holds characters a header cannot carry")
    return value
