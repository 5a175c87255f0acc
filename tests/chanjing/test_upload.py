from __future__ import annotations

from typing import Any

import pytest
import requests

from studio.chanjing.client import FILE_DETAIL_PATH, UPLOAD_URL_PATH
from studio.chanjing.errors import TransportError, UploadRejected, UploadTimeout
from studio.chanjing.types import UploadTicket

from .conftest import BASE, envelope

SIGN_URL = "https://oss.test/bucket/a.png?Signature=SIGNED-SECRET&Expires=1"
FULL_PATH = "https://res.test/a.png"
TICKET = {"sign_url": SIGN_URL, "mime_type": "image/png", "file_id": "f-1", "full_path": FULL_PATH}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def detail(status: int) -> dict[str, Any]:
    return envelope({"id": "f-1", "status": status, "name": "a.png", "extra": 1})


def test_create_upload_url(client, rsps):
    rsps.get(BASE + UPLOAD_URL_PATH, json=envelope({**TICKET, "unexpected": True}))
    ticket = client.create_upload_url("a.png")
    assert ticket == UploadTicket(**TICKET)
    assert rsps.calls[-1].request.params == {"service": "ai_creation", "name": "a.png"}
    assert rsps.calls[-1].request.headers["access_token"] == "tok-1"
    assert "SIGNED-SECRET" not in repr(ticket)


def test_an_incomplete_ticket_is_a_transport_error(client, rsps):
    rsps.get(BASE + UPLOAD_URL_PATH, json=envelope({"sign_url": SIGN_URL}))
    with pytest.raises(TransportError, match="incomplete"):
        client.create_upload_url("a.png")


def test_put_file_sends_exactly_the_mime_type_and_no_token(client, rsps):
    rsps.put(SIGN_URL, status=200)
    client.put_file(UploadTicket(**TICKET), PNG)
    request = rsps.calls[-1].request
    assert request.headers["Content-Type"] == "image/png"
    assert "access_token" not in request.headers
    assert request.body == PNG


def test_put_file_403_is_not_retried_and_explains_itself(client, rsps, clock, journal):
    rsps.put(SIGN_URL, status=403, body="<Error>SignatureDoesNotMatch</Error>")
    with pytest.raises(TransportError) as caught:
        client.put_file(UploadTicket(**TICKET), PNG)
    assert len(rsps.calls) == 1 and clock.sleeps == []
    assert not caught.value.retryable and caught.value.http_status == 403
    assert "Content-Type" in caught.value.msg
    assert "SIGNED-SECRET" not in str(caught.value)
    assert journal[-1].http_status == 403 and not journal[-1].ok


def test_put_file_retries_server_errors_and_timeouts(client, rsps, clock):
    rsps.put(SIGN_URL, status=503)
    rsps.put(SIGN_URL, body=requests.ConnectTimeout(f"timed out {SIGN_URL}"))
    rsps.put(SIGN_URL, status=200)
    client.put_file(UploadTicket(**TICKET), PNG)
    assert len(rsps.calls) == 3 and len(clock.sleeps) == 2


def test_put_file_transport_errors_hide_the_signature(client, rsps):
    rsps.put(SIGN_URL, body=requests.ConnectTimeout(f"timed out {SIGN_URL}"))
    with pytest.raises(TransportError) as caught:
        client.put_file(UploadTicket(**TICKET), PNG)
    assert "SIGNED-SECRET" not in str(caught.value)


def test_file_detail(client, rsps):
    rsps.get(BASE + FILE_DETAIL_PATH, json=detail(1))
    info = client.file_detail("f-1")
    assert (info.file_id, info.status) == ("f-1", 1)
    assert rsps.calls[-1].request.params == {"id": "f-1"}


def test_upload_image_polls_until_ready(client, rsps, clock):
    rsps.get(BASE + UPLOAD_URL_PATH, json=envelope(TICKET))
    rsps.put(SIGN_URL, status=200)
    rsps.get(BASE + FILE_DETAIL_PATH, json=detail(0))
    rsps.get(BASE + FILE_DETAIL_PATH, json=detail(0))
    rsps.get(BASE + FILE_DETAIL_PATH, json=detail(1))

    assert client.upload_image("a.png", PNG, poll_interval=2.0) == FULL_PATH
    assert clock.sleeps == [2.0, 2.0]
    assert [call.request.method for call in rsps.calls[1:]] == ["GET", "PUT", "GET", "GET", "GET"]


@pytest.mark.parametrize(("status", "words"), [(98, "content check"), (99, "deleted"), (100, "deleted")])
def test_upload_image_rejected(client, rsps, status, words):
    rsps.get(BASE + UPLOAD_URL_PATH, json=envelope(TICKET))
    rsps.put(SIGN_URL, status=200)
    rsps.get(BASE + FILE_DETAIL_PATH, json=detail(status))
    with pytest.raises(UploadRejected, match=words) as caught:
        client.upload_image("a.png", PNG)
    assert caught.value.file_status == status and not caught.value.retryable


def test_upload_image_times_out(client, rsps, clock):
    rsps.get(BASE + UPLOAD_URL_PATH, json=envelope(TICKET))
    rsps.put(SIGN_URL, status=200)
    rsps.get(BASE + FILE_DETAIL_PATH, json=detail(0))
    with pytest.raises(UploadTimeout) as caught:
        client.upload_image("a.png", PNG, wait_seconds=5, poll_interval=1.0)
    assert caught.value.retryable
    assert sum(clock.sleeps) <= 5
    assert len(clock.sleeps) == 5
