"""The Chanjing Open API client: plain Python, no Django.

It speaks the protocol in docs `chanjing-api.md`, retries what is worth retrying and raises
the typed errors of `studio.chanjing.errors`. The token store, the rate limiter and the call
journal are injected, so the same code runs in unit tests, in the poller and in web workers.

This module holds the endpoints; the request loop is `transport`, the answers' meaning `wire`,
the submit body `submit`, and what the client is handed `interfaces`. Their public names are
importable from here too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import IO, Any

import requests

from studio.chanjing import parse
from studio.chanjing.download import DownloadAllowance, fetch
from studio.chanjing.errors import (
    AmbiguousSubmit,
    ChanjingError,
    ParamError,
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
    "DownloadAllowance",
    "Journal",
    "MemoryTokenStore",
    "RateLimiter",
    "TokenFetch",
    "TokenStore",
    "build_submit_body",
]

logger = logging.getLogger(__name__)

MAX_TASK_IDS = 50


class ChanjingClient(Transport):
    def __init__(
        self,
        base_url: str,
        app_id: str,
        secret_key: str,
        *,
        frame_mode: str = "both",
        download_allowance: DownloadAllowance | None = None,
        **transport: Any,
    ) -> None:
        """`transport` holds Transport's options: token_store (required), rate_limiter, journal,
        timeouts, retries and backoff, should_stop, and the sleep, clock, rng and session tests
        replace. Without a `download_allowance`, no video URL may be downloaded."""
        check_frame_mode(frame_mode)
        super().__init__(base_url, app_id, secret_key, **transport)
        self.frame_mode = frame_mode
        self.download_allowance = download_allowance or DownloadAllowance()

    def __repr__(self) -> str:
        return f"<ChanjingClient {self.base_url} app_id={self.app_id}>"

    def submit(self, req: SubmitRequest) -> str:
        """Submit a video task and return its unique_id.

        Raises AmbiguousSubmit when the request may have reached Chanjing but the answer was
        lost; the caller must look for the task in the task list before submitting again.
        """
        body = build_submit_body(req, self.frame_mode)
        data = self._call("POST", SUBMIT_PATH, json_body=body, submit=True)
        try:
            return parse.identifier(data)
        except parse.BadShape as shape:
            # The task may exist all the same: the caller reconciles through the task list.
            self._malformed(SUBMIT_PATH, f"The submit answer is unusable: {shape}.")
            raise AmbiguousSubmit(
                f"The submit answer has no usable task id ({shape}); "
                "check the task list before resubmitting.",
                endpoint=SUBMIT_PATH,
                trace_id=self.last_call.trace_id if self.last_call else "",
            ) from None

    def task(self, unique_id: str) -> TaskInfo:
        """The task `unique_id`; an answer about any other task is refused, never returned."""
        self._check_ids([unique_id])
        data = self._call("GET", TASK_PATH, params={"unique_id": unique_id})
        try:
            info = TaskInfo.from_api(data)
        except parse.BadShape as shape:
            raise self._malformed(TASK_PATH, f"The task answer is unusable: {shape}.") from None
        if info.unique_id != unique_id:
            raise self._malformed(
                TASK_PATH,
                f"The task answer is about task {info.unique_id}, not the task asked for ({unique_id}).",
            )
        return info

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
            # An id that is not one is left out rather than failing the whole batch: the caller
            # asks for it alone with task(), which refuses it for that row only.
            valid = [unique_id for unique_id in unique_ids if _is_id(unique_id)]
            if len(valid) < len(unique_ids):
                logger.warning(
                    "Chanjing task list: not asking for %d ids that are not ids", len(unique_ids) - len(valid)
                )
            if not valid:
                return TaskPage(items=[], total=0, page=page, total_page=1)
            unique_ids = valid
            body["unique_ids"] = list(unique_ids)
        data = self._call("POST", TASK_PAGE_PATH, json_body=body)
        try:
            if not isinstance(data, dict):
                raise parse.BadShape("it has no data object")
            listed = parse.object_list(data, "list")
            page_info = data.get("page_info")
            page_info = page_info if isinstance(page_info, dict) else {}
            total = parse.integer(data, "total", default=None)
            if total is None:
                total = parse.integer(page_info, "total_count", default=len(listed))
            answered_page = parse.integer(page_info, "page", low=1, default=page)
            total_page = parse.integer(page_info, "total_page", default=1)
        except parse.BadShape as shape:
            raise self._malformed(TASK_PAGE_PATH, f"The task list answer is unusable: {shape}.") from None
        items = self._listed_tasks(listed, unique_ids)
        return TaskPage(items=items, total=total or 0, page=answered_page or page, total_page=total_page or 1)

    def _listed_tasks(self, listed: list[Any], unique_ids: list[str]) -> list[TaskInfo]:
        """The listed tasks that parse and, when ids were asked for, are among them. The rest are
        logged and left out: one broken or foreign item must not spoil the page."""
        wanted = set(unique_ids)
        items = []
        for item in listed:
            try:
                info = TaskInfo.from_api(item)
            except parse.BadShape as shape:
                logger.warning("Chanjing task list: left out an unusable task (%s)", shape)
                continue
            if wanted and info.unique_id not in wanted:
                logger.warning(
                    "Chanjing task list: left out task %s, which was not asked for", info.unique_id
                )
                continue
            items.append(info)
        return items

    def _check_ids(self, unique_ids: list[str]) -> None:
        for unique_id in unique_ids:
            try:
                parse.identifier(unique_id)
            except parse.BadShape as shape:
                raise ParamError(f"Not sent: {shape}.", endpoint=TASK_PATH) from None

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
        self,
        url: str,
        dest_file: IO[bytes],
        *,
        max_bytes: int,
        max_seconds: float | None = None,
        deadline: float | None = None,
        should_stop: Callable[[], bool] | None = None,
        still_held: Callable[[], bool] | None = None,
    ) -> tuple[int, str, str]:
        """Stream `url` into `dest_file`; return (size, sha256 hex, content type).

        Only where `download_allowance` allows (see `studio.chanjing.download`). Sends no token:
        output URLs live on other hosts. Ends within a second of `max_seconds` from now or of
        `deadline` (a Unix time, e.g. the worker's lease expiry), whichever is sooner, and as
        soon as `should_stop` (or the client's own) says so, or `still_held` (asked between
        chunks, e.g. to renew the worker's lease) says False. Not retried here, because the
        destination already holds part of the file; the caller retries with a fresh file.
        """
        seconds = float("inf") if max_seconds is None else float(max_seconds)
        if deadline is not None:
            seconds = min(seconds, deadline - time.time())
        status: list[int] = []
        started = self.clock()
        try:
            size, sha256, content_type = fetch(
                url,
                dest_file,
                allowance=self.download_allowance,
                max_bytes=max_bytes,
                seconds=seconds,
                connect_timeout=self.timeout[0],
                read_timeout=self.timeout[1],
                should_stop=should_stop or self.should_stop,
                still_held=still_held,
                on_status=status.append,
            )
        except ChanjingError as exc:
            exc.msg = self._redact(exc.msg)
            exc.args = (exc.msg,)
            self._record(
                DOWNLOAD_ENDPOINT,
                exc.http_status or (status[-1] if status else None),
                None,
                exc.msg,
                "",
                started,
                False,
                1,
            )
            raise
        self._record(DOWNLOAD_ENDPOINT, status[-1] if status else None, None, "", "", started, True, 1)
        return size, sha256, content_type


def _is_id(value: str) -> bool:
    try:
        parse.identifier(value)
    except parse.BadShape:
        return False
    return True
