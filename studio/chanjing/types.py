"""Plain values exchanged with the Chanjing client. Unknown fields from the API are ignored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, overload

from studio.chanjing import parse

DEFAULT_MODEL_CODE = "Doubao-Seedance-1.0-lite-i2v"

QUEUED = "Queued"
READY = "Ready"
GENERATING = "Generating"
SUCCESS = "Success"
ERROR = "Error"
FAIL = "Fail"
CANCELLED = "Cancelled"
KNOWN_STATUSES = frozenset({QUEUED, READY, GENERATING, SUCCESS, ERROR, FAIL, CANCELLED})
FAILED_STATUSES = frozenset({ERROR, FAIL, CANCELLED})
TERMINAL_STATUSES = FAILED_STATUSES | {SUCCESS}

FILE_PROCESSING = 0
FILE_READY = 1
FILE_REJECTED = 98
FILE_DELETED = frozenset({99, 100})


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@overload
def as_int(value: Any, default: int) -> int: ...
@overload
def as_int(value: Any, default: None) -> int | None: ...
def as_int(value: Any, default: int | None) -> int | None:
    """An integer from an answer's field, or `default` when it is missing or not a number."""
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


@dataclass(frozen=True)
class SubmitRequest:
    prompt: str
    duration: int
    aspect_ratio: str = "9:16"
    clarity: int = 1080
    start_frame_url: str | None = None
    end_frame_url: str | None = None
    model_code: str = DEFAULT_MODEL_CODE
    callback_url: str | None = None


@dataclass(frozen=True)
class TaskInfo:
    unique_id: str
    status: str  # the raw progress_desc, kept verbatim even when unknown
    err_msg: str = ""
    output_urls: list[str] = field(default_factory=list)
    create_time: int | None = None
    model_code: str = ""
    aspect_ratio: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> TaskInfo:
        """The task object of an answer, every field checked; `parse.BadShape` when one is wrong."""
        if not isinstance(data, dict):
            raise parse.BadShape(f"the task is a {type(data).__name__}, not an object")
        motion = data.get("motion_info")
        if motion is not None and not isinstance(motion, dict):
            raise parse.BadShape("motion_info is not an object")
        if motion:
            parse.text(motion, "ref_prompt", limit=parse.MAX_TEXT_LENGTH)
            parse.integer(motion, "video_duration", high=3600)
        parse.url_list(data, "ref_img_url")
        return cls(
            unique_id=parse.identifier(data.get("unique_id")),
            status=parse.text(data, "progress_desc", limit=parse.MAX_STATUS_LENGTH),
            err_msg=parse.text(data, "err_msg", limit=parse.MAX_TEXT_LENGTH, truncate=True, numbers=True),
            output_urls=parse.url_list(data, "output_url"),
            create_time=parse.integer(data, "create_time", low=parse.MIN_TIME, high=parse.MAX_TIME),
            model_code=parse.text(data, "model_code", numbers=True),
            aspect_ratio=parse.text(data, "aspect_ratio", numbers=True),
            raw=dict(data),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCESS

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def is_known_status(self) -> bool:
        return self.status in KNOWN_STATUSES

    @property
    def video_url(self) -> str | None:
        return self.output_urls[0] if self.succeeded and self.output_urls else None

    @property
    def ref_prompt(self) -> str:
        """The prompt Chanjing echoes back; what a lost submit is reconciled by."""
        motion = self.raw.get("motion_info")
        return _str(motion.get("ref_prompt")) if isinstance(motion, dict) else ""


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskInfo]
    total: int
    page: int
    total_page: int


@dataclass(frozen=True)
class UploadTicket:
    sign_url: str = field(repr=False)  # a presigned URL is a credential for its lifetime
    mime_type: str
    file_id: str
    full_path: str


@dataclass(frozen=True)
class FileInfo:
    file_id: str
    status: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CallRecord:
    endpoint: str
    http_status: int | None
    code: int | None
    msg: str
    trace_id: str
    latency_ms: int
    ok: bool
    attempt: int
