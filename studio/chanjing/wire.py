"""The wire contract: endpoint paths, result codes, the JSON envelope, and the typed error each
failed answer becomes. Pure functions; the request loop in `transport` applies them."""

from __future__ import annotations

from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from studio.chanjing.errors import (
    AmbiguousSubmit,
    AuthError,
    BadRequest,
    ChanjingError,
    ParamError,
    RateLimited,
    ServerError,
    TransportError,
    mentions_unknown_model,
)
from studio.chanjing.parse import BadShape, decode_json

TOKEN_PATH = "/open/v1/access_token"
SUBMIT_PATH = "/open/v1/ai_creation/task/submit"
TASK_PATH = "/open/v1/ai_creation/task"
TASK_PAGE_PATH = "/open/v1/ai_creation/task/page"
UPLOAD_URL_PATH = "/open/v1/common/create_upload_url"
FILE_DETAIL_PATH = "/open/v1/common/file_detail"
# Journal names for the two calls that go to other hosts (presigned upload, video download).
PUT_ENDPOINT = "upload:put"
DOWNLOAD_ENDPOINT = "download"

CREATION_TYPE_VIDEO = 4

CODE_OK = 0
CODE_BAD_REQUEST = 400
CODE_TOKEN_INVALID = 10400
CODE_PARAM = 40000
CODE_QPS = 40001
CODE_INTERNAL = 50000


NOT_AN_ENVELOPE = "not the JSON envelope"


def parse_envelope(raw: bytes) -> dict[str, Any]:
    """The `{code, msg, data, trace_id}` object; BadShape saying why when the body is anything
    else (not JSON, not an envelope, too deep, a number that is not finite)."""
    try:
        envelope = decode_json(raw)
    except BadShape as shape:
        raise BadShape(NOT_AN_ENVELOPE if str(shape) == "not JSON" else str(shape)) from None
    if not isinstance(envelope, dict):
        raise BadShape(NOT_AN_ENVELOPE)
    code = envelope.get("code")
    if isinstance(code, bool) or not isinstance(code, int) or not -(2**31) <= code < 2**31:
        raise BadShape(NOT_AN_ENVELOPE)
    return envelope


def describe_body(raw: bytes, shape: BadShape) -> str:
    """What a body that is not a usable envelope looks like, for the journal and the error."""
    if raw.lstrip()[:1] == b"<":
        return "an HTML page"
    if str(shape) == NOT_AN_ENVELOPE:
        return "a body that is not the JSON envelope"
    return f"a malformed answer: {shape}"


def business_error(path: str, code: int, msg: str, trace_id: str, status: int) -> ChanjingError:
    """The error for an envelope whose code is not CODE_OK."""
    common: dict[str, Any] = {"code": code, "trace_id": trace_id, "http_status": status, "endpoint": path}
    if path == TOKEN_PATH and code in (CODE_BAD_REQUEST, CODE_TOKEN_INVALID, CODE_PARAM):
        return AuthError(f"Chanjing refused the app credentials: {msg}", **common)
    if code == CODE_TOKEN_INVALID:
        return AuthError(msg or "The access token was refused.", **common)
    if code == CODE_QPS:
        return RateLimited(msg or "Chanjing's rate limit was exceeded.", **common)
    if code == CODE_BAD_REQUEST:
        return BadRequest(msg or "Chanjing says the request is malformed.", **common)
    if code == CODE_PARAM:
        return ParamError(msg or "Chanjing refused a parameter.", **common)
    if mentions_unknown_model(msg):
        return ServerError(msg, retryable=False, **common)
    if code == CODE_INTERNAL:
        return ServerError(msg or "Chanjing had an internal error.", **common)
    return ServerError(msg or f"Chanjing answered the undocumented code {code}.", **common)


def http_error(path: str, msg: str, status: int) -> ChanjingError:
    """The error for an answer that carried no envelope."""
    if status == 429:
        return RateLimited(msg, http_status=status, endpoint=path)
    if status == 400:
        return BadRequest(msg, http_status=status, endpoint=path)
    # 2xx with a broken body, 5xx, and 408 are worth another try; other 4xx are not.
    retryable = status >= 500 or status < 400 or status == 408
    return TransportError(msg, http_status=status, endpoint=path, retryable=retryable)


def ambiguous_submit(path: str, msg: str, status: int | None, trace_id: str) -> AmbiguousSubmit:
    return AmbiguousSubmit(
        f"The submit may have reached Chanjing but its answer was lost ({msg}); "
        "look for the task in the task list before submitting again.",
        http_status=status,
        trace_id=trace_id,
        endpoint=path,
    )


def provably_not_sent(exc: requests.RequestException) -> bool:
    """True only when the connection was never made, so the server cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError)
    return False
