"""Problems are stored as facts and worded when shown (studio.generations.problems)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from studio.chanjing.errors import (
    AmbiguousSubmit,
    AuthError,
    ParamError,
    RateLimited,
    ServerError,
    TransportError,
    UploadRejected,
    UploadTimeout,
)
from studio.chanjing.explain import explain
from studio.generations import problems
from tests.factories import make_generation

ERRORS = [
    RateLimited("QPS", code=40001),
    ServerError("模型不存在", code=50000, retryable=False),
    AuthError("credentials refused"),
    ParamError("The prompt is empty."),
    TransportError("read timeout"),
    TransportError("refused", retryable=False),
    AmbiguousSubmit("lost"),
    UploadRejected("x", file_status=98),
    UploadRejected("x", file_status=99),
    UploadTimeout("slow"),
]


@pytest.mark.parametrize("error", ERRORS, ids=repr)
def test_stored_facts_read_as_the_error_did(error):
    facts = problems.from_error(error)
    assert "type" not in facts["params"], "no class names are stored"
    assert problems.describe(facts["kind"], code=facts["code"], raw=facts["raw"], params=facts["params"]) == (
        explain(error)
    )


def test_a_stored_problem_is_worded_in_the_readers_language():
    facts = problems.from_error(UploadRejected("x", file_status=98))
    english = problems.in_english(**facts)
    assert "content check" in english
    with translation.override("zh-hans"):
        chinese = problems.describe(**facts)
    assert chinese and chinese != english


@pytest.mark.django_db
def test_problems_stored_with_class_names_are_given_their_reason():
    migration = importlib.import_module("studio.generations.migrations.0007_issue16_problem_reasons")
    rejected = make_generation(
        error_kind=problems.PROVIDER,
        error_params={"type": "UploadRejected", "retryable": False, "file_status": 98},
    )
    unreachable = make_generation(
        error_kind=problems.PROVIDER, error_params={"type": "TransportError", "retryable": True}
    )
    busy = make_generation(
        error_kind=problems.PROVIDER,
        error_code=40001,
        error_params={"type": "RateLimited", "retryable": True},
    )
    migration.forwards(apps, None)
    for generation in (rejected, unreachable, busy):
        generation.refresh_from_db()
    assert rejected.error_params == {"reason": "upload_rejected", "retryable": False, "file_status": 98}
    assert "content check" in problems.describe(
        rejected.error_kind, code=rejected.error_code, params=rejected.error_params
    )
    assert unreachable.error_params["reason"] == "unreachable"
    assert busy.error_params["reason"] == ""
    assert "busy" in problems.describe(busy.error_kind, code=busy.error_code, params=busy.error_params)
