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


def explain(error: ChanjingError | None = None, *, code: int | None = None, msg: str = "") -> str:
    """Explain an error, or a business `code` and `msg`, or (with neither) a failed task's err_msg."""
    if error is not None:
        code = error.code
        msg = error.msg
    msg = msg or ""
    if mentions_out_of_credit(msg):
        return _(
            "The studio's Chanjing account is out of credit, so no video can be made right now. "
            "Please contact an administrator to top it up."
        )
    if error is not None:
        by_type = _explain_type(error)
        if by_type:
            return by_type
    if code is not None:
        return _explain_code(code, msg)
    return _explain_task_failure(msg)


def _explain_type(error: ChanjingError) -> str:
    if isinstance(error, UploadRejected):
        if error.file_status == FILE_REJECTED:
            return _("Chanjing's content check rejected this image. Please choose a different image.")
        return _("Chanjing deleted the uploaded image before it could be used. Please upload it again.")
    if isinstance(error, UploadTimeout):
        return _("Chanjing took too long to accept the image. We will try again.")
    if isinstance(error, AmbiguousSubmit):
        return _(
            "We lost contact with the video service while sending this request. "
            "We are checking whether it arrived before sending it again."
        )
    if isinstance(error, TransportError) and error.code is None:
        if not error.retryable:
            return _("The video service could not be reached for this request: %(msg)s") % {"msg": error.msg}
        return _("The video service cannot be reached at the moment. We will try again automatically.")
    if isinstance(error, ParamError) and error.code is None:
        return _("This request is not valid: %(msg)s") % {"msg": error.msg}
    if isinstance(error, AuthError) and error.code is None:
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
