"""How one call is made: the request loop with its retry policy, the token it carries, the
journal record of every attempt, and redaction of secrets from everything it reports.

ChanjingClient builds on Transport; the endpoints themselves live in `client`.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import requests

from studio.chanjing import parse
from studio.chanjing.errors import ChanjingError, MalformedAnswer, TransportError
from studio.chanjing.interfaces import Journal, RateLimiter, TokenStore
from studio.chanjing.types import CallRecord, as_int
from studio.chanjing.wire import (
    CODE_OK,
    CODE_TOKEN_INVALID,
    TOKEN_PATH,
    ambiguous_submit,
    business_error,
    describe_body,
    http_error,
    parse_envelope,
    provably_not_sent,
)

logger = logging.getLogger(__name__)

_QUERY = re.compile(r"\?[^\s'\"<>)]*")
# A token lives a day at Chanjing; an expiry further out than this is not believed.
MAX_TOKEN_LIFETIME = 7 * 24 * 3600
MAX_MSG_LENGTH = 2000
MAX_TRACE_ID_LENGTH = 100


class _TooLarge(Exception):
    def __init__(self, size: int, declared: bool) -> None:
        self.size = size
        self.declared = declared


class Transport:
    """Plumbing shared by every endpoint; holds no knowledge of what the endpoints mean."""

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
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_answer_bytes: int = parse.MAX_ANSWER_BYTES,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        """`should_stop` is asked, from another thread, whether a download should be abandoned
        (the worker is stopping); it must be cheap and must not touch the database."""
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret_key = secret_key
        self.token_store = token_store
        self.rate_limiter = rate_limiter
        self.journal = journal
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.session = session or requests.Session()
        self.max_answer_bytes = max_answer_bytes
        self.should_stop = should_stop
        self._secrets: set[str] = set()
        self._keep_secret(secret_key)
        self._local = threading.local()

    @property
    def last_call(self) -> CallRecord | None:
        """The record of this thread's latest attempt, e.g. to keep a submit's trace_id."""
        return getattr(self._local, "last_call", None)

    def access_token(self) -> str:
        return self.token_store.get_token(self._fetch_token)

    def _fetch_token(self) -> tuple[str, int]:
        # Runs while the token store holds its lock (or refresh lease): one retry only, and no
        # rate limiter, so it is held for a bounded, short time.
        data = self._call(
            "POST",
            TOKEN_PATH,
            json_body={"app_id": self.app_id, "secret_key": self._secret_key},
            auth=False,
            max_retries=min(self.max_retries, 1),
        )
        if not isinstance(data, dict):
            raise self._malformed(TOKEN_PATH, "The token answer has no data object.")
        if isinstance(data.get("access_token"), str) and len(data["access_token"]) <= MAX_MSG_LENGTH:
            # Even a token about to be refused is a secret: no message may show it.
            self._keep_secret(data["access_token"])
        try:
            token = parse.token(data.get("access_token"))
            expire_in = parse.integer(data, "expire_in", low=-(2**62), high=2**62)
        except parse.BadShape as shape:
            # Refused before it is stored, so the next call asks for a new one.
            raise self._malformed(TOKEN_PATH, f"The token answer is unusable: {shape}.") from None
        if expire_in is None:
            raise self._malformed(TOKEN_PATH, "The token answer lacks expire_in.")
        return token, token_expiry(expire_in, now=int(time.time()))

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
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
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
        headers: dict[str, Any],
        attempt: int,
        submit: bool,
    ) -> tuple[ChanjingError | None, Any]:
        started = self.clock()
        body = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else None
        status: int | None = None
        try:
            with self.session.request(
                method, url, params=params, data=body, headers=headers, timeout=self.timeout, stream=True
            ) as response:
                status = response.status_code
                raw = self._read_limited(response)
        except requests.RequestException as exc:
            msg = self._describe(exc)
            self._record(path, status, None, msg, "", started, False, attempt)
            if submit and not provably_not_sent(exc):
                return ambiguous_submit(path, msg, status, ""), None
            return TransportError(msg, http_status=status, endpoint=path), None
        except _TooLarge as large:
            how = "declares" if large.declared else "ran past"
            msg = f"HTTP {status}: the answer {how} {large.size} bytes (the limit is {self.max_answer_bytes})"
            self._record(path, status, None, msg, "", started, False, attempt)
            if submit:
                return ambiguous_submit(path, msg, status, ""), None
            return MalformedAnswer(msg, http_status=status, endpoint=path), None

        try:
            envelope = parse_envelope(raw)
        except parse.BadShape as shape:
            msg = f"HTTP {status} with {describe_body(raw, shape)}"
            self._record(path, status, None, msg, "", started, False, attempt)
            if submit and (status >= 500 or 200 <= status < 300):
                return ambiguous_submit(path, msg, status, ""), None
            return http_error(path, msg, status), None

        code = envelope["code"]
        msg = self._redact(_short(envelope.get("msg"), MAX_MSG_LENGTH))
        trace_id = self._redact(_short(envelope.get("trace_id"), MAX_TRACE_ID_LENGTH))
        if code == CODE_OK and status >= 300:
            msg = f"HTTP {status} with a success envelope"
            self._record(path, status, code, msg, trace_id, started, False, attempt)
            if submit:
                return ambiguous_submit(path, msg, status, trace_id), None
            return TransportError(msg, code=code, trace_id=trace_id, http_status=status, endpoint=path), None
        self._record(path, status, code, msg, trace_id, started, code == CODE_OK, attempt)
        if code == CODE_OK:
            return None, envelope.get("data")
        return business_error(path, code, msg, trace_id, status), None

    def _read_limited(self, response: requests.Response) -> bytes:
        """The body, read only while it stays under the answer limit: a flood is cut off early."""
        declared = as_int(response.headers.get("Content-Length"), None)
        if declared is not None and declared > self.max_answer_bytes:
            raise _TooLarge(declared, declared=True)
        chunks = []
        size = 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > self.max_answer_bytes:
                raise _TooLarge(size, declared=False)
            chunks.append(chunk)
        return b"".join(chunks)

    def _broken(self, path: str, msg: str) -> TransportError:
        trace_id = self.last_call.trace_id if self.last_call else ""
        return TransportError(msg, endpoint=path, trace_id=trace_id)

    def _malformed(self, path: str, msg: str) -> MalformedAnswer:
        """An answer that arrived but breaks the contract: journaled as a failed call of its own,
        so the journal shows why a call that "succeeded" was not used."""
        last = self.last_call
        trace_id = last.trace_id if last else ""
        msg = self._redact(msg)
        self._record(path, last.http_status if last else None, None, msg, trace_id, self.clock(), False, 1)
        return MalformedAnswer(msg, endpoint=path, trace_id=trace_id)

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
            self.journal(record)
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

    def _keep_secret(self, secret: str) -> None:
        """Remember a secret in every form a message may show it: as is, escaped as Python and
        JSON escape it, percent-encoded, and in base64."""
        if not secret:
            return
        forms = {
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            repr(secret)[1:-1],
            repr(secret.encode())[2:-1],
            secret.encode("unicode_escape").decode("ascii"),
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            base64.b64encode(secret.encode()).decode("ascii"),
        }
        # Longest first, so a form that contains another is replaced whole.
        self._secrets.update(form for form in forms if len(form) >= 4)

    def _redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text


def token_expiry(expire_in: int, *, now: int) -> int:
    """The Unix time a token expires, clamped to [now, now + MAX_TOKEN_LIFETIME].

    The contract says expire_in is an absolute Unix time; a small number can only be a
    duration, so it is read as one rather than as a date in 1970.
    """
    expires_at = expire_in if expire_in >= 1_000_000_000 else now + expire_in
    return min(max(expires_at, now), now + MAX_TOKEN_LIFETIME)


def _short(value: Any, limit: int) -> str:
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value)[:limit]
    return text if len(text) <= limit else text[: limit - 1] + "…"
