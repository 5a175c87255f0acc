"""The submit body: a SubmitRequest checked against the contract and shaped as Chanjing wants it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from studio.chanjing.errors import ParamError
from studio.chanjing.types import SubmitRequest
from studio.chanjing.wire import CREATION_TYPE_VIDEO, SUBMIT_PATH

FRAME_MODES = ("both", "fields", "list")
ALLOWED_DURATIONS = (5, 10)
ALLOWED_RATIOS = ("9:16", "16:9", "1:1")
ALLOWED_CLARITIES = (720, 1080)
MAX_PROMPT_CHARS = 2000


def check_frame_mode(frame_mode: str) -> None:
    if frame_mode not in FRAME_MODES:
        raise ValueError(f"frame_mode must be one of {FRAME_MODES}, not {frame_mode!r}")


def build_submit_body(request: SubmitRequest, frame_mode: str = "both") -> dict[str, Any]:
    """The JSON body of a submit, validated against the contract before anything is sent.

    `frame_mode` picks how frames travel: "fields" (start_frame/end_frame), "list"
    (ref_img_url) or "both" (the two forms, agreeing). Absent optional fields are omitted.
    """
    check_frame_mode(frame_mode)

    def refuse(msg: str) -> ParamError:
        return ParamError(msg, endpoint=SUBMIT_PATH)

    prompt = request.prompt
    if not isinstance(prompt, str) or not prompt.strip():
        raise refuse("The prompt is empty.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise refuse(f"The prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}.")
    if isinstance(request.duration, bool) or request.duration not in ALLOWED_DURATIONS:
        raise refuse(f"The duration must be 5 or 10 seconds, not {request.duration!r}.")
    if request.aspect_ratio not in ALLOWED_RATIOS:
        raise refuse(f"The aspect ratio must be 9:16, 16:9 or 1:1, not {request.aspect_ratio!r}.")
    if isinstance(request.clarity, bool) or request.clarity not in ALLOWED_CLARITIES:
        raise refuse(f"The clarity must be 720 or 1080, not {request.clarity!r}.")
    if not isinstance(request.model_code, str) or not request.model_code.strip():
        raise refuse("The model code is empty.")
    if request.end_frame_url and not request.start_frame_url:
        raise refuse("An end frame needs a start frame.")
    for label, url in (
        ("start frame", request.start_frame_url),
        ("end frame", request.end_frame_url),
        ("callback", request.callback_url),
    ):
        if url is not None and not _is_http_url(url):
            raise refuse(f"The {label} must be an http(s) URL.")

    body: dict[str, Any] = {
        "ref_prompt": prompt,
        "creation_type": CREATION_TYPE_VIDEO,
        "model_code": request.model_code,
        "video_duration": int(request.duration),
        "aspect_ratio": request.aspect_ratio,
        "clarity": int(request.clarity),
    }
    frames = [url for url in (request.start_frame_url, request.end_frame_url) if url]
    if frames and frame_mode in ("both", "fields"):
        body["start_frame"] = frames[0]
        if len(frames) == 2:
            body["end_frame"] = frames[1]
    if frames and frame_mode in ("both", "list"):
        body["ref_img_url"] = frames
    if request.callback_url:
        body["callback"] = request.callback_url
    return body


def _is_http_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
