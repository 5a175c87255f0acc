"""Plain-words explanations of Chanjing failures, for the people using the studio.

The texts are English msgids translated through the project's .po files. The raw provider
message (often Chinese) is not lost: the caller stores it beside the explanation, and admins
see both.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from studio.chanjing.errors import (
    AmbiguousSubmit,
    AuthError,
    ChanjingError,
    ParamError,
    TransportError,
    UploadRejected,
    UploadTimeout,
    mentions_out_of_credit,
    mentions_unknown_model,
)
from studio.chanjing.types import FILE_REJECTED
from studio.chanjing.wire import CODE_BAD_REQUEST, CODE_OK, CODE_PARAM, CODE_QPS, CODE_TOKEN_INVALID

MODERATION_WORDS = ("审核", "违规", "敏感")

# Why a call failed when the business code alone does not say: facts a generation stores and
# is worded from later, in the reader's language.
UPLOAD_REJECTED = "upload_rejected"
UPLOAD_TIMEOUT = "upload_timeout"
AMBIGUOUS_SUBMIT = "ambiguous_submit"
UNREACHABLE = "unreachable"
REFUSED_BEFORE_SENDING = "refused_before_sending"
SIGN_IN_FAILED = "sign_in_failed"


def reason_of(error: ChanjingError) -> str:
    """The reason an error stands for, or "" when its code and message say it all."""
    if isinstance(error, UploadRejected):
        return UPLOAD_REJECTED
    if isinstance(error, UploadTimeout):
        return UPLOAD_TIMEOUT
    if isinstance(error, AmbiguousSubmit):
        return AMBIGUOUS_SUBMIT
    if isinstance(error, TransportError) and error.code is None:
        return UNREACHABLE
    if isinstance(error, ParamError) and error.code is None:
        return REFUSED_BEFORE_SENDING
    if isinstance(error, AuthError) and error.code is None:
        return SIGN_IN_FAILED
    return ""


def explain(
    error: ChanjingError | None = None,
    *,
    code: int | None = None,
    msg: str = "",
    reason: str = "",
    retryable: bool = True,
    file_status: int | None = None,
) -> str:
    """Explain an error, or its stored facts (a business `code` and `msg`, the `reason`), or
    (with none of them) a failed task's err_msg."""
    if error is not None:
        code, msg, reason = error.code, error.msg, reason_of(error)
        retryable, file_status = error.retryable, getattr(error, "file_status", None)
    msg = msg or ""
    if mentions_out_of_credit(msg):
        return _(
            "The studio's Chanjing account is out of credit, so no video can be made right now. "
            "Please contact an administrator to top it up."
        )
    by_reason = _explain_reason(reason, msg, retryable=retryable, file_status=file_status)
    if by_reason:
        return by_reason
    if code is not None:
        return _explain_code(code, msg)
    return _explain_task_failure(msg)


def _explain_reason(reason: str, msg: str, *, retryable: bool, file_status: int | None) -> str:
    if reason == UPLOAD_REJECTED:
        if file_status == FILE_REJECTED:
            return _("Chanjing's content check rejected this image. Please choose a different image.")
        return _("Chanjing deleted the uploaded image before it could be used. Please upload it again.")
    if reason == UPLOAD_TIMEOUT:
        return _("Chanjing took too long to accept the image. We will try again.")
    if reason == AMBIGUOUS_SUBMIT:
        return _(
            "We lost contact with the video service while sending this request. "
            "We are checking whether it arrived before sending it again."
        )
    if reason == UNREACHABLE:
        if not retryable:
            return _("The video service could not be reached for this request: %(msg)s") % {"msg": msg}
        return _("The video service cannot be reached at the moment. We will try again automatically.")
    if reason == REFUSED_BEFORE_SENDING:
        return _("This request is not valid: %(msg)s") % {"msg": msg}
    if reason == SIGN_IN_FAILED:
        return _("The studio could not sign in to the video service. Please contact an administrator.")
    return ""


def _explain_code(code: int, msg: str) -> str:
    if code == CODE_OK:
        return ""
    if code == CODE_BAD_REQUEST:
        return _("The video service could not read this request: %(msg)s") % {"msg": msg}
    if code == CODE_TOKEN_INVALID:
        return _("The studio could not sign in to the video service. Please contact an administrator.")
    if code == CODE_PARAM:
        return _("The video service refused a parameter of this request: %(msg)s") % {"msg": msg}
    if code == CODE_QPS:
        return _("The video service is busy right now. We will retry automatically.")
    if mentions_unknown_model(msg):
        return _("The video service does not know the configured model. Please contact an administrator.")
    return _("The video service had an internal error. We will retry automatically.")


def _explain_task_failure(err_msg: str) -> str:
    if any(word in err_msg for word in MODERATION_WORDS):
        return _("The video was rejected by the content check. Please change the prompt or the images.")
    return _("The provider could not generate this video.")
