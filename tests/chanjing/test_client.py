from __future__ import annotations

import json
import random
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from studio.chanjing.client import (
    SUBMIT_PATH,
    TASK_PAGE_PATH,
    TASK_PATH,
    TOKEN_PATH,
    ChanjingClient,
    MemoryTokenStore,
)
from studio.chanjing.errors import (
    AmbiguousSubmit,
    AuthError,
    BadRequest,
    ParamError,
    RateLimited,
    ServerError,
    TransportError,
)
from studio.chanjing.types import SubmitRequest
from studio.chanjing.wire import provably_not_sent

from .conftest import APP_ID, BASE, SECRET, envelope

UID = "a60747d7-dc05-4afc-b2ef-ee4370ed53c6"
REQ = SubmitRequest(prompt="女孩在花海中转身微笑", duration=5, start_frame_url="https://img.test/a.jpg")


def calls_to(rsps, path: str) -> list[Any]:
    return [call for call in rsps.calls if call.request.url.split("?")[0] == BASE + path]


def expected_waits(count: int, base: float = 0.5, cap: float = 8.0, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(0, min(cap, base * 2**retry)) for retry in range(count)]


# --- Success paths and the wire format ------------------------------------------------------


def test_submit_sends_contract_body_and_headers(client, rsps, tokens, journal):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(UID, trace_id="tr-submit"))

    assert client.submit(REQ) == UID

    token_call = calls_to(rsps, TOKEN_PATH)[0]
    assert json.loads(token_call.request.body) == {"app_id": APP_ID, "secret_key": SECRET}
    request = calls_to(rsps, SUBMIT_PATH)[0].request
    assert request.headers["access_token"] == "tok-1"
    assert "Authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body["ref_prompt"] == "女孩在花海中转身微笑"
    assert body["creation_type"] == 4
    assert body["start_frame"] == "https://img.test/a.jpg"
    assert body["ref_img_url"] == ["https://img.test/a.jpg"]
    assert [record.endpoint for record in journal] == [TOKEN_PATH, SUBMIT_PATH]
    assert journal[-1].ok and journal[-1].trace_id == "tr-submit" and journal[-1].code == 0
    assert client.last_call.trace_id == "tr-submit"


def test_every_call_has_explicit_connect_and_read_timeouts(make_client, tokens, rsps, monkeypatch):
    client = make_client(connect_timeout=1.5, read_timeout=7)
    seen = []
    original = client.session.request

    def spy(*args, **kwargs):
        seen.append(kwargs["timeout"])
        return original(*args, **kwargs)

    monkeypatch.setattr(client.session, "request", spy)
    rsps.get(BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": "Queued"}))
    client.task(UID)
    assert seen == [(1.5, 7), (1.5, 7)]


def test_the_token_is_fetched_once_and_shared(client, rsps, tokens):
    rsps.get(BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": "Queued"}))
    client.task(UID)
    client.task(UID)
    assert tokens == ["tok-1"]
    assert client.access_token() == "tok-1"


def test_task_parses_the_object_and_ignores_extra_fields(client, rsps):
    rsps.get(
        BASE + TASK_PATH,
        json=envelope(
            {
                "unique_id": UID,
                "progress_desc": "Success",
                "err_msg": "",
                "output_url": ["https://cdn.test/v.mp4"],
                "create_time": 1732900000,
                "model_code": "Doubao-Seedance-1.0-lite-i2v",
                "aspect_ratio": "9:16",
                "motion_info": {"ref_prompt": "a cat", "video_duration": 5},
                "brand_new_field": {"nested": True},
                "id": 991,
            }
        ),
    )
    info = client.task(UID)
    assert calls_to(rsps, TASK_PATH)[0].request.params == {"unique_id": UID}
    assert info.unique_id == UID
    assert info.succeeded and info.is_terminal and not info.failed
    assert info.video_url == "https://cdn.test/v.mp4"
    assert info.create_time == 1732900000
    assert info.ref_prompt == "a cat"
    assert info.raw["brand_new_field"] == {"nested": True}


@pytest.mark.parametrize("status", ["Rendering", "success", "", "Paused"])
def test_unknown_status_is_kept_verbatim_and_never_terminal(client, rsps, status):
    rsps.get(
        BASE + TASK_PATH,
        json=envelope({"unique_id": UID, "progress_desc": status, "output_url": ["https://cdn.test/v.mp4"]}),
    )
    info = client.task(UID)
    assert info.status == status
    assert not info.is_terminal and not info.succeeded and not info.failed
    assert info.video_url is None


@pytest.mark.parametrize("status", ["Error", "Fail", "Cancelled"])
def test_failed_statuses_are_terminal(client, rsps, status):
    rsps.get(
        BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": status, "err_msg": "审核不通过"})
    )
    info = client.task(UID)
    assert info.failed and info.is_terminal and not info.succeeded
    assert info.err_msg == "审核不通过"


def test_tasks_posts_the_page_query_and_parses_the_page(client, rsps):
    rsps.post(
        BASE + TASK_PAGE_PATH,
        json=envelope(
            {
                "list": [
                    {"unique_id": "u1", "progress_desc": "Generating"},
                    {"unique_id": "u2", "progress_desc": "Success", "output_url": ["https://cdn.test/2.mp4"]},
                ],
                "total": 2,
                "page_info": {"page": 1, "size": 50, "total_count": 2, "total_page": 1},
            }
        ),
    )
    page = client.tasks(["u1", "u2"])
    request = calls_to(rsps, TASK_PAGE_PATH)[0].request
    assert json.loads(request.body) == {
        "unique_ids": ["u1", "u2"],
        "type": 4,
        "page": 1,
        "page_size": 50,
        "is_success": False,
    }
    assert request.headers["Content-Type"] == "application/json"
    assert [item.unique_id for item in page.items] == ["u1", "u2"]
    assert (page.total, page.page, page.total_page) == (2, 1, 1)
    assert page.items[1].video_url == "https://cdn.test/2.mp4"


def test_tasks_without_ids_lists_recent_tasks(client, rsps):
    rsps.post(BASE + TASK_PAGE_PATH, json=envelope({"list": [], "total": 0, "page_info": {"total_page": 0}}))
    page = client.tasks([], page=2, page_size=10)
    body = json.loads(calls_to(rsps, TASK_PAGE_PATH)[0].request.body)
    assert "unique_ids" not in body and body["page"] == 2 and body["page_size"] == 10
    assert page.items == [] and page.total == 0


def test_tasks_refuses_more_than_fifty_ids(client, rsps):
    with pytest.raises(ValueError, match="50"):
        client.tasks([f"id-{n}" for n in range(51)])
    with pytest.raises(ValueError):
        client.tasks(["a"], page_size=51)
    assert len(rsps.calls) == 0


# --- 10400: one refresh, one retry ---------------------------------------------------------


def test_10400_refreshes_the_token_once_and_retries_once(client, rsps, tokens, clock):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=10400, msg="AccessToken 验证失败"))
    rsps.post(BASE + SUBMIT_PATH, json=envelope(UID))

    assert client.submit(REQ) == UID

    assert tokens == ["tok-1", "tok-2"]
    submits = calls_to(rsps, SUBMIT_PATH)
    assert [call.request.headers["access_token"] for call in submits] == ["tok-1", "tok-2"]
    assert clock.sleeps == []


def test_10400_twice_raises_auth_error_after_one_refresh(client, rsps, tokens):
    rsps.get(BASE + TASK_PATH, json=envelope(None, code=10400, msg="AccessToken 验证失败", trace_id="tr-a"))

    with pytest.raises(AuthError) as caught:
        client.task(UID)

    assert tokens == ["tok-1", "tok-2"]
    assert len(calls_to(rsps, TASK_PATH)) == 2
    assert caught.value.code == 10400 and caught.value.trace_id == "tr-a"
    assert not caught.value.retryable


def test_10400_does_not_refresh_when_another_worker_already_did(make_client, rsps, tokens):
    store = MemoryTokenStore()
    client = make_client(token_store=store)
    seen = []

    def answer(request):
        seen.append(request.headers["access_token"])
        if len(seen) == 1:
            # Another worker replaces the shared token while this call is in flight.
            store.token = "tok-from-elsewhere"
            return 200, {}, json.dumps(envelope(None, code=10400, msg="expired"))
        return 200, {}, json.dumps(envelope({"unique_id": UID, "progress_desc": "Queued"}))

    rsps.add_callback(responses.GET, BASE + TASK_PATH, callback=answer)
    client.task(UID)
    assert seen == ["tok-1", "tok-from-elsewhere"]
    assert tokens == ["tok-1"]


def test_bad_credentials_raise_auth_error_without_the_secret(client, rsps, journal):
    rsps.replace(
        responses.POST,
        BASE + TOKEN_PATH,
        json=envelope(None, code=40000, msg=f"secret_key {SECRET} is wrong"),
    )
    with pytest.raises(AuthError) as caught:
        client.task(UID)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert all(SECRET not in record.msg for record in journal)
    assert len(calls_to(rsps, TOKEN_PATH)) == 1
    assert calls_to(rsps, TASK_PATH) == []


# --- 40001, 50000 and other business codes --------------------------------------------------


def test_40001_backs_off_with_full_jitter_then_raises_rate_limited(client, rsps, clock):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=40001, msg="超出 QPS 限制", trace_id="tr-q"))

    with pytest.raises(RateLimited) as caught:
        client.submit(REQ)

    assert len(calls_to(rsps, SUBMIT_PATH)) == 4  # the first try and max_retries=3 retries
    assert clock.sleeps == pytest.approx(expected_waits(3))
    for retry, wait in enumerate(clock.sleeps):
        assert 0 <= wait <= 0.5 * 2**retry
    assert caught.value.retryable and caught.value.code == 40001 and caught.value.trace_id == "tr-q"


def test_40001_then_success(client, rsps, clock):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=40001, msg="QPS"))
    rsps.post(BASE + SUBMIT_PATH, json=envelope(UID))
    assert client.submit(REQ) == UID
    assert len(clock.sleeps) == 1


def test_backoff_is_capped(make_client, tokens, rsps, clock):
    client = make_client(max_retries=6, backoff_base=1.0, backoff_cap=2.0)
    rsps.get(BASE + TASK_PATH, json=envelope(None, code=50000, msg="系统内部错误"))
    with pytest.raises(ServerError):
        client.task(UID)
    assert len(clock.sleeps) == 6
    assert all(0 <= wait <= 2.0 for wait in clock.sleeps)
    assert clock.sleeps == pytest.approx(expected_waits(6, base=1.0, cap=2.0))


@pytest.mark.parametrize("code", [50000, 12345])
def test_internal_and_undocumented_codes_are_retried_a_bounded_number_of_times(client, rsps, clock, code):
    rsps.get(BASE + TASK_PATH, json=envelope(None, code=code, msg="oops", trace_id="tr-5"))
    with pytest.raises(ServerError) as caught:
        client.task(UID)
    assert len(calls_to(rsps, TASK_PATH)) == 4
    assert len(clock.sleeps) == 3
    assert caught.value.retryable
    assert (caught.value.code, caught.value.msg, caught.value.trace_id) == (code, "oops", "tr-5")


def test_50000_on_submit_is_an_explicit_answer_and_is_retried(client, rsps):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=50000, msg="系统内部错误"))
    rsps.post(BASE + SUBMIT_PATH, json=envelope(UID))
    assert client.submit(REQ) == UID
    assert len(calls_to(rsps, SUBMIT_PATH)) == 2


def test_a_json_envelope_on_http_500_counts_as_the_business_answer(client, rsps):
    rsps.post(BASE + SUBMIT_PATH, status=500, json=envelope(None, code=50000, msg="busy"))
    rsps.post(BASE + SUBMIT_PATH, json=envelope(UID))
    assert client.submit(REQ) == UID


def test_unknown_model_is_not_retried(client, rsps, clock):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=50000, msg="模型不存在"))
    with pytest.raises(ServerError) as caught:
        client.submit(REQ)
    assert len(calls_to(rsps, SUBMIT_PATH)) == 1
    assert not caught.value.retryable and clock.sleeps == []


@pytest.mark.parametrize(("code", "error_class"), [(400, BadRequest), (40000, ParamError)])
@pytest.mark.parametrize("method", ["submit", "task"])
def test_400_and_40000_are_never_retried(client, rsps, clock, code, error_class, method):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=code, msg="参数错误", trace_id="tr-p"))
    rsps.get(BASE + TASK_PATH, json=envelope(None, code=code, msg="参数错误", trace_id="tr-p"))
    with pytest.raises(error_class) as caught:
        client.submit(REQ) if method == "submit" else client.task(UID)
    path = SUBMIT_PATH if method == "submit" else TASK_PATH
    assert len(calls_to(rsps, path)) == 1
    assert clock.sleeps == []
    assert (caught.value.code, caught.value.msg, caught.value.trace_id) == (code, "参数错误", "tr-p")
    assert not caught.value.retryable


def test_out_of_credit_is_flagged(client, rsps):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(None, code=40000, msg="账户蝉豆不足"))
    with pytest.raises(ParamError) as caught:
        client.submit(REQ)
    assert caught.value.out_of_credit


# --- Transport faults ----------------------------------------------------------------------

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
TRUNCATED = '{"trace_id": "x", "code": 0, "msg": "succ'


def test_html_502_on_a_read_is_retried_then_transport_error(client, rsps, clock):
    rsps.get(BASE + TASK_PATH, status=502, body=HTML_502, content_type="text/html")
    with pytest.raises(TransportError) as caught:
        client.task(UID)
    assert not isinstance(caught.value, AmbiguousSubmit)
    assert len(calls_to(rsps, TASK_PATH)) == 4
    assert caught.value.http_status == 502 and caught.value.retryable
    assert "HTML" in caught.value.msg


def test_truncated_json_on_a_read_is_retried_and_can_recover(client, rsps):
    rsps.get(BASE + TASK_PATH, body=TRUNCATED)
    rsps.get(BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": "Ready"}))
    assert client.task(UID).status == "Ready"


def test_json_that_is_not_the_envelope_is_a_transport_error(client, rsps):
    rsps.get(BASE + TASK_PATH, json=[1, 2, 3])
    with pytest.raises(TransportError):
        client.task(UID)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502, "body": HTML_502, "content_type": "text/html"},
        {"status": 200, "body": TRUNCATED},
        {"status": 503, "body": ""},
        {"status": 200, "body": requests.ReadTimeout("read timed out")},
        {"status": 200, "body": requests.ConnectionError(ProtocolError("Connection aborted."))},
        {"status": 200, "body": requests.exceptions.ChunkedEncodingError("broken")},
        {"status": 200, "json": envelope(None)},
    ],
    ids=["html-502", "truncated", "503", "read-timeout", "aborted", "chunked", "no-task-id"],
)
def test_lost_submit_answers_raise_ambiguous_submit_after_exactly_one_request(client, rsps, clock, fault):
    rsps.post(BASE + SUBMIT_PATH, **fault)
    with pytest.raises(AmbiguousSubmit) as caught:
        client.submit(REQ)
    assert len(calls_to(rsps, SUBMIT_PATH)) == 1
    assert clock.sleeps == []
    assert isinstance(caught.value, TransportError)
    assert not caught.value.retryable
    assert "task list" in caught.value.msg


def test_read_timeout_on_a_read_is_retried(client, rsps):
    rsps.get(BASE + TASK_PATH, body=requests.ReadTimeout("read timed out"))
    rsps.get(BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": "Queued"}))
    assert client.task(UID).status == "Queued"
    assert len(calls_to(rsps, TASK_PATH)) == 2


def test_connect_errors_on_submit_are_retried(client, rsps, clock):
    refused = requests.ConnectionError(
        MaxRetryError(None, BASE + SUBMIT_PATH, NewConnectionError(None, "Connection refused"))
    )
    rsps.post(BASE + SUBMIT_PATH, body=requests.ConnectTimeout("connect timed out"))
    rsps.post(BASE + SUBMIT_PATH, body=refused)
    rsps.post(BASE + SUBMIT_PATH, json=envelope(UID))
    assert client.submit(REQ) == UID
    assert len(calls_to(rsps, SUBMIT_PATH)) == 3
    assert len(clock.sleeps) == 2


def test_connect_errors_exhaust_into_transport_error(client, rsps):
    rsps.post(BASE + SUBMIT_PATH, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(TransportError) as caught:
        client.submit(REQ)
    assert not isinstance(caught.value, AmbiguousSubmit)
    assert caught.value.retryable
    assert len(calls_to(rsps, SUBMIT_PATH)) == 4


def test_a_real_refused_connection_counts_as_not_sent(clock):
    """Port 9 on localhost is closed here: requests raises what a real outage raises."""
    client = ChanjingClient(
        "http://127.0.0.1:9",
        APP_ID,
        SECRET,
        token_store=MemoryTokenStore(),
        max_retries=1,
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(TransportError) as caught:
        client._call("POST", SUBMIT_PATH, json_body={}, auth=False, submit=True)
    assert not isinstance(caught.value, AmbiguousSubmit)
    assert len(clock.sleeps) == 1


def test_provably_not_sent_is_conservative():
    assert provably_not_sent(requests.ConnectTimeout())
    assert not provably_not_sent(requests.ReadTimeout())
    assert not provably_not_sent(requests.ConnectionError(ProtocolError("Connection aborted.")))
    assert not provably_not_sent(requests.ConnectionError("something"))


# --- Secrets ---------------------------------------------------------------------------------


def test_token_and_secret_never_appear_in_errors_or_the_journal(client, rsps, tokens, journal):
    def echo(request):
        token = request.headers["access_token"]
        return 200, {}, json.dumps(envelope(None, code=10400, msg=f"token {token} invalid; key {SECRET}"))

    rsps.add_callback(responses.GET, BASE + TASK_PATH, callback=echo)
    rsps.post(BASE + SUBMIT_PATH, body=requests.ReadTimeout(f"timeout with {SECRET}"))
    with pytest.raises(AuthError) as auth_error:
        client.task(UID)
    with pytest.raises(AmbiguousSubmit) as ambiguous:
        client.submit(REQ)

    secrets = [SECRET, *tokens]
    assert len(tokens) == 2
    for error in (auth_error.value, ambiguous.value):
        for secret in secrets:
            assert secret not in str(error) and secret not in repr(error) and secret not in error.msg
    for record in journal:
        for secret in secrets:
            assert secret not in repr(record)
    assert "[redacted]" in auth_error.value.msg
    assert SECRET not in repr(client)


def test_a_failing_journal_never_breaks_the_call(make_client, tokens, rsps):
    def broken_journal(record):
        raise RuntimeError("database is down")

    client = make_client(journal=broken_journal)
    rsps.get(BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": "Queued"}))
    assert client.task(UID).status == "Queued"


def test_the_rate_limiter_is_asked_before_every_api_call(make_client, tokens, rsps):
    class Counter:
        count = 0

        def acquire(self) -> None:
            self.count += 1

    limiter = Counter()
    client = make_client(rate_limiter=limiter)
    rsps.get(BASE + TASK_PATH, json=envelope(None, code=50000))
    rsps.get(BASE + TASK_PATH, json=envelope({"unique_id": UID, "progress_desc": "Queued"}))
    client.task(UID)
    assert limiter.count == 2
