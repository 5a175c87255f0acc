"""The submit and task-list bodies, checked field by field as the contract's tables state."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from studio.sandbox.api import BAD_PARAM, INTERNAL, ApiError

PROMPT_MAX_CHARS = 2000
DURATIONS = (5, 10)
ASPECT_RATIOS = ("9:16", "16:9", "1:1")
CLARITIES = (720, 1080)
PAGE_SIZE_MAX = 50
VIDEO_TYPE = 4
MARKERS = ("fail", "error", "slow", "40001", "50000")
_MARKER = re.compile(r"\[(" + "|".join(MARKERS) + r")\]", re.IGNORECASE)


def bad(field: str, problem: str) -> ApiError:
    return ApiError(BAD_PARAM, f"参数错误: {field} {problem}")


def is_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _int(body: dict[str, Any], field: str, choices: tuple[int, ...], default: int | None = None) -> int:
    value = body.get(field)
    if value is None and default is not None:
        return default
    if value is None:
        raise bad(field, "不能为空")
    if isinstance(value, bool) or not isinstance(value, int) or value not in choices:
        raise bad(field, "仅支持 " + " 或 ".join(str(choice) for choice in choices))
    return value


def _optional_url(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value in (None, ""):
        return ""
    if not is_url(value):
        raise bad(field, "必须是 http(s) 图片地址")
    return str(value)


def _prompt(body: dict[str, Any]) -> str:
    prompt = body.get("ref_prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise bad("ref_prompt", "不能为空")
    if len(prompt) > PROMPT_MAX_CHARS:
        raise bad("ref_prompt", f"长度不能超过 {PROMPT_MAX_CHARS} 个字符")
    return prompt


def _frames(body: dict[str, Any]) -> tuple[str, str]:
    """Start and end frame from `start_frame`/`end_frame`, `ref_img_url`, or both when they agree."""
    start, end = _optional_url(body, "start_frame"), _optional_url(body, "end_frame")
    if end and not start:
        raise bad("end_frame", "需要同时提供 start_frame")
    listed = body.get("ref_img_url")
    if listed in (None, []):
        return start, end
    if not isinstance(listed, list) or len(listed) > 2 or not all(is_url(url) for url in listed):
        raise bad("ref_img_url", "必须是 1 到 2 个 http(s) 图片地址的列表")
    if start and listed != [url for url in (start, end) if url]:
        raise bad("ref_img_url", "与 start_frame/end_frame 不一致")
    return listed[0], listed[1] if len(listed) == 2 else ""


def clean_submit(body: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a valid submit, or ApiError with the code the real service would answer."""
    prompt = _prompt(body)
    _int(body, "creation_type", (VIDEO_TYPE,))
    model_code = body.get("model_code")
    if not isinstance(model_code, str) or not model_code:
        raise bad("model_code", "不能为空")
    duration = _int(body, "video_duration", DURATIONS)
    aspect_ratio = body.get("aspect_ratio") or "9:16"
    if aspect_ratio not in ASPECT_RATIOS:
        raise bad("aspect_ratio", "仅支持 " + "、".join(ASPECT_RATIOS))
    clarity = _int(body, "clarity", CLARITIES, default=1080)
    start, end = _frames(body)
    callback = _optional_url(body, "callback")
    if model_code != settings.CHANJING_MODEL_CODE:
        raise ApiError(INTERNAL, "模型不存在")
    return {
        "ref_prompt": prompt,
        "creation_type": VIDEO_TYPE,
        "model_code": model_code,
        "video_duration": duration,
        "aspect_ratio": aspect_ratio,
        "clarity": clarity,
        "start_frame": start,
        "end_frame": end,
        "callback": callback,
    }


def prompt_markers(prompt: str) -> set[str]:
    return {marker.lower() for marker in _MARKER.findall(prompt)}


def clean_page(body: dict[str, Any]) -> dict[str, Any]:
    unique_ids = body.get("unique_ids") or []
    if not isinstance(unique_ids, list) or not all(isinstance(uid, str) for uid in unique_ids):
        raise bad("unique_ids", "必须是字符串列表")
    if len(unique_ids) > PAGE_SIZE_MAX:
        raise bad("unique_ids", f"最多 {PAGE_SIZE_MAX} 个")
    task_type = body.get("type")
    if isinstance(task_type, bool) or not isinstance(task_type, int):
        raise bad("type", "不能为空")
    page = body.get("page", 1)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise bad("page", "必须是正整数")
    page_size = body.get("page_size", PAGE_SIZE_MAX)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= PAGE_SIZE_MAX:
        raise bad("page_size", f"必须在 1 到 {PAGE_SIZE_MAX} 之间")
    is_success = body.get("is_success")
    if is_success is None:
        is_success = False
    if not isinstance(is_success, bool):
        raise bad("is_success", "必须是布尔值")
    return {
        "unique_ids": unique_ids,
        "type": task_type,
        "page": page,
        "page_size": page_size,
        "is_success": is_success,
    }
