"""A fake Chanjing that answers the way a broken, compromised or impersonated upstream can.

A threaded HTTP server on 127.0.0.1 with a port of its own. Each test tells it, route by
route, what to answer; every request it receives is counted, so a test can prove that the
studio never asked for something (a video it should not fetch, a body it should not read).
`Sink` is a listener that should never be reached: it counts every connection made to it.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import av
from PIL import Image

TOKEN_PATH = "/open/v1/access_token"
SUBMIT_PATH = "/open/v1/ai_creation/task/submit"
TASK_PATH = "/open/v1/ai_creation/task"
TASK_PAGE_PATH = "/open/v1/ai_creation/task/page"

Route = Callable[["Handler"], None]


def tiny_mp4(seconds: int = 1) -> bytes:
    """A real, playable H.264 MP4 of 64x64 pixels."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=2)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for index in range(2 * seconds):
            image = Image.new("RGB", (64, 64), (40 * index % 255, 90, 160))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def envelope(data: object, *, code: int = 0, msg: str = "success") -> bytes:
    return json.dumps({"code": code, "msg": msg, "data": data, "trace_id": "hostile-trace"}).encode()


def task(
    unique_id: str, status: object = "Generating", *, output_url: object = None, **extra: object
) -> dict[str, Any]:
    item: dict[str, object] = {
        "unique_id": unique_id,
        "progress_desc": status,
        "err_msg": "",
        "output_url": [] if output_url is None else output_url,
        "create_time": int(time.time()),
        "model_code": "Doubao-Seedance-1.0-lite-i2v",
        "aspect_ratio": "16:9",
        "motion_info": {"ref_prompt": "hostile", "video_duration": 5},
    }
    item.update(extra)
    return item


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        provider = self.server.provider
        with provider.lock:
            provider.hits[path] += 1
            provider.headers[path] = dict(self.headers)
            route = provider.routes.get(path)
        if route is None:
            self.send_bytes(b"not here", status=404, content_type="text/plain")
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    do_GET = do_POST = _dispatch

    def json_body(self) -> dict[str, Any]:
        return json.loads(self.body or b"{}")

    def send_bytes(
        self, body: bytes, *, status: int = 200, content_type: str = "application/json", headers=None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_stream(
        self,
        chunks: Iterator[bytes],
        *,
        content_type: str = "application/json",
        length: int | None = None,
    ) -> None:
        """Send chunks as they come; `length` is declared if given, else the connection closes."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
            with self.server.provider.lock:
                self.server.provider.sent[urlsplit(self.path).path] += len(chunk)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    provider: HostileProvider


class HostileProvider:
    """The fake provider. Routes answer sanely until a test replaces them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self.video = tiny_mp4()
        self.token = "good-token-0123456789abcdef"
        self.routes: dict[str, Route] = {}
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.provider = self
        self.answer_token(self.token, int(time.time()) + 86400)
        self.routes["/video.mp4"] = lambda h: h.send_bytes(self.video, content_type="video/mp4")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, data: object = None, *, raw: bytes | None = None, code: int = 0) -> None:
        """Answer `path` with the envelope around `data`, or with exactly `raw`."""
        body = raw if raw is not None else envelope(data, code=code)
        self.routes[path] = lambda h: h.send_bytes(body)

    def answer_token(self, token: str, expire_in: object, *, raw: bytes | None = None) -> None:
        self.answer(TOKEN_PATH, {"access_token": token, "expire_in": expire_in}, raw=raw)

    def answer_tasks(self, tasks: list[dict[str, Any]] | None = None, *, raw: bytes | None = None) -> None:
        """The same answer to the task list and, per id, to the task detail."""
        tasks = tasks or []
        if raw is not None:
            self.answer(TASK_PAGE_PATH, raw=raw)
            self.answer(TASK_PATH, raw=raw)
            return
        page = {
            "list": tasks,
            "total": len(tasks),
            "page_info": {"page": 1, "size": 50, "total_count": len(tasks), "total_page": 1},
        }
        self.answer(TASK_PAGE_PATH, page)
        by_id = {str(item.get("unique_id")): item for item in tasks}

        def detail(h: Handler) -> None:
            wanted = urlsplit(h.path).query.partition("unique_id=")[2]
            item = by_id.get(wanted) or (tasks[0] if tasks else None)
            h.send_bytes(envelope(item) if item else envelope(None, code=40000, msg="任务不存在"))

        self.routes[TASK_PATH] = detail


class Sink:
    """A TCP listener the studio must never reach; counts every connection made to it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.bind((host, 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 4\r\n\r\nleak")
            conn.close()

    def close(self) -> None:
        self.socket.close()


def trickle(data: bytes, bytes_per_second: int) -> Iterator[bytes]:
    """`data` in 512-byte pieces at about `bytes_per_second`."""
    piece = 512
    for start in range(0, len(data), piece):
        yield data[start : start + piece]
        time.sleep(piece / bytes_per_second)


def flood(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """`total` bytes of a JSON string that never ends, produced as they are sent."""
    yield b'{"code": 0, "msg": "success", "data": "'
    block = b"A" * chunk
    sent = 0
    while sent < total:
        yield block
        sent += chunk
