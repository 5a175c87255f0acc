from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.sandbox.models import UploadedFile

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


def create(api, name="frame.png"):
    answer = api.call("GET", "common/create_upload_url", service="ai_creation", name=name)
    assert answer["code"] == 0, answer
    return answer["data"]


def put(client, data, body: bytes, content_type: str | None = None):
    return client.put(data["sign_url"], body, content_type=content_type or data["mime_type"])


def detail(api, file_id):
    return api.call("GET", "common/file_detail", id=file_id)


@pytest.mark.parametrize(
    ("name", "mime"),
    [("a.png", "image/png"), ("b.JPG", "image/jpeg"), ("c.jpeg", "image/jpeg"), ("d.webp", "image/webp")],
)
def test_create_upload_url_answers_the_mime_type_for_the_name(api, name, mime):
    data = create(api, name)
    assert data["mime_type"] == mime
    assert data["sign_url"].startswith("http://testserver/sandbox/upload/")
    assert data["full_path"].startswith("http://testserver/sandbox/files/")
    assert data["file_id"]


def test_upload_flow_ends_with_a_ready_file_served_at_full_path(api, client):
    data = create(api, "首帧.png")
    body = png_bytes((10, 200, 30))
    assert detail(api, data["file_id"])["data"]["status"] == 0
    assert put(client, data, body).status_code == 200
    info = detail(api, data["file_id"])["data"]
    assert info["status"] == 1
    assert info["size"] == len(body)
    served = client.get(data["full_path"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == body


def test_wrong_content_type_is_refused_with_403(api, client):
    data = create(api, "a.png")
    assert put(client, data, png_bytes((1, 2, 3)), content_type="image/jpeg").status_code == 403
    assert put(client, data, png_bytes((1, 2, 3)), content_type="image/png; charset=utf-8").status_code == 403
    assert detail(api, data["file_id"])["data"]["status"] == 0
    assert client.get(data["full_path"]).status_code == 404


def test_a_bad_signature_is_refused_with_403(api, client):
    data = create(api, "a.png")
    url = data["sign_url"].split("?")[0] + "?signature=forged"
    assert client.put(url, b"x", content_type="image/png").status_code == 403


def test_file_becomes_ready_after_the_configured_time(api, client, sandbox_settings):
    sandbox_settings.SANDBOX_FILE_READY_SECONDS = 60
    data = create(api, "a.png")
    put(client, data, png_bytes((1, 2, 3)))
    assert detail(api, data["file_id"])["data"]["status"] == 0
    UploadedFile.objects.update(ready_at=timezone.now() - timedelta(seconds=1))
    assert detail(api, data["file_id"])["data"]["status"] == 1


def test_a_name_with_reject_fails_the_content_check(api, client):
    data = create(api, "please-reject-me.png")
    put(client, data, png_bytes((1, 2, 3)))
    info = detail(api, data["file_id"])["data"]
    assert info["status"] == 98


def test_unknown_file_answers_40000(api):
    assert detail(api, "nope")["code"] == 40000


@pytest.mark.parametrize(
    "params", [{"service": "ai_creation"}, {"service": "other", "name": "a.png"}, {"name": "a.png"}]
)
def test_create_upload_url_validates_its_query(api, params):
    assert api.call("GET", "common/create_upload_url", **params)["code"] == 40000


def test_upload_endpoints_need_a_token(api):
    api.token = ""
    assert api.call("GET", "common/create_upload_url", service="ai_creation", name="a.png")["code"] == 10400
