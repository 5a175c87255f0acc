"""The Chanjing client against the sandbox provider over real HTTP: one test per code and fault.

Each test states the client's behaviour in numbers: HTTP attempts (the sandbox's RequestLog and
the client's ProviderCall journal), the waits (a recording `sleep`), the token fetches, the
error type, and the words the user sees (`explain`). docs/chanjing-client.md tabulates them.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace
from typing import Any

import pytest
import requests

from studio.chanjing.client import (
    FILE_DETAIL_PATH,
    PUT_ENDPOINT,
    SUBMIT_PATH,
    TASK_PAGE_PATH,
    TASK_PATH,
    TOKEN_PATH,
    UPLOAD_URL_PATH,
)
from studio.chanjing.errors import (
    AmbiguousSubmit,
    AuthError,
    BadRequest,
    ParamError,
    RateLimited,
    ServerError,
    TransportError,
    UploadRejected,
)
from studio.chanjing.explain import explain
from studio.chanjing.models import ProviderToken
from studio.chanjing.types import FILE_READY, FILE_REJECTED, SubmitRequest
from studio.sandbox.models import AccessToken, Task

from .conftest import (
    APP_ID,
    MODEL,
    SECRET,
    ceilings,
    expected_waits,
    journal,
    png,
    sandbox_calls,
)

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = SubmitRequest(prompt="一只红色风筝飞过海面, slow dolly", duration=5, aspect_ratio="16:9", clarity=720)


def submit_body(**fields) -> dict[str, Any]:
    body = {"ref_prompt": "a red kite", "creation_type": 4, "model_code": MODEL, "video_duration": 5}
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


# --- Success of every endpoint ---------------------------------------------------------------


def test_the_token_is_fetched_once_into_the_shared_row(cj):
    token = cj.access_token()

    assert cj.access_token() == token
    row = ProviderToken.objects.get()
    assert row.token == token and row.app_id == APP_ID
    assert row.expires_at.timestamp() > time.time() + 3000  # expire_in read as an absolute time
    assert sandbox_calls() == {"access_token": 1}
    assert [call.endpoint for call in journal()] == [TOKEN_PATH]


def test_text_to_video_from_submit_to_download(cj, waits):
    unique_id = cj.submit(TEXT)

    info = cj.task(unique_id)
    assert info.unique_id == unique_id and info.status == "Success" and info.succeeded
    assert info.ref_prompt == TEXT.prompt and info.aspect_ratio == "16:9" and info.model_code == MODEL
    listed = cj.tasks([unique_id])
    assert [item.unique_id for item in listed.items] == [unique_id] and listed.total == 1
    recent = cj.tasks([])
    assert unique_id in [item.unique_id for item in recent.items]

    video = io.BytesIO()
    size, sha256, content_type = cj.download(info.video_url, video, max_bytes=10_000_000)
    assert content_type == "video/mp4" and size == len(video.getvalue()) > 0 and len(sha256) == 64
    assert video.getvalue()[4:8] == b"ftyp"

    assert sandbox_calls() == {"access_token": 1, "task_submit": 1, "task_detail": 1, "task_page": 2}
    assert waits == []
    submit_row = journal(SUBMIT_PATH)[0]
    assert submit_row.ok and submit_row.code == 0 and len(submit_row.trace_id) == 32
    assert [call.endpoint for call in journal()][-1] == "download"


def test_image_to_video_with_uploaded_frames(cj, waits):
    start = cj.upload_image("start.png", png((230, 40, 40)))
    end = cj.upload_image("end.png", png((40, 40, 230)))

    unique_id = cj.submit(replace(TEXT, start_frame_url=start, end_frame_url=end))
    task = Task.objects.get(unique_id=unique_id)
    assert task.body["start_frame"] == start and task.body["end_frame"] == end
    assert task.body["ref_img_url"] == [start, end]  # CHANJING_FRAME_MODE=both: the forms agree
    info = cj.task(unique_id)
    assert info.succeeded and info.raw["ref_img_url"] == [start, end]

    assert sandbox_calls() == {
        "access_token": 1,
        "create_upload_url": 2,
        "file_detail": 2,
        "task_submit": 1,
        "task_detail": 1,
    }
    assert len(journal(PUT_ENDPOINT)) == 2 and all(call.ok for call in journal(PUT_ENDPOINT))
    assert waits == []


def test_upload_steps_one_by_one(cj):
    ticket = cj.create_upload_url("frame.webp")
    assert ticket.mime_type == "image/webp" and ticket.full_path.endswith("/frame.webp")

    cj.put_file(ticket, b"RIFF....WEBPVP8 ")
    info = cj.file_detail(ticket.file_id)

    assert info.status == FILE_READY and info.file_id == ticket.file_id
    assert requests.get(ticket.full_path, timeout=5).headers["Content-Type"] == "image/webp"
    assert sandbox_calls() == {"access_token": 1, "create_upload_url": 1, "file_detail": 1}


# --- 400 and 40000: never retried -----------------------------------------------------------


def test_400_a_malformed_body_is_not_retried(primed, waits):
    with pytest.raises(BadRequest) as caught:
        primed._call("POST", SUBMIT_PATH)  # no body at all: not JSON

    error = caught.value
    assert error.code == 400 and not error.retryable and "JSON" in error.msg
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    assert waits == []
    assert explain(error) == f"The video service could not read this request: {error.msg}"


BAD_FIELDS = [
    ({"ref_prompt": ""}, "ref_prompt"),
    ({"ref_prompt": "字" * 2001}, "ref_prompt"),
    ({"creation_type": 3}, "creation_type"),
    ({"model_code": ""}, "model_code"),
    ({"video_duration": 7}, "video_duration"),
    ({"video_duration": "5"}, "video_duration"),
    ({"aspect_ratio": "4:3"}, "aspect_ratio"),
    ({"clarity": 480}, "clarity"),
    ({"start_frame": "ftp://img.example.com/a.jpg"}, "start_frame"),
    ({"end_frame": "https://img.example.com/b.jpg"}, "end_frame"),
    ({"ref_img_url": "https://img.example.com/a.jpg"}, "ref_img_url"),
    (
        {"start_frame": "https://img.example.com/a.jpg", "ref_img_url": ["https://img.example.com/z.jpg"]},
        "ref_img_url",
    ),
    ({"callback": "not a url"}, "callback"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_FIELDS)
def test_40000_names_the_bad_field_and_is_not_retried(primed, waits, fields, field):
    with pytest.raises(ParamError) as caught:
        primed._call("POST", SUBMIT_PATH, json_body=submit_body(**fields), submit=True)

    error = caught.value
    assert error.code == 40000 and not error.retryable and field in error.msg
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    assert waits == [] and not Task.objects.exists()
    shown = explain(error)
    assert shown.startswith("The video service refused a parameter") and field in shown


@pytest.mark.parametrize(
    ("call", "endpoint", "words"),
    [
        (lambda cj: cj.task("00000000-0000-0000-0000-000000000000"), "task_detail", "任务不存在"),
        (lambda cj: cj.file_detail("no-such-file"), "file_detail", "文件不存在"),
        (lambda cj: cj.create_upload_url(""), "create_upload_url", "name"),
        (lambda cj: cj._call("POST", TASK_PAGE_PATH, json_body={"page": 1}), "task_page", "type"),
    ],
)
def test_40000_on_the_other_endpoints(primed, waits, call, endpoint, words):
    with pytest.raises(ParamError) as caught:
        call(primed)

    assert caught.value.code == 40000 and words in caught.value.msg
    assert sandbox_calls() == {"access_token": 1, endpoint: 1}
    assert waits == []


def test_what_the_contract_forbids_is_refused_before_sending(primed, waits):
    for request in (
        replace(TEXT, duration=7),
        replace(TEXT, prompt="x" * 2001),
        replace(TEXT, end_frame_url="https://img.example.com/b.jpg"),
    ):
        with pytest.raises(ParamError) as caught:
            primed.submit(request)
        assert caught.value.code is None
        assert explain(caught.value).startswith("This request is not valid: ")
    assert sandbox_calls() == {"access_token": 1}
    assert waits == []


# --- 10400: one refresh, one retry ----------------------------------------------------------


def test_10400_from_an_expired_token_refreshes_once_and_retries_once(primed, waits):
    unique_id = primed.submit(TEXT)
    old = ProviderToken.objects.get().token
    AccessToken.objects.filter(token=old).update(expires_at="2000-01-01T00:00:00Z")

    assert primed.task(unique_id).succeeded

    assert sandbox_calls() == {"access_token": 2, "task_submit": 1, "task_detail": 2}
    assert [call.code for call in journal(TASK_PATH)] == [10400, 0]
    assert ProviderToken.objects.get().token not in ("", old)
    assert waits == []  # a refresh is not a backoff


def test_10400_from_a_token_replaced_by_another_process(primed, sb, waits):
    old = ProviderToken.objects.get().token
    # Someone else (a script, a second deployment) fetches a token for the same app.
    answer = requests.post(
        f"{sb}/open/v1/access_token", json={"app_id": APP_ID, "secret_key": SECRET}, timeout=5
    ).json()
    assert answer["code"] == 0 and not AccessToken.is_valid(old)

    unique_id = primed.submit(TEXT)

    assert unique_id and Task.objects.count() == 1  # the rejected attempt created nothing
    assert sandbox_calls() == {"access_token": 3, "task_submit": 2}  # ours, theirs, our refresh
    assert [call.code for call in journal(SUBMIT_PATH)] == [10400, 0]
    assert len(journal(TOKEN_PATH)) == 2
    assert waits == []


def test_10400_again_after_the_refresh_is_an_auth_error(cj, settings, waits):
    settings.SANDBOX_TOKEN_TTL = -60  # every token the sandbox issues is already expired

    with pytest.raises(AuthError) as caught:
        cj.task("00000000-0000-0000-0000-000000000000")

    error = caught.value
    assert error.code == 10400 and not error.retryable
    # first token, refresh after the 10400, and the store's own refresh of a token that is
    # already past its expiry before the single retry
    assert sandbox_calls() == {"access_token": 3, "task_detail": 2}
    assert waits == []
    assert explain(error) == (
        "The studio could not sign in to the video service. Please contact an administrator."
    )


def test_wrong_credentials_are_an_auth_error_without_the_secret(make_client, settings, waits):
    settings.SANDBOX_SECRET_KEY = "the-real-secret"

    with pytest.raises(AuthError) as caught:
        make_client().task("00000000-0000-0000-0000-000000000000")

    assert caught.value.code == 40000 and SECRET not in str(caught.value)
    assert sandbox_calls() == {"access_token": 1}
    assert waits == []


# --- 40001: jittered backoff, then RateLimited ---------------------------------------------


def test_40001_from_the_qps_limit_backs_off_then_raises_rate_limited(primed, settings, waits):
    # One call per 100 s: the token call already used the window, so every call now is refused.
    settings.SANDBOX_QPS_LIMIT = 0.01

    with pytest.raises(RateLimited) as caught:
        primed.task("00000000-0000-0000-0000-000000000000")

    error = caught.value
    assert error.code == 40001 and error.retryable  # try again later, never drop the work
    assert sandbox_calls() == {"access_token": 1, "task_detail": 4}
    assert waits == pytest.approx(expected_waits(3))
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings(3), strict=True))
    assert explain(error) == "The video service is busy right now. We will retry automatically."


def test_40001_recovers_when_the_limit_frees_up(make_client, settings):
    settings.SANDBOX_QPS_LIMIT = 0.01
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        if len(waited) == 2:
            settings.SANDBOX_QPS_LIMIT = 0  # the window has passed

    cj = make_client(sleep=sleep)
    cj.access_token()
    unique_id = cj.submit(TEXT)

    assert Task.objects.get().unique_id == unique_id
    assert sandbox_calls() == {"access_token": 1, "task_submit": 3}
    assert [call.code for call in journal(SUBMIT_PATH)] == [40001, 40001, 0]
    assert waited == pytest.approx(expected_waits(2))


def test_40001_from_the_prompt_marker(primed, waits):
    with pytest.raises(RateLimited) as caught:
        primed.submit(replace(TEXT, prompt="a kite [40001]"))

    assert caught.value.code == 40001 and caught.value.msg == "超出 QPS 限制"
    assert sandbox_calls() == {"access_token": 1, "task_submit": 4}
    assert waits == pytest.approx(expected_waits(3))
    assert not Task.objects.exists()


# --- 50000 and unknown model ----------------------------------------------------------------


def test_50000_from_the_fault_rate_is_retried_then_server_error(primed, settings, waits):
    settings.SANDBOX_FAULT_50000_RATE = 1

    with pytest.raises(ServerError) as caught:
        primed.tasks([])

    error = caught.value
    assert error.code == 50000 and error.retryable and error.trace_id
    assert sandbox_calls() == {"access_token": 1, "task_page": 4}
    assert waits == pytest.approx(expected_waits(3))
    assert explain(error) == "The video service had an internal error. We will retry automatically."


def test_50000_from_the_prompt_marker_on_submit(primed, waits):
    with pytest.raises(ServerError) as caught:
        primed.submit(replace(TEXT, prompt="a kite [50000]"))

    assert caught.value.code == 50000 and caught.value.retryable
    assert sandbox_calls() == {"access_token": 1, "task_submit": 4}
    assert waits == pytest.approx(expected_waits(3))
    assert not Task.objects.exists()


def test_an_unknown_model_is_not_retried(primed, waits):
    with pytest.raises(ServerError) as caught:
        primed.submit(replace(TEXT, model_code="doubao-seedance-1.0-lite-i2v"))  # codes are case-sensitive

    error = caught.value
    assert error.code == 50000 and error.msg == "模型不存在" and not error.retryable
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    assert waits == []
    assert explain(error) == (
        "The video service does not know the configured model. Please contact an administrator."
    )


# --- Broken answers: 502 pages, truncated JSON, timeouts, lost submits ---------------------


def test_502_html_on_a_read_is_retried_then_transport_error(primed, settings, waits):
    settings.SANDBOX_FAULT_502_RATE = 1

    with pytest.raises(TransportError) as caught:
        primed.task("00000000-0000-0000-0000-000000000000")

    error = caught.value
    assert type(error) is TransportError and error.http_status == 502 and error.retryable
    assert "HTML" in error.msg and error.code is None
    assert sandbox_calls() == {"access_token": 1, "task_detail": 4}
    assert waits == pytest.approx(expected_waits(3))
    assert explain(error) == (
        "The video service cannot be reached at the moment. We will try again automatically."
    )


def test_502_html_on_submit_is_ambiguous_after_one_request(primed, settings, waits):
    settings.SANDBOX_FAULT_502_RATE = 1

    with pytest.raises(AmbiguousSubmit) as caught:
        primed.submit(TEXT)

    assert caught.value.http_status == 502 and not caught.value.retryable
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    assert waits == []
    assert explain(caught.value).startswith("We lost contact with the video service")


def test_truncated_json_on_a_read_is_retried_then_transport_error(primed, settings, waits):
    unique_id = primed.submit(TEXT)
    settings.SANDBOX_FAULT_TRUNCATED_RATE = 1

    with pytest.raises(TransportError) as caught:
        primed.task(unique_id)

    error = caught.value
    assert type(error) is TransportError and error.http_status == 200 and error.retryable
    assert "not the JSON envelope" in error.msg
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1, "task_detail": 4}
    assert waits == pytest.approx(expected_waits(3))


def test_truncated_json_on_submit_is_ambiguous_and_the_task_is_found(primed, settings, waits):
    settings.SANDBOX_FAULT_TRUNCATED_RATE = 1
    with pytest.raises(AmbiguousSubmit) as caught:
        primed.submit(TEXT)
    assert caught.value.http_status == 200
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    assert waits == []

    settings.SANDBOX_FAULT_TRUNCATED_RATE = 0
    found = [item for item in primed.tasks([]).items if item.ref_prompt == TEXT.prompt]
    assert [item.unique_id for item in found] == [Task.objects.get().unique_id]


def test_a_slow_read_times_out_and_is_retried(make_client, settings, waits):
    cj = make_client(read_timeout=0.5, max_retries=1)
    cj.access_token()
    settings.SANDBOX_FAULT_SLOW_RATE = 1
    settings.SANDBOX_FAULT_SLOW_SECONDS = 1.0

    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        cj.tasks([])
    elapsed = time.monotonic() - started

    error = caught.value
    assert type(error) is TransportError and error.retryable and error.msg.startswith("read timeout")
    assert 1.0 <= elapsed < 2.5  # two attempts of 0.5 s each, not two of the sandbox's 1 s
    assert len(journal(TASK_PAGE_PATH)) == 2
    assert waits == pytest.approx(expected_waits(1))
    time.sleep(1.0)  # let the sandbox finish the abandoned answers before the database is flushed
    assert sandbox_calls() == {"access_token": 1, "task_page": 2}


def test_a_slow_submit_is_ambiguous_after_one_request_and_the_task_exists(make_client, settings, waits):
    cj = make_client(read_timeout=0.5)
    cj.access_token()
    settings.SANDBOX_FAULT_SLOW_RATE = 1
    settings.SANDBOX_FAULT_SLOW_SECONDS = 1.0

    with pytest.raises(AmbiguousSubmit) as caught:
        cj.submit(TEXT)

    assert "read timeout" in caught.value.msg and caught.value.http_status is None
    assert len(journal(SUBMIT_PATH)) == 1
    assert waits == []
    time.sleep(1.0)
    settings.SANDBOX_FAULT_SLOW_RATE = 0
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    found = [item for item in cj.tasks([]).items if item.ref_prompt == TEXT.prompt]
    assert len(found) == 1 and found[0].unique_id == Task.objects.get().unique_id


def test_submit_accepted_but_the_answer_lost(primed, settings, waits):
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 1

    with pytest.raises(AmbiguousSubmit) as caught:
        primed.submit(TEXT)

    error = caught.value
    assert error.http_status == 504 and not error.retryable
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1}
    assert waits == []
    assert explain(error) == (
        "We lost contact with the video service while sending this request. "
        "We are checking whether it arrived before sending it again."
    )
    page = primed.tasks([])
    assert [item.unique_id for item in page.items] == [Task.objects.get().unique_id]
    assert page.items[0].ref_prompt == TEXT.prompt


# --- Uploads --------------------------------------------------------------------------------


def test_an_image_that_fails_the_content_check(primed, waits):
    with pytest.raises(UploadRejected) as caught:
        primed.upload_image("reject-me.png", png())

    error = caught.value
    assert error.file_status == FILE_REJECTED and not error.retryable
    assert sandbox_calls() == {"access_token": 1, "create_upload_url": 1, "file_detail": 1}
    assert len(journal(PUT_ENDPOINT)) == 1 and len(journal(FILE_DETAIL_PATH)) == 1
    assert waits == []
    assert explain(error) == (
        "Chanjing's content check rejected this image. Please choose a different image."
    )


def test_an_image_not_ready_yet_is_polled(make_client, settings, waits):
    settings.SANDBOX_FILE_READY_SECONDS = 0.3
    real_sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        real_sleeps.append(seconds)
        time.sleep(seconds)

    cj = make_client(sleep=sleep)
    url = cj.upload_image("slow.png", png(), poll_interval=0.2)

    assert requests.get(url, timeout=5).status_code == 200
    calls = sandbox_calls()
    assert calls["file_detail"] == len(real_sleeps) + 1 >= 2
    assert set(real_sleeps) == {0.2}


def test_a_put_with_the_wrong_content_type_is_refused_with_403(primed, waits):
    ticket = primed.create_upload_url("frame.png")

    with pytest.raises(TransportError) as caught:
        primed.put_file(replace(ticket, mime_type="image/jpeg"), png())

    error = caught.value
    assert error.http_status == 403 and not error.retryable and "Content-Type" in error.msg
    assert [call.http_status for call in journal(PUT_ENDPOINT)] == [403]
    assert waits == []
    assert explain(error).startswith("The video service could not be reached for this request: ")
    assert primed.file_detail(ticket.file_id).status == 0  # nothing stored
    assert sandbox_calls() == {"access_token": 1, "create_upload_url": 1, "file_detail": 1}
    assert len(journal(UPLOAD_URL_PATH)) == 1


# --- Task outcomes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "status", "err_words", "shown"),
    [
        ("[fail]", "Fail", "内容审核未通过", "The video was rejected by the content check."),
        ("[error]", "Error", "未扣费", "The provider could not generate this video."),
    ],
)
def test_failed_tasks(primed, marker, status, err_words, shown):
    unique_id = primed.submit(replace(TEXT, prompt=f"a kite {marker}"))

    info = primed.task(unique_id)
    assert info.status == status and info.failed and info.is_terminal and not info.succeeded
    assert err_words in info.err_msg and info.video_url is None and info.output_urls == []
    assert explain(msg=info.err_msg).startswith(shown)
    listed = primed.tasks([unique_id]).items[0]
    assert (listed.status, listed.err_msg) == (status, info.err_msg)
    assert sandbox_calls() == {"access_token": 1, "task_submit": 1, "task_detail": 1, "task_page": 1}


def test_a_slow_task_stays_generating(primed):
    unique_id = primed.submit(replace(TEXT, prompt="a kite [slow]"))

    info = primed.task(unique_id)

    assert info.status == "Generating" and not info.is_terminal and info.video_url is None


def test_an_unknown_status_is_kept_and_never_success(primed, monkeypatch):
    unique_id = primed.submit(TEXT)
    monkeypatch.setattr(Task, "status", lambda self, now=None: "Paused")

    info = primed.task(unique_id)
    listed = primed.tasks([unique_id]).items[0]

    for item in (info, listed):
        assert item.status == "Paused" and not item.is_known_status
        assert not item.is_terminal and not item.succeeded and not item.failed
        assert item.video_url is None


# --- Short-lived tokens ---------------------------------------------------------------------


def test_a_token_shorter_lived_than_the_refresh_margin_is_still_shared(make_client, settings, waits):
    # SANDBOX_TOKEN_TTL below CHANJING_TOKEN_REFRESH_MARGIN (300 s): a token must not be
    # treated as due for refresh the moment it is issued, or every call would fetch one.
    settings.SANDBOX_TOKEN_TTL = 60
    cj = make_client()

    for _ in range(3):
        cj.tasks([])

    assert sandbox_calls() == {"access_token": 1, "task_page": 3}
    assert waits == []


def test_a_short_lived_token_is_refreshed_before_it_expires(make_client, settings, waits):
    settings.SANDBOX_TOKEN_TTL = 2  # refreshed once half its life has passed
    cj = make_client()
    first = cj.access_token()
    cj.tasks([])
    time.sleep(1.1)

    cj.tasks([])

    assert ProviderToken.objects.get().token != first
    assert sandbox_calls() == {"access_token": 2, "task_page": 2}
    assert [call.code for call in journal(TASK_PAGE_PATH)] == [0, 0]  # no 10400 on the way
