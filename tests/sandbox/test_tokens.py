from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.sandbox.models import AccessToken, RequestLog

from .conftest import SandboxApi

pytestmark = pytest.mark.django_db


def test_token_is_issued_with_an_absolute_expiry(client, sandbox_settings):
    api = SandboxApi(client)
    before = int(time.time())
    answer = api.call("POST", "access_token", {"app_id": "test-app", "secret_key": "test-secret"})
    assert answer["code"] == 0
    assert len(answer["trace_id"]) == 32
    assert before + 3600 <= answer["data"]["expire_in"] <= int(time.time()) + 3600
    assert AccessToken.objects.get().token == answer["data"]["access_token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"app_id": "test-app", "secret_key": "nope"}, "secret_key"),
        ({"app_id": "other", "secret_key": "test-secret"}, "app_id"),
        ({"secret_key": "test-secret"}, "app_id"),
        ({"app_id": "test-app"}, "secret_key"),
    ],
)
def test_wrong_credentials_are_refused(client, body, field):
    answer = SandboxApi(client).call("POST", "access_token", body)
    assert answer["code"] == 40000
    assert field in answer["msg"]
    assert not AccessToken.objects.exists()


def test_every_call_is_logged_so_tests_can_count_them(api):
    api.issue_token()
    api.submit()
    assert RequestLog.objects.filter(endpoint="access_token", code=0).count() == 2
    assert RequestLog.objects.filter(endpoint="task_submit").count() == 1


def test_missing_token_is_refused(api):
    api.token = ""
    assert api.submit()["code"] == 10400
    assert api.call("GET", "common/file_detail", id="x")["code"] == 10400


def test_unknown_token_is_refused(api):
    api.token = "0" * 32
    assert api.task("whatever")["code"] == 10400


def test_expired_token_is_refused(api):
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = api.submit()
    assert answer["code"] == 10400
    assert answer["data"] is None


def test_issuing_a_new_token_invalidates_the_previous_one(api):
    first = api.token
    second = api.issue_token()
    assert first != second
    assert api.submit()["code"] == 0
    api.token = first
    assert api.submit()["code"] == 10400


def test_tokens_of_other_apps_are_not_replaced(api, sandbox_settings):
    AccessToken.issue("another-app")
    assert api.submit()["code"] == 0


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"a string"', ""])
def test_malformed_bodies_answer_code_400(api, raw):
    response = api.post("ai_creation/task/submit", raw)
    assert response.status_code == 200
    assert response.json()["code"] == 400


def test_wrong_method_is_405(api):
    assert api.get("ai_creation/task/submit").status_code == 405
