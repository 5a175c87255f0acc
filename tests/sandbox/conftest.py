"""Fixtures for the sandbox provider's own tests: tiny fast videos, no waiting, no faults."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from .quiet import quiet_sandbox

MODEL = "Doubao-Seedance-1.0-lite-i2v"
API = "/sandbox/open/v1"


@pytest.fixture(autouse=True)
def sandbox_settings(settings, tmp_path):
    settings.SANDBOX_MEDIA_ROOT = tmp_path / "sandbox-media"
    settings.SANDBOX_APP_ID = "test-app"
    settings.SANDBOX_SECRET_KEY = "test-secret"
    settings.CHANJING_MODEL_CODE = MODEL
    settings.SANDBOX_QUEUED_SECONDS = 0
    settings.SANDBOX_READY_SECONDS = 0
    settings.SANDBOX_GENERATING_SECONDS = 0
    quiet_sandbox(settings, seed=1234)
    return settings


class SandboxApi:
    """The Django test client speaking the Chanjing protocol, as the studio's client does over HTTP."""

    def __init__(self, client: Client, token: str = "") -> None:
        self.client = client
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"access_token": self.token} if self.token else {}

    def post(self, path: str, body: Any) -> Any:
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        response = self.client.post(
            f"{API}/{path}", raw, content_type="application/json", headers=self.headers()
        )
        return response

    def get(self, path: str, **params: str) -> Any:
        return self.client.get(f"{API}/{path}", params, headers=self.headers())

    def call(self, method: str, path: str, body: Any = None, **params: str) -> dict[str, Any]:
        response = self.post(path, body) if method == "POST" else self.get(path, **params)
        assert response.status_code == 200, response.content
        return response.json()

    def issue_token(self) -> str:
        answer = self.call("POST", "access_token", {"app_id": "test-app", "secret_key": "test-secret"})
        assert answer["code"] == 0, answer
        self.token = answer["data"]["access_token"]
        return self.token

    def submit(self, **fields: Any) -> dict[str, Any]:
        body = {"ref_prompt": "a red kite over the sea", "creation_type": 4, "model_code": MODEL}
        body["video_duration"] = 5
        body.update(fields)
        body = {key: value for key, value in body.items() if value is not None}
        return self.call("POST", "ai_creation/task/submit", body)

    def task(self, unique_id: str) -> dict[str, Any]:
        return self.call("GET", "ai_creation/task", unique_id=unique_id)


@pytest.fixture
def api(db, client) -> SandboxApi:
    sandbox = SandboxApi(client)
    sandbox.issue_token()
    return sandbox


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (400, 400), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()
