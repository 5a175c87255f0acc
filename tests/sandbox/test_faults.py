from __future__ import annotations

import json
import time

import pytest

from studio.sandbox import faults
from studio.sandbox.models import RequestLog, Task

pytestmark = pytest.mark.django_db


def test_qps_limit_answers_40001_beyond_the_limit(api, sandbox_settings):
    sandbox_settings.SANDBOX_QPS_LIMIT = 2
    RequestLog.objects.all().delete()
    codes = [api.submit()["code"] for _ in range(4)]
    assert codes == [0, 0, 40001, 40001]
    assert Task.objects.count() == 2
    assert RequestLog.objects.filter(endpoint="task_submit", code=40001).count() == 2


def test_qps_limit_counts_every_endpoint(api, sandbox_settings):
    sandbox_settings.SANDBOX_QPS_LIMIT = 1
    RequestLog.objects.all().delete()
    assert api.task("x")["code"] == 40000
    assert api.submit()["code"] == 40001


def test_no_qps_limit_by_default(api):
    assert {api.submit()["code"] for _ in range(10)} == {0}


def test_50000_fault(api, sandbox_settings):
    sandbox_settings.SANDBOX_FAULT_50000_RATE = 1.0
    answer = api.submit()
    assert answer["code"] == 50000
    assert not Task.objects.exists()
    assert RequestLog.objects.filter(endpoint="task_submit", fault="50000").count() == 1


def test_502_fault_answers_an_html_page(api, sandbox_settings):
    sandbox_settings.SANDBOX_FAULT_502_RATE = 1.0
    response = api.post("ai_creation/task/submit", {})
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in response.content
    assert not Task.objects.exists()


def test_truncated_fault_cuts_the_json(api, sandbox_settings):
    sandbox_settings.SANDBOX_FAULT_TRUNCATED_RATE = 1.0
    response = api.get("ai_creation/task", unique_id="x")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert response.content.startswith(b'{"trace_id"')


def test_slow_fault_sleeps_before_answering(api, sandbox_settings):
    sandbox_settings.SANDBOX_FAULT_SLOW_RATE = 1.0
    sandbox_settings.SANDBOX_FAULT_SLOW_SECONDS = 0.3
    started = time.monotonic()
    assert api.submit()["code"] == 0
    assert time.monotonic() - started >= 0.3
    assert RequestLog.objects.filter(endpoint="task_submit", fault="slow").count() == 1


def test_lost_submit_creates_the_task_but_loses_the_answer(api, sandbox_settings):
    sandbox_settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1.0
    response = api.post(
        "ai_creation/task/submit",
        {
            "ref_prompt": "kite",
            "creation_type": 4,
            "model_code": "Doubao-Seedance-1.0-lite-i2v",
            "video_duration": 5,
        },
    )
    assert response.status_code == 504
    assert b"<html>" in response.content
    task = Task.objects.get()
    sandbox_settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0
    answer = api.call(
        "POST", "ai_creation/task/page", {"unique_ids": [], "type": 4, "page": 1, "page_size": 50}
    )
    assert [item["unique_id"] for item in answer["data"]["list"]] == [task.unique_id]


def test_faults_apply_to_the_token_endpoint_too(client, sandbox_settings, db):
    sandbox_settings.SANDBOX_FAULT_502_RATE = 1.0
    response = client.post("/sandbox/open/v1/access_token", {}, content_type="application/json")
    assert response.status_code == 502


def test_fractional_rates_follow_the_seeded_generator(api, sandbox_settings):
    sandbox_settings.SANDBOX_FAULT_50000_RATE = 0.5
    faults.rng.seed(7)
    codes = [api.task("x")["code"] for _ in range(40)]
    assert 5 < codes.count(50000) < 35
    assert set(codes) == {40000, 50000}
