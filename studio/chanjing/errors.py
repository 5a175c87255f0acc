"""The one exception family the Chanjing client raises.

Every error carries what support needs (`code`, `msg`, `trace_id`, `endpoint`, `http_status`)
and whether trying the same call again later is worth it (`retryable`). Messages never contain
the access token or the secret key: the client redacts them before building an error.
"""

from __future__ import annotations

from typing import Any

OUT_OF_CREDIT_WORDS = ("余额不足", "蝉豆不足", "欠费", "扣费失败")
UNKNOWN_MODEL_WORDS = ("模型不存在",)


def mentions_out_of_credit(text: str) -> bool:
    return any(word in (text or "") for word in OUT_OF_CREDIT_WORDS)


def mentions_unknown_model(text: str) -> bool:
    return any(word in (text or "") for word in UNKNOWN_MODEL_WORDS)


class ChanjingError(Exception):
    """Base of every error the client raises."""

    default_retryable = False

    def __init__(
        self,
        msg: str = "",
        *,
        code: int | None = None,
        trace_id: str = "",
        retryable: bool | None = None,
        http_status: int | None = None,
        endpoint: str = "",
    ) -> None:
        self.msg = msg or ""
        self.code = code
        self.trace_id = trace_id or ""
        self.retryable = self.default_retryable if retryable is None else retryable
        self.http_status = http_status
        self.endpoint = endpoint or ""
        super().__init__(self.msg)

    def __str__(self) -> str:
        details = []
        if self.code is not None:
            details.append(f"code={self.code}")
        if self.http_status is not None:
            details.append(f"http={self.http_status}")
        if self.trace_id:
            details.append(f"trace_id={self.trace_id}")
        where = f"{self.endpoint}: " if self.endpoint else ""
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{where}{self.msg}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, retryable={self.retryable})"

    @property
    def out_of_credit(self) -> bool:
        return mentions_out_of_credit(self.msg)


class TransportError(ChanjingError):
    """Timeouts, refused connections, HTTP 5xx, and bodies that are not the JSON envelope."""

    default_retryable = True


class AmbiguousSubmit(TransportError):
    """A submit was sent but its answer was lost: the task may or may not exist.

    Never resubmit blindly: look for the task through the task list first. Not retryable, so
    that generic "retry if retryable" code cannot create a duplicate (and double-charged) task.
    """

    default_retryable = False


class MalformedAnswer(TransportError):
    """An answer that breaks the contract's shape or limits: too large, too deep, a number that is
    not finite, a field of the wrong type or length, or an answer about another task. Retryable:
    the next answer may be sane; a row that keeps getting one is settled by the stuck rule."""


class DownloadRefused(TransportError):
    """A video URL, or a redirect, that leads outside the download allowance (scheme, host, or
    an address inside the studio's own network). Not retryable: the same URL stays refused."""

    default_retryable = False


class DownloadInterrupted(TransportError):
    """The download was stopped before it finished: its deadline passed or the worker is stopping."""


class AuthError(ChanjingError):
    """The token was refused even after one forced refresh, or the credentials were refused."""


class RateLimited(ChanjingError):
    """Code 40001 or HTTP 429 through every retry; try again later, never drop the work."""

    default_retryable = True


class BadRequest(ChanjingError):
    """Code 400: the request was malformed. A bug or bad input; retrying cannot help."""


class ParamError(ChanjingError):
    """Code 40000 (also "task not found"), or a request the client refused to send."""


class ServerError(ChanjingError):
    """Code 50000 or an undocumented code. Retryable, except an unknown model."""

    default_retryable = True


class UploadRejected(ChanjingError):
    """The uploaded file failed the content check (98) or was deleted (99/100)."""

    def __init__(self, msg: str = "", *, file_status: int | None = None, **kwargs: Any) -> None:
        self.file_status = file_status
        super().__init__(msg, **kwargs)


class UploadTimeout(ChanjingError):
    """The uploaded file did not become ready in time."""

    default_retryable = True
