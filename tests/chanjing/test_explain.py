from __future__ import annotations

import pytest

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
)
from studio.chanjing.explain import explain


@pytest.mark.parametrize("words", ["余额不足", "蝉豆不足", "账户欠费", "扣费失败"])
def test_out_of_credit_is_said_plainly(words):
    error = ParamError(f"提交失败:{words}", code=40000)
    assert error.out_of_credit
    text = explain(error)
    assert "out of credit" in text and "administrator" in text
    assert "out of credit" in explain(msg=words)


def test_not_out_of_credit():
    assert not ChanjingError("参数错误", code=40000).out_of_credit


def test_param_error_shows_the_raw_message():
    assert "video_duration 不合法" in explain(ParamError("video_duration 不合法", code=40000))
    assert "refused a parameter" in explain(code=40000, msg="x")


def test_local_validation_is_explained_as_invalid():
    assert "not valid" in explain(ParamError("The prompt is empty."))


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (RateLimited("QPS", code=40001), "busy"),
        (ServerError("系统内部错误", code=50000), "retry automatically"),
        (ServerError("?", code=77777), "internal error"),
        (ServerError("模型不存在", code=50000, retryable=False), "model"),
        (AuthError("AccessToken 验证失败", code=10400), "sign in"),
        (AuthError("credentials refused"), "sign in"),
        (BadRequest("bad json", code=400), "bad json"),
        (TransportError("read timeout"), "cannot be reached"),
        (AmbiguousSubmit("lost"), "checking whether it arrived"),
        (UploadRejected("x", file_status=98), "content check"),
        (UploadRejected("x", file_status=99), "deleted"),
        (UploadTimeout("slow"), "too long"),
    ],
)
def test_each_kind_of_error_has_its_words(error, words):
    assert words in explain(error)


@pytest.mark.parametrize("err_msg", ["内容审核不通过", "涉嫌违规", "包含敏感信息"])
def test_moderation_failures(err_msg):
    assert "content check" in explain(msg=err_msg)


def test_other_task_failures():
    assert explain(msg="生成失败") == "The provider could not generate this video."
    assert explain() == "The provider could not generate this video."
    assert "out of credit" in explain(msg="蝉豆不足,扣费失败")
