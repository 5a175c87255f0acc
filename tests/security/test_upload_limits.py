"""Uploads over the limit are refused before their body is read; a lying body is cut off."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart
from django.urls import reverse

from studio.generations.models import Generation
from studio.lib.limits import CappedUploadHandler
from tests.factories import image_file

pytestmark = pytest.mark.django_db

MB = 1_000_000
# Set in the environ directly: with an empty `data` the test client would leave it out. Not
# MULTIPART_CONTENT itself either, which tells the test client to encode a dict.
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


@pytest.fixture
def generate_url(alice, alice_project, client, settings):
    settings.CHANJING_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens: no request leaves
    client.force_login(alice)
    return reverse("generations:generate", args=[alice_project.code])


def test_a_declared_40_mb_upload_is_answered_413_without_reading_it(client, generate_url):
    response = client.post(
        generate_url,
        b"",
        content_type="application/octet-stream",  # not sent: the body is empty to the test client
        CONTENT_TYPE=MULTIPART,
        CONTENT_LENGTH=str(40 * MB),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "This upload is 40.0 MB; the studio accepts at most 22 MB at once." in page
    assert response["Connection"] == "close"
    assert not Generation.objects.exists()


def test_the_413_page_speaks_chinese(client, generate_url):
    response = client.post(
        generate_url,
        b"",
        content_type="application/octet-stream",  # not sent: the body is empty to the test client
        CONTENT_TYPE=MULTIPART,
        CONTENT_LENGTH=str(40 * MB),
        HTTP_ACCEPT_LANGUAGE="zh-CN",
        **{"wsgi.input": UnreadableBody()},
    )
    assert "此次上传为 40.0 MB" in response.content.decode()


def test_a_body_longer_than_it_declares_is_cut_off_at_the_declared_length(client, generate_url):
    fields = {"prompt": "a lantern", "aspect_ratio": "9:16", "clarity": "720", "duration": "5"}
    frame = SimpleUploadedFile("big.png", image_file().read() + bytes(50_000), content_type="image/png")
    body = io.BytesIO(encode_multipart(BOUNDARY, {**fields, "start_frame": frame}))
    response = client.post(
        generate_url,
        b"",
        content_type="application/octet-stream",  # not sent: the body is empty to the test client
        CONTENT_TYPE=MULTIPART,
        CONTENT_LENGTH="2000",
        **{"wsgi.input": body},
    )
    assert body.tell() <= 2000  # the studio read what was declared, not what was sent
    assert response.status_code < 500
    # Whatever the truncated form held, nothing past the declared length was stored.
    assert not Generation.objects.filter(start_frame__gt="").exists()


def test_an_uploaded_file_is_stored_only_up_to_the_frame_limit(settings):
    settings.FRAME_MAX_BYTES = 1000
    handler = CappedUploadHandler()
    handler.new_file("start_frame", "big.png", "image/png", 5000)
    start = 0
    for chunk in (b"a" * 2000, b"b" * 2000, b"c" * 1000):
        handler.receive_data_chunk(chunk, start)
        start += len(chunk)
    upload = handler.file_complete(start)
    assert upload.size == 5000  # what the client sent, for the error message
    assert len(upload.read()) == 1001  # what the studio kept


def test_a_frame_over_its_limit_inside_a_request_is_refused_by_size(client, generate_url, settings):
    settings.FRAME_MAX_BYTES = 3 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # through the capped handler, as big files go
    noise = bytes(range(256)) * (4 * MB // 256)
    upload = SimpleUploadedFile("big.png", image_file("big.png").read() + noise, content_type="image/png")
    data = {"prompt": "a lantern", "aspect_ratio": "9:16", "clarity": "720", "duration": "5"}
    response = client.post(generate_url, {**data, "start_frame": upload})
    assert "The image is 4.0 MB" in str(response.context["form"].errors["start_frame"])
    assert not Generation.objects.exists()


def test_the_sandbox_upload_target_takes_its_own_larger_limit(client):
    response = client.put(
        "/sandbox/upload/unknown-file?signature=x",
        b"",
        CONTENT_TYPE="image/png",
        CONTENT_LENGTH=str(50 * MB),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 403  # its own signature check, not the studio's 413
