"""The walk a person takes through the image's web container; called by tools/image-check.

Usage: image_check_client.py BASE_URL DATABASE_NAME disk|bucket. Talks plain HTTP to
127.0.0.1 only. With `bucket`, media answers must be redirects to signed URLs of the store.
Cookies are carried by hand: production marks them Secure, which a client would otherwise
keep to HTTPS (a browser on localhost sends them anyway).
"""

from __future__ import annotations

import io
import re
import sys
import time
import uuid

import av
import psycopg
import requests

BASE, DB, MEDIA = sys.argv[1], sys.argv[2], sys.argv[3]
session = requests.Session()
cookies: dict[str, str] = {}


def call(method: str, path: str, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    response = session.request(
        method, BASE + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
    )
    for cookie in response.cookies:
        cookies[cookie.name] = cookie.value
    return response


def form_token(html: str, name: str = "csrfmiddlewaretoken") -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok  {message}")


probe = requests.get(BASE + "/healthz", headers={"Host": "probe.internal"}, allow_redirects=False, timeout=5)
check(
    probe.status_code == 200 and probe.json()["status"] == "ok",
    f"plain-HTTP /healthz from an unlisted host: {probe.status_code} {probe.text}",
)
other = requests.get(BASE + "/accounts/login/", headers={"Host": "probe.internal"}, timeout=5)
check(other.status_code == 400, f"any other page still refuses an unlisted host: {other.status_code}")

name = f"check{uuid.uuid4().hex[:6]}"
page = call("GET", "/accounts/signup/")
signup = call(
    "POST",
    "/accounts/signup/",
    data={
        "csrfmiddlewaretoken": form_token(page.text),
        "username": name,
        "email": f"{name}@example.com",
        "password1": "a-Strong-pass-123",
        "password2": "a-Strong-pass-123",
    },
)
check(
    signup.status_code == 302,
    f"signed up as {name}: {signup.status_code} -> {signup.headers.get('Location')}",
)

page = call("GET", "/projects/")
made = call("POST", "/projects/", data={"csrfmiddlewaretoken": form_token(page.text), "name": "Image check"})
project_path = made.headers["Location"]
check(made.status_code == 302 and "/projects/" in project_path, f"created a project at {project_path}")

page = call("GET", project_path)
generated = call(
    "POST",
    f"{project_path}generate",
    data={
        "csrfmiddlewaretoken": form_token(page.text),
        "submit_token": form_token(page.text, "submit_token"),
        "prompt": "a paper lantern drifts over a night lake",
        "aspect_ratio": "16:9",
        "clarity": "720",
        "duration": "5",
    },
)
check(generated.status_code == 302, f"pressed Generate video: {generated.status_code}")

with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}", autocommit=True) as db:
    started = time.monotonic()
    while time.monotonic() - started < 90:
        row = db.execute(
            "SELECT code, status, video_bytes FROM generations_generation ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row and row[1] in {"succeeded", "failed", "cancelled"}:
            break
        time.sleep(1)
    code, status, size = row
    check(
        status == "succeeded",
        f"the pollers submitted and stored it: {status}, {size} bytes, {time.monotonic() - started:.0f} s",
    )
    beats = db.execute(
        "SELECT name FROM generations_workerheartbeat WHERE stopped_at IS NULL ORDER BY name"
    ).fetchall()
    names = [beat[0] for beat in beats]
    check(len(names) == 2 and len(set(names)) == 2, f"two poller containers, two heartbeat rows: {names}")

video = call("GET", f"/g/{code}/video.mp4")
if MEDIA == "bucket":
    location = video.headers.get("Location", "")
    check(
        video.status_code == 302 and "X-Amz-Signature=" in location,
        f"redirected to a signed URL: {location[:60]}...",
    )
    video = requests.get(location, timeout=30)
check(
    video.status_code == 200 and len(video.content) == size,
    f"the video is served whole: {len(video.content)} bytes",
)
with av.open(io.BytesIO(video.content)) as container:
    seconds = container.duration / av.time_base
    codec = container.streams.video[0].codec_context.name
check(codec == "h264" and abs(seconds - 5) < 0.5, f"and it plays: {codec}, {seconds:.1f} s")
ranged = call("GET", f"/g/{code}/video.mp4", headers={"Range": "bytes=0-99"})
if MEDIA == "bucket":
    ranged = requests.get(ranged.headers["Location"], headers={"Range": "bytes=0-99"}, timeout=30)
check(ranged.status_code == 206 and len(ranged.content) == 100, "a Range request seeks (206)")
request_id = call("GET", "/projects/").headers.get("X-Request-ID")
check(bool(request_id), f"responses carry a request id: {request_id}")
