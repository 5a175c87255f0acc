"""Every answer is checked at the client's edge: shapes, limits, ids, tokens and redaction."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import quote

import pytest
import responses

from studio.chanjing.client import SUBMIT_PATH, TASK_PAGE_PATH, TASK_PATH, TOKEN_PATH, MemoryTokenStore
from studio.chanjing.errors import AmbiguousSubmit, MalformedAnswer, ParamError, TransportError
from studio.chanjing.transport import MAX_TOKEN_LIFETIME
from studio.chanjing.types import SubmitRequest

from .conftest import BASE, envelope

REQ = SubmitRequest(prompt="a kite over the sea", duration=5)


def task(unique_id: str, status: str = "Generating", **extra) -> dict[str, Any]:
    return {
        "unique_id": unique_id,
        "progress_desc": status,
        "output_url": [],
        "create_time": 1_750_000_000,
        **extra,
    }


def page(*items: dict[str, Any]) -> dict[str, Any]:
    return envelope({"list": list(items), "total": len(items), "page_info": {"page": 1, "total_page": 1}})


def test_a_detail_about_another_task_is_refused_and_journaled(client, rsps, journal):
    rsps.get(BASE + TASK_PATH, json=envelope(task("their-task", "Success", output_url=["https://x/v.mp4"])))
    with pytest.raises(MalformedAnswer, match="not the task asked for") as caught:
        client.task("my-task")
    assert caught.value.retryable
    assert not journal[-1].ok and "their-task" in journal[-1].msg


def test_the_list_drops_tasks_not_asked_for_and_says_so(client, rsps, caplog):
    rsps.post(BASE + TASK_PAGE_PATH, json=page(task("mine"), task("not-mine", "Success")))
    with caplog.at_level(logging.WARNING):
        listed = client.tasks(["mine"])
    assert [item.unique_id for item in listed.items] == ["mine"]
    assert "not-mine" in caplog.text


def test_a_broken_item_does_not_spoil_the_rest_of_the_page(client, rsps):
    rsps.post(BASE + TASK_PAGE_PATH, json=page(task("a"), task("b", "G" * 500), task("c", "Ready")))
    assert [item.unique_id for item in client.tasks(["a", "b", "c"]).items] == ["a", "c"]


@pytest.mark.parametrize(
    "data",
    [
        {"list": "a"},
        {"list": {"0": {}}},
        {"list": [], "total": "many"},
        {"list": [], "page_info": {"total_page": 1e300}},
        "a string",
    ],
)
def test_a_list_answer_of_the_wrong_shape_is_malformed(client, rsps, data):
    rsps.post(BASE + TASK_PAGE_PATH, json=envelope(data))
    with pytest.raises(MalformedAnswer):
        client.tasks(["a"])


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": 0, "data": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b'{"code": 0, "data": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"code": 0, "data": {"unique_id": "a", "create_time": 1e999}}',
        b'{"code": 0, "data": {"unique_id": "a", "create_time": NaN}}',
        b'{"code": 0, "data": {"unique_id": "a", "create_time": -Infinity}}',
        b'{"code": 1e999, "data": null}',
    ],
)
def test_deep_or_non_finite_json_is_a_retryable_transport_error(client, rsps, body):
    rsps.get(BASE + TASK_PATH, body=body)
    with pytest.raises(TransportError) as caught:
        client.task("a")
    assert caught.value.retryable


@pytest.mark.parametrize(
    "field",
    [
        {"create_time": 10**30},
        {"create_time": "soon"},
        {"progress_desc": ["Success"]},
        {"output_url": [["x"]]},
        {"output_url": ["https://x/" + "a" * 3000]},
        {"unique_id": "a" * 65},
        {"motion_info": "text"},
    ],
)
def test_a_field_of_the_wrong_type_or_size_is_malformed(client, rsps, field):
    data = {**task("a"), **field}
    rsps.get(BASE + TASK_PATH, json=envelope(data))
    with pytest.raises(MalformedAnswer):
        client.task(data["unique_id"] if len(data["unique_id"]) < 65 else "a")


def test_a_long_error_message_is_kept_but_cut(client, rsps):
    rsps.get(BASE + TASK_PATH, json=envelope(task("a", "Fail", err_msg="坏" * 10_000)))
    info = client.task("a")
    assert len(info.err_msg) == 4000 and info.err_msg.endswith("…")


def test_an_answer_over_the_size_limit_is_refused(make_client, tokens, rsps):
    client = make_client(max_answer_bytes=1000, max_retries=0)
    rsps.get(BASE + TASK_PATH, json=envelope(task("a", err_msg="x" * 2000)))
    with pytest.raises(MalformedAnswer, match="limit is 1000"):
        client.task("a")


@pytest.mark.parametrize("answer", [" ", "", None, "a b", "x" * 65, 12, "\r\n"])
def test_a_submit_answered_without_a_usable_id_is_ambiguous(client, rsps, answer):
    rsps.post(BASE + SUBMIT_PATH, json=envelope(answer))
    with pytest.raises(AmbiguousSubmit):
        client.submit(REQ)


@pytest.mark.parametrize("unique_id", [" ", "", "a b", "a\nb"])
def test_a_task_id_that_is_not_an_id_is_never_sent(client, rsps, unique_id):
    with pytest.raises(ParamError):
        client.task(unique_id)
    assert client.tasks([unique_id]).items == []
    assert not [call for call in rsps.calls if TOKEN_PATH not in call.request.url]


def test_a_batch_with_one_bad_id_still_asks_for_the_others(client, rsps):
    rsps.post(BASE + TASK_PAGE_PATH, json=page(task("a"), task("b")))
    assert [item.unique_id for item in client.tasks(["a", " ", "b"]).items] == ["a", "b"]
    [call] = [call for call in rsps.calls if TASK_PAGE_PATH in call.request.url]
    assert json.loads(call.request.body)["unique_ids"] == ["a", "b"]


# --- Tokens ---------------------------------------------------------------------------------


def answer_token(rsps, token, expire_in) -> None:
    rsps.replace(
        responses.POST, BASE + TOKEN_PATH, json=envelope({"access_token": token, "expire_in": expire_in})
    )


@pytest.mark.parametrize("bad", ["tok\r\nX-Injected: 1", "tok en", "tök", "x" * 2000, 12345])
def test_a_token_that_cannot_be_sent_is_refused_not_stored_and_never_shown(make_client, rsps, journal, bad):
    rsps.post(BASE + TOKEN_PATH, json=envelope({"access_token": bad, "expire_in": int(time.time()) + 3600}))
    store = MemoryTokenStore()
    client = make_client(token_store=store)
    with pytest.raises(MalformedAnswer) as caught:
        client.access_token()
    assert store.token == ""
    shown = json.dumps([str(caught.value), repr(caught.value), [repr(record) for record in journal]])
    if isinstance(bad, str):
        for form in (bad, json.dumps(bad)[1:-1], repr(bad)[1:-1], quote(bad)):
            assert form not in shown


@pytest.mark.parametrize(
    ("expire_in", "lives"),
    [(10**12, MAX_TOKEN_LIFETIME), (2**62, MAX_TOKEN_LIFETIME), (7200, 7200), (-60, 0), (10, 10)],
)
def test_token_expiry_is_clamped_to_a_sane_range(make_client, rsps, expire_in, lives):
    rsps.post(BASE + TOKEN_PATH, json=envelope({"access_token": "tok-ok", "expire_in": expire_in}))
    client = make_client()
    token, expires_at = client._fetch_token()
    assert token == "tok-ok"
    assert abs(expires_at - (time.time() + lives)) < 5


def test_secrets_are_redacted_in_every_encoding(make_client, tokens):
    client = make_client()
    secret = 'se"cr\\et/+='
    client._keep_secret(secret)
    for form in (secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], quote(secret, safe=""), quote(secret)):
        assert "[redacted]" in client._redact(f"failed: {form}!")
        assert form not in client._redact(f"failed: {form}!")
