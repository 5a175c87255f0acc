"""The Chanjing Open API client: plain Python, no Django.

It speaks the protocol in docs `chanjing-api.md`, retries what is worth retrying and raises
the typed errors of `studio.chanjing.errors`. The token store, the rate limiter and the call
journal are injected, so the same code runs in unit tests, in the poller and in web workers.

This module holds the endpoints; the request loop is `transport`, the answers' meaning `wire`,
the submit body `submit`, and what the client is handed `interfaces`. Their public names are
importable from here too.
"""

from __future__ import annotations

import hashlib
from typing import IO, Any

import requests

from studio.chanjing.errors import (
    AmbiguousSubmit,
    ChanjingError,
    TransportError,
    UploadRejected,
    UploadTimeout,
)
from studio.chanjing.interfaces import Journal, MemoryTokenStore, RateLimiter, TokenFetch, TokenStore
from studio.chanjing.submit import FRAME_MODES, build_submit_body, check_frame_mode
from studio.chanjing.transport import Transport
from studio.chanjing.types import (
    FILE_DELETED,
    FILE_READY,
    FILE_REJECTED,
    FileInfo,
    SubmitRequest,
    TaskInfo,
    TaskPage,
    UploadTicket,
    as_int,
)
from studio.chanjing.wire import (
    CREATION_TYPE_VIDEO,
    DOWNLOAD_ENDPOINT,
    FILE_DETAIL_PATH,
    PUT_ENDPOINT,
    SUBMIT_PATH,
    TASK_PAGE_PATH,
    TASK_PATH,
    TOKEN_PATH,
    UPLOAD_URL_PATH,
)

__all__ = [
    "DOWNLOAD_ENDPOINT",
    "FILE_DETAIL_PATH",
    "FRAME_MODES",
    "MAX_TASK_IDS",
    "PUT_ENDPOINT",
    "SUBMIT_PATH",
    "TASK_PAGE_PATH",
    "TASK_PATH",
    "TOKEN_PATH",
    "UPLOAD_URL_PATH",
    "ChanjingClient",
    "Journal",
    "MemoryTokenStore",
    "RateLimiter",
    "TokenFetch",
    "TokenStore",
    "build_submit_body",
]

MAX_TASK_IDS = 50


class ChanjingClient(Transport):
    def __init__(
        self, base_url: str, app_id: str, secret_key: str, *, frame_mode: str = "both", **transport: Any
    ) -> None:
        """`transport` holds Transport's options: token_store (required), rate_limiter, journal,
        timeouts, retries and backoff, and the sleep, clock, rng and session tests replace."""
        check_frame_mode(frame_mode)
        super().__init__(base_url, app_id, secret_key, **transport)
        self.frame_mode = frame_mode

    def __repr__(self) -> str:
        return f"<ChanjingClient {self.base_url} app_id={self.app_id}>"

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
        page_info = data.get("page_info")
        page_info = page_info if isinstance(page_info, dict) else {}
        return TaskPage(
            items=items,
            total=as_int(data.get("total", page_info.get("total_count")), len(items)),
            page=as_int(page_info.get("page"), page),
            total_page=as_int(page_info.get("total_page"), 1),
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
        if not isinstance(data, dict) or as_int(data.get("status"), None) is None:
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

    def download(
        self, url: str, dest_file: IO[bytes], *, max_bytes: int, max_seconds: float | None = None
    ) -> tuple[int, str, str]:
        """Stream `url` into `dest_file`; return (size, sha256 hex, content type).

        Sends no token: output URLs live on other hosts. Not retried here, because the
        destination already holds part of the file; the caller retries with a fresh file.
        `max_seconds` bounds the whole transfer: the read timeout alone lets a server that
        trickles bytes hold a worker for ever.
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
                declared = as_int(response.headers.get("Content-Length"), None)
                if declared is not None and declared > max_bytes:
                    raise _too_big(declared, max_bytes, status)
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
                for chunk in response.iter_content(chunk_size=256 * 1024):
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_big(size, max_bytes, status)
                    if max_seconds is not None and self.clock() - started > max_seconds:
                        raise TransportError(
                            f"The video download took longer than {max_seconds:g} s.",
                            http_status=status,
                            endpoint=DOWNLOAD_ENDPOINT,
                            retryable=True,
                        )
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


def _too_big(size: int, max_bytes: int, status: int | None) -> TransportError:
    return TransportError(
        f"The video is larger than the {max_bytes}-byte limit ({size} bytes so far).",
        http_status=status,
        endpoint=DOWNLOAD_ENDPOINT,
        retryable=False,
    )
