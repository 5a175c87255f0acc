"""What went wrong with a generation, worded when it is shown, in the reader's language.

The poller stores a kind of problem and its facts (the provider's code and raw message, the
minutes a task was stuck); the sentence is produced when a page is rendered, so a Chinese and
an English reader each see it in their own language. `Generation.error_message` keeps an
English copy for admins, search and the usage export.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from studio.chanjing import types as provider
from studio.chanjing.errors import ChanjingError
from studio.chanjing.explain import MODERATION_WORDS, UPLOAD_REJECTED, explain, reason_of
from studio.chanjing.types import FILE_REJECTED

PROVIDER = "provider"  # a ChanjingError from a call; params: its reason, retryable, file_status
TASK_FAILED = "task_failed"  # the provider's task ended in Fail or Error; raw: its err_msg
NO_VIDEO = "no_video"
NOT_A_VIDEO = "not_a_video"
DOWNLOAD_FAILED = "download_failed"
STUCK_SUBMITTED = "stuck_submitted"  # params: minutes, status
STUCK_UNSENT = "stuck_unsent"  # params: minutes
NOT_CHARGED = "未扣费"  # "not charged", in the provider's Error message ("生成失败,未扣费,请稍后重试")


def from_error(error: ChanjingError) -> dict[str, Any]:
    """The facts of a client error, as stored on the generation."""
    return {
        "kind": PROVIDER,
        "code": error.code,
        "raw": error.msg,
        "params": {
            "reason": reason_of(error),
            "retryable": error.retryable,
            "file_status": getattr(error, "file_status", None),
        },
    }


def describe(
    kind: str, *, code: int | None = None, raw: str = "", params: dict[str, Any] | None = None
) -> str:
    """The problem in plain words, in the active language."""
    params = params or {}
    if kind == PROVIDER:
        return explain(
            code=code,
            msg=raw,
            reason=params.get("reason", ""),
            retryable=params.get("retryable", True),
            file_status=params.get("file_status"),
        )
    if kind == TASK_FAILED:
        if NOT_CHARGED in raw and not is_content_rejection(kind, raw=raw):
            return _("The provider could not generate this video this time: you were not charged, try later.")
        return explain(msg=raw)
    if kind == NO_VIDEO:
        return _("The provider reported success but gave no video.")
    if kind == NOT_A_VIDEO:
        return _("The provider's file is not a playable video.")
    if kind == DOWNLOAD_FAILED:
        return _("The finished video could not be downloaded from the provider.")
    if kind == STUCK_SUBMITTED:
        status = _provider_status_label(params.get("status") or "")
        return _("Timed out after %(minutes)d min in %(status)s.") % {
            "minutes": params.get("minutes", 0),
            "status": status,
        }
    if kind == STUCK_UNSENT:
        return _("Could not be sent to the provider for %(minutes)d min; nothing was charged.") % {
            "minutes": params.get("minutes", 0)
        }
    return ""


def is_content_rejection(kind: str, *, raw: str = "", params: dict[str, Any] | None = None) -> bool:
    """Rejected by the provider's content check: the prompt or an image must change, not the timing."""
    if kind == TASK_FAILED:
        return any(word in raw for word in MODERATION_WORDS)
    if kind == PROVIDER:
        params = params or {}
        return params.get("reason") == UPLOAD_REJECTED and params.get("file_status") == FILE_REJECTED
    return False


def _provider_status_label(status: str) -> str:
    labels = {
        provider.QUEUED: _("Queued"),
        provider.READY: _("Ready"),
        provider.GENERATING: _("Generating"),
    }
    return labels.get(status, status) or _("the queue")


def in_english(kind: str, **facts: Any) -> str:
    with translation.override("en"):
        return describe(kind, **facts)
