"""The Chanjing Open API client: plain Python, no Django.

It speaks the protocol in docs `chanjing-api.md`, retries what is worth retrying and raises
the typed errors of `studio.chanjing.errors`. The token store, the rate limiter and the call
journal are injected, so the same code runs in unit tests, in the poller and in web workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

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
    UploadRejected,
    UploadTimeout,
    mentions_unknown_model,
)
from studio.chanjing.types import (
    FILE_DELETED,
    FILE_READY,
    FILE_REJECTED,
    CallRecord,
    FileInfo,
    SubmitRequest,
    TaskInfo,
    TaskPage,
    UploadTicket,
)

logger = logging.getLogger(__name__)

TOKEN_PATH = "/open/v1/access_token"
SUBMIT_PATH = "/open/v1/ai_creation/task/submit"
TASK_PATH = "/open/v1/ai_creation/task"
TASK_PAGE_PATH = "/open/v1/ai_creation/task/page"
UPLOAD_URL_PATH = "/open/v1/common/create_upload_url"
FILE_DETAIL_PATH = "/open/v1/common/file_detail"
PUT_ENDPOINT = "upload:put"
DOWNLOAD_ENDPOINT = "download"

CREATION_TYPE_VIDEO = 4
FRAME_MODES = ("both", "fields", "list")
ALLOWED_DURATIONS = (5, 10)
ALLOWED_RATIOS = ("9:16", "16:9", "1:1")
ALLOWED_CLARITIES = (720, 1080)
MAX_PROMPT_CHARS = 2000
MAX_TASK_IDS = 50

CODE_OK = 0
CODE_BAD_REQUEST = 400
CODE_TOKEN_INVALID = 10400
CODE_PARAM = 40000
CODE_QPS = 40001
CODE_INTERNAL = 50000

Journal = Callable[[CallRecord, dict], None]
TokenFetch = Callable[[], tuple[str, int]]


class TokenStore(Protocol):
    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        """Return the deployment's token, calling `fetch` only when it must be replaced.

        `force_refresh_of` is a token the server just rejected: refresh unless the stored
        token is already a different one (someone else refreshed meanwhile).
        """
        ...


class RateLimiter(Protocol):
    def acquire(self) -> None:
        """Block until this process may make one more call."""
        ...


class MemoryTokenStore:
    """A token store for one process (tests, scripts). The deployment uses DatabaseTokenStore."""

    def __init__(self, *, refresh_margin: float = 300, clock: Callable[[], float] = time.time) -> None:
        self.refresh_margin = refresh_margin
        self.clock = clock
        self.token = ""
        self.expires_at = 0
        self.fetch_count = 0
        self._lock = threading.Lock()

    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        with self._lock:
            fresh = self.token and self.expires_at - self.refresh_margin > self.clock()
            if fresh and (force_refresh_of is None or force_refresh_of != self.token):
                return self.token
            self.token, self.expires_at = fetch()
            self.fetch_count += 1
            return self.token


def build_submit_body(request: SubmitRequest, frame_mode: str = "both") -> dict:
    """The JSON body of a submit, validated against the contract before anything is sent.

    `frame_mode` picks how frames travel: "fields" (start_frame/end_frame), "list"
    (ref_img_url) or "both" (the two forms, agreeing). Absent optional fields are omitted.
    """
    if frame_mode not in FRAME_MODES:
        raise ValueError(f"frame_mode must be one of {FRAME_MODES}, not {frame_mode!r}")

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


_QUERY = re.compile(r"\?[^\s'\"<>)]*")


class _Answer:
    """What one HTTP attempt produced, before it is judged."""

    def __init__(self, http_status: int | None = None, envelope: dict | None = None) -> None:
        self.http_status = http_status
        self.envelope = envelope


class ChanjingClient:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        secret_key: str,
        *,
        token_store: TokenStore,
        rate_limiter: RateLimiter | None = None,
        journal: Journal | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 20.0,
        max_retries: int = 3,
        frame_mode: str = "both",
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if frame_mode not in FRAME_MODES:
            raise ValueError(f"frame_mode must be one of {FRAME_MODES}, not {frame_mode!r}")
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret_key = secret_key
        self.token_store = token_store
        self.rate_limiter = rate_limiter
        self.journal = journal
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max(0, int(max_retries))
        self.frame_mode = frame_mode
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.session = session or requests.Session()
        self._secrets: set[str] = {secret_key} if secret_key else set()
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"<ChanjingClient {self.base_url} app_id={self.app_id}>"

    @property
    def last_call(self) -> CallRecord | None:
        """The record of this thread's latest attempt, e.g. to keep a submit's trace_id."""
        return getattr(self._local, "last_call", None)

    # --- Public API ---------------------------------------------------------------------------

    def access_token(self) -> str:
        return self.token_store.get_token(self._fetch_token)

    def submit(self, req: SubmitRequest) -> str:
        """Submit a video task and return its unique_id.

        Raises AmbiguousSubmit when the request may have reached Chanjing but the answer was
        lost; the caller must look for the task in the task list before submitting again.
        """
        body = build_submit_body(req, self.frame_mode)
        data = self._call("POST", SUBMIT_PATH, json_body=body, submit=True)
        if not isinstance(data, str) or not data:
            raise AmbiguousSubmit(
                "The submit answer has no task id; check the task list before resubmitting.",
                endpoint=SUBMIT_PATH,
                trace_id=self.last_call.trace_id if self.last_call else "",
            )
        return data

    def task(self, unique_id: str) -> TaskInfo:
        data = self._call("GET", TASK_PATH, params={"unique_id": unique_id})
        if not isinstance(data, dict):
            raise self._broken(TASK_PATH, "The task answer has no task object.")
        return TaskInfo.from_api(data)

    def tasks(
        self, unique_ids: list[str], *, page: int = 1, page_size: int = 50, is_success: bool = False
    ) -> TaskPage:
        """One page of video tasks; `unique_ids` narrows it (an empty list lists recent tasks)."""
        if len(unique_ids) > MAX_TASK_IDS:
            raise ValueError(f"At most {MAX_TASK_IDS} task ids per call, got {len(unique_ids)}")
        if not 1 <= page_size <= MAX_TASK_IDS:
            raise ValueError(f"page_size must be between 1 and {MAX_TASK_IDS}, not {page_size}")
        if page < 1:
            raise ValueError(f"page must be 1 or more, not {page}")
        body: dict[str, Any] = {
            "type": CREATION_TYPE_VIDEO,
            "page": page,
            "page_size": page_size,
            "is_success": is_success,
        }
        if unique_ids:
            body["unique_ids"] = list(unique_ids)
        data = self._call("POST", TASK_PAGE_PATH, json_body=body)
        if not isinstance(data, dict):
            raise self._broken(TASK_PAGE_PATH, "The task list answer has no data object.")
        items = [TaskInfo.from_api(item) for item in data.get("list") or [] if isinstance(item, dict)]
        page_info = data.get("page_info") if isinstance(data.get("page_info"), dict) else {}
        return TaskPage(
            items=items,
            total=_as_int(data.get("total", page_info.get("total_count")), len(items)),
            page=_as_int(page_info.get("page"), page),
            total_page=_as_int(page_info.get("total_page"), 1),
        )

    def create_upload_url(self, name: str) -> UploadTicket:
        data = self._call("GET", UPLOAD_URL_PATH, params={"service": "ai_creation", "name": name})
        fields = ("sign_url", "mime_type", "file_id", "full_path")
        if not isinstance(data, dict) or any(not data.get(key) for key in fields):
            raise self._broken(UPLOAD_URL_PATH, "The upload ticket is incomplete.")
        return UploadTicket(
            sign_url=str(data["sign_url"]),
            mime_type=str(data["mime_type"]),
            file_id=str(data["file_id"]),
            full_path=str(data["full_path"]),
        )

    def put_file(self, ticket: UploadTicket, data: bytes) -> None:
        """PUT the bytes to the presigned URL with exactly the Content-Type the ticket names."""
        headers = {"Content-Type": ticket.mime_type}
        retries = 0
        attempt = 0
        while True:
            attempt += 1
            started = self.clock()
            try:
                response = self.session.put(ticket.sign_url, data=data, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                self._record(PUT_ENDPOINT, None, None, self._describe(exc), "", started, False, attempt)
                error = TransportError(self._describe(exc), endpoint=PUT_ENDPOINT)
            else:
                status = response.status_code
                ok = 200 <= status < 300
                msg = "" if ok else f"HTTP {status}"
                self._record(PUT_ENDPOINT, status, None, msg, "", started, ok, attempt)
                if ok:
                    return
                if status == 403:
                    raise TransportError(
                        "The upload URL refused the file (HTTP 403): the Content-Type must equal the "
                        "ticket's mime_type, or the URL has expired. Ask for a new upload URL.",
                        http_status=status,
                        endpoint=PUT_ENDPOINT,
                        retryable=False,
                    )
                error = TransportError(
                    f"The upload URL answered HTTP {status}.",
                    http_status=status,
                    endpoint=PUT_ENDPOINT,
                    retryable=status >= 500 or status == 429,
                )
            if not error.retryable or retries >= self.max_retries:
                raise error
            self._backoff(retries)
            retries += 1

    def file_detail(self, file_id: str) -> FileInfo:
        data = self._call("GET", FILE_DETAIL_PATH, params={"id": file_id})
        if not isinstance(data, dict) or _as_int(data.get("status"), None) is None:
            raise self._broken(FILE_DETAIL_PATH, "The file detail answer has no status.")
        return FileInfo(file_id=str(data.get("id") or file_id), status=int(data["status"]), raw=dict(data))

    def upload_image(
        self, name: str, data: bytes, *, wait_seconds: float = 60, poll_interval: float = 1.0
    ) -> str:
        """Upload an image and wait until Chanjing can use it; return its public URL."""
        ticket = self.create_upload_url(name)
        self.put_file(ticket, data)
        deadline = self.clock() + wait_seconds
        while True:
            info = self.file_detail(ticket.file_id)
            if info.status == FILE_READY:
                return ticket.full_path
            if info.status == FILE_REJECTED:
                raise UploadRejected(
                    "The image failed Chanjing's content check.",
                    file_status=info.status,
                    endpoint=FILE_DETAIL_PATH,
                )
            if info.status in FILE_DELETED:
                raise UploadRejected(
                    f"The uploaded image was deleted by Chanjing (status {info.status}).",
                    file_status=info.status,
                    endpoint=FILE_DETAIL_PATH,
                )
            if self.clock() + poll_interval > deadline:
                raise UploadTimeout(
                    f"The uploaded image was not ready after {wait_seconds:g} seconds "
                    f"(last status {info.status}).",
                    endpoint=FILE_DETAIL_PATH,
                )
            self.sleep(poll_interval)

    def download(self, url: str, dest_file: IO[bytes], *, max_bytes: int) -> tuple[int, str, str]:
        """Stream `url` into `dest_file`; return (size, sha256 hex, content type).

        Sends no token: output URLs live on other hosts. Not retried here, because the
        destination already holds part of the file; the caller retries with a fresh file.
        """
        started = self.clock()
        digest = hashlib.sha256()
        size = 0
        status: int | None = None
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as response:
                status = response.status_code
                if not 200 <= status < 300:
                    raise TransportError(
                        f"The video URL answered HTTP {status}.",
                        http_status=status,
                        endpoint=DOWNLOAD_ENDPOINT,
                        retryable=status >= 500 or status == 429,
                    )
                declared = _as_int(response.headers.get("Content-Length"), None)
                if declared is not None and declared > max_bytes:
                    raise self._too_big(declared, max_bytes, status)
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
                for chunk in response.iter_content(chunk_size=256 * 1024):
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > max_bytes:
                        raise self._too_big(size, max_bytes, status)
                    digest.update(chunk)
                    dest_file.write(chunk)
                encoded = response.headers.get("Content-Encoding", "identity") != "identity"
                if declared is not None and not encoded and size != declared:
                    raise TransportError(
                        f"The video download stopped at {size} of {declared} bytes.",
                        http_status=status,
                        endpoint=DOWNLOAD_ENDPOINT,
                    )
        except ChanjingError as exc:
            self._record(DOWNLOAD_ENDPOINT, status, None, exc.msg, "", started, False, 1)
            raise
        except requests.RequestException as exc:
            msg = self._describe(exc)
            self._record(DOWNLOAD_ENDPOINT, status, None, msg, "", started, False, 1)
            raise TransportError(msg, http_status=status, endpoint=DOWNLOAD_ENDPOINT) from None
        self._record(DOWNLOAD_ENDPOINT, status, None, "", "", started, True, 1)
        return size, digest.hexdigest(), content_type

    # --- The request loop ---------------------------------------------------------------------

    def _fetch_token(self) -> tuple[str, int]:
        # Runs while the token store holds its lock: one retry only, and no rate limiter, so
        # the lock is held for a bounded, short time.
        data = self._call(
            "POST",
            TOKEN_PATH,
            json_body={"app_id": self.app_id, "secret_key": self._secret_key},
            auth=False,
            max_retries=min(self.max_retries, 1),
        )
        token = data.get("access_token") if isinstance(data, dict) else None
        expire_in = _as_int(data.get("expire_in"), None) if isinstance(data, dict) else None
        if not token or not isinstance(token, str) or expire_in is None:
            raise self._broken(TOKEN_PATH, "The token answer lacks access_token or expire_in.")
        self._secrets.add(token)
        # The contract says expire_in is an absolute Unix time; a small number can only be a
        # duration, so read it as one rather than as a date in 1970.
        if expire_in < 1_000_000_000:
            expire_in = int(time.time()) + expire_in
        return token, expire_in

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        auth: bool = True,
        submit: bool = False,
        max_retries: int | None = None,
    ) -> Any:
        """One API call with the retry policy; returns the envelope's `data`."""
        limit = self.max_retries if max_retries is None else max_retries
        url = self.base_url + path
        retries = 0
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": "application/json"}
            if method == "POST":
                headers["Content-Type"] = "application/json"
            token = ""
            if auth:
                token = self.access_token()
                headers["access_token"] = token
            if self.rate_limiter is not None and path != TOKEN_PATH:
                self.rate_limiter.acquire()

            error, data = self._attempt(method, url, path, params, json_body, headers, attempt, submit)
            if error is None:
                return data
            if error.code == CODE_TOKEN_INVALID and auth and not refreshed:
                refreshed = True
                self.token_store.get_token(self._fetch_token, force_refresh_of=token)
                continue
            if not error.retryable or retries >= limit:
                raise error
            logger.info("Chanjing %s failed (%s); retry %d of %d", path, error, retries + 1, limit)
            self._backoff(retries)
            retries += 1

    def _attempt(
        self,
        method: str,
        url: str,
        path: str,
        params: dict | None,
        json_body: dict | None,
        headers: dict,
        attempt: int,
        submit: bool,
    ) -> tuple[ChanjingError | None, Any]:
        started = self.clock()
        body = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else None
        try:
            response = self.session.request(
                method, url, params=params, data=body, headers=headers, timeout=self.timeout
            )
            raw = response.content
        except requests.RequestException as exc:
            msg = self._describe(exc)
            self._record(path, None, None, msg, "", started, False, attempt)
            if submit and not _provably_not_sent(exc):
                return self._ambiguous(path, msg, None, ""), None
            return TransportError(msg, endpoint=path), None

        envelope = _parse_envelope(raw)
        status = response.status_code
        if envelope is None:
            kind = "an HTML page" if raw.lstrip()[:1] == b"<" else "a body that is not the JSON envelope"
            msg = f"HTTP {status} with {kind}"
            self._record(path, status, None, msg, "", started, False, attempt)
            if submit and (status >= 500 or 200 <= status < 300):
                return self._ambiguous(path, msg, status, ""), None
            return self._http_error(path, msg, status), None

        code = envelope["code"]
        msg = self._redact(str(envelope.get("msg") or ""))
        trace_id = str(envelope.get("trace_id") or "")
        if code == CODE_OK and status >= 300:
            msg = f"HTTP {status} with a success envelope"
            self._record(path, status, code, msg, trace_id, started, False, attempt)
            if submit:
                return self._ambiguous(path, msg, status, trace_id), None
            return TransportError(msg, code=code, trace_id=trace_id, http_status=status, endpoint=path), None
        self._record(path, status, code, msg, trace_id, started, code == CODE_OK, attempt)
        if code == CODE_OK:
            return None, envelope.get("data")
        return self._business_error(path, code, msg, trace_id, status), None

    def _business_error(self, path: str, code: int, msg: str, trace_id: str, status: int) -> ChanjingError:
        common = {"code": code, "trace_id": trace_id, "http_status": status, "endpoint": path}
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

    def _http_error(self, path: str, msg: str, status: int) -> ChanjingError:
        if status == 429:
            return RateLimited(msg, http_status=status, endpoint=path)
        if status == 400:
            return BadRequest(msg, http_status=status, endpoint=path)
        # 2xx with a broken body, 5xx, and 408 are worth another try; other 4xx are not.
        retryable = status >= 500 or status < 400 or status == 408
        return TransportError(msg, http_status=status, endpoint=path, retryable=retryable)

    def _ambiguous(self, path: str, msg: str, status: int | None, trace_id: str) -> AmbiguousSubmit:
        return AmbiguousSubmit(
            f"The submit may have reached Chanjing but its answer was lost ({msg}); "
            "look for the task in the task list before submitting again.",
            http_status=status,
            trace_id=trace_id,
            endpoint=path,
        )

    def _broken(self, path: str, msg: str) -> TransportError:
        trace_id = self.last_call.trace_id if self.last_call else ""
        return TransportError(msg, endpoint=path, trace_id=trace_id)

    def _too_big(self, size: int, max_bytes: int, status: int | None) -> TransportError:
        return TransportError(
            f"The video is larger than the {max_bytes}-byte limit ({size} bytes so far).",
            http_status=status,
            endpoint=DOWNLOAD_ENDPOINT,
            retryable=False,
        )

    def _backoff(self, retry: int) -> None:
        """Full jitter: a uniform wait up to an exponentially growing, capped ceiling."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**retry))
        self.sleep(self.rng.uniform(0, ceiling))

    def _record(
        self,
        endpoint: str,
        http_status: int | None,
        code: int | None,
        msg: str,
        trace_id: str,
        started: float,
        ok: bool,
        attempt: int,
    ) -> None:
        record = CallRecord(
            endpoint=endpoint,
            http_status=http_status,
            code=code,
            msg=self._redact(msg),
            trace_id=trace_id,
            latency_ms=max(0, int((self.clock() - started) * 1000)),
            ok=ok,
            attempt=attempt,
        )
        self._local.last_call = record
        if self.journal is None:
            return
        try:
            self.journal(record, {})
        except Exception:
            logger.exception("Could not journal a Chanjing call to %s", endpoint)

    def _describe(self, exc: requests.RequestException) -> str:
        """A transport failure in words, without query strings (presigned URLs carry keys)."""
        if isinstance(exc, requests.ConnectTimeout):
            kind = "connect timeout"
        elif isinstance(exc, requests.ReadTimeout):
            kind = "read timeout"
        elif isinstance(exc, requests.ConnectionError):
            kind = "connection error"
        else:
            kind = type(exc).__name__
        detail = _QUERY.sub("?…", self._redact(str(exc)))[:300]
        return f"{kind}: {detail}" if detail else kind

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret and secret in text:
                text = text.replace(secret, "[redacted]")
        return text


def _parse_envelope(raw: bytes) -> dict | None:
    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(envelope, dict):
        return None
    code = envelope.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return envelope


def _provably_not_sent(exc: requests.RequestException) -> bool:
    """True only when the connection was never made, so the server cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError)
    return False


def _as_int(value: Any, default: int | None) -> int | None:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
