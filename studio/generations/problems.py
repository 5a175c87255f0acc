"""What went wrong with a generation, worded when it is shown, in the reader's language.

The poller stores a kind of problem and its facts (the provider's code and raw message, the
minutes a task was stuck); the sentence is produced when a page is rendered, so a Chinese and
an English reader each see it in their own language. `Generation.error_message` keeps an
English copy for admins, search and the usage export.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from studio.chanjing import errors
from studio.chanjing import types as provider
from studio.chanjing.explain import explain

PROVIDER = "provider"  # a ChanjingError from a call; params: its type, retryable, file_status
TASK_FAILED = "task_failed"  # the provider's task ended in Fail or Error; raw: its err_msg
NO_VIDEO = "no_video"
NOT_A_VIDEO = "not_a_video"
DOWNLOAD_FAILED = "download_failed"
STUCK_SUBMITTED = "stuck_submitted"  # params: minutes, status
STUCK_UNSENT = "stuck_unsent"  # params: minutes


def from_error(error: errors.ChanjingError) -> dict:
    """The facts of a client error, as stored on the generation."""
    return {
        "kind": PROVIDER,
        "code": error.code,
        "raw": error.msg,
        "params": {
            "type": type(error).__name__,
            "retryable": error.retryable,
            "file_status": getattr(error, "file_status", None),
        },
    }


def _rebuild(code: int | None, raw: str, params: dict) -> errors.ChanjingError:
    cls = getattr(errors, params.get("type", ""), errors.ChanjingError)
    if not (isinstance(cls, type) and issubclass(cls, errors.ChanjingError)):
        cls = errors.ChanjingError
    kwargs = {"code": code, "retryable": params.get("retryable")}
    if cls is errors.UploadRejected:
        kwargs["file_status"] = params.get("file_status")
    return cls(raw, **kwargs)


def describe(kind: str, *, code: int | None = None, raw: str = "", params: dict | None = None) -> str:
    """The problem in plain words, in the active language."""
    params = params or {}
    if kind == PROVIDER:
        return explain(_rebuild(code, raw, params))
    if kind == TASK_FAILED:
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


def _provider_status_label(status: str) -> str:
    labels = {
        provider.QUEUED: _("Queued"),
        provider.READY: _("Ready"),
        provider.GENERATING: _("Generating"),
    }
    return labels.get(status, status) or _("the queue")


def in_english(kind: str, **facts) -> str:
    with translation.override("en"):
        return describe(kind, **facts)
