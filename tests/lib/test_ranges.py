from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from studio.lib.ranges import ranged_file_response

DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "clip.mp4"
    file.write_bytes(DATA)
    return file


def fetch(path, range_header=None, **kwargs):
    headers = {"Range": range_header} if range_header else {}
    response = ranged_file_response(RequestFactory().get("/x", headers=headers), path, "video/mp4", **kwargs)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_no_range_sends_the_whole_file(path):
    response, body = fetch(path)
    assert response.status_code == 200
    assert body == DATA
    assert response["Content-Length"] == "1024"
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert "Content-Disposition" not in response


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=1000-5000", 1000, 1023),
        ("bytes=-5000", 0, 1023),
        ("bytes=1023-1023", 1023, 1023),
    ],
)
def test_a_single_range_answers_206(path, header, start, end):
    response, body = fetch(path, header)
    assert response.status_code == 206
    assert body == DATA[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/1024"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_an_unsatisfiable_range_answers_416(path, header):
    response, body = fetch(path, header)
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1024"
    assert body == b""


@pytest.mark.parametrize("header", ["bytes=5-2", "items=0-5", "bytes=0-1,4-5", "bytes=-", "nonsense"])
def test_an_invalid_range_is_ignored(path, header):
    response, body = fetch(path, header)
    assert response.status_code == 200
    assert body == DATA


def test_attachment_names_the_file(path):
    response, _ = fetch(path, filename="my video.mp4", as_attachment=True)
    assert response["Content-Disposition"].startswith("attachment;")
    assert "my video.mp4" in response["Content-Disposition"]
    partial, _ = fetch(path, "bytes=0-1", filename="my video.mp4", as_attachment=True)
    assert partial["Content-Disposition"] == response["Content-Disposition"]


def test_an_empty_file(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert fetch(empty)[0].status_code == 200
    assert fetch(empty, "bytes=-1")[0].status_code == 416
    assert fetch(empty, "bytes=0-")[0].status_code == 416


def test_a_missing_file_is_404(tmp_path):
    with pytest.raises(Http404):
        fetch(tmp_path / "missing.mp4")
