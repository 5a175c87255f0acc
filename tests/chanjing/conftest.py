from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
import responses

from studio.chanjing.client import TOKEN_PATH, ChanjingClient, MemoryTokenStore

BASE = "https://cj.test"
APP_ID = "app-123"
SECRET = "s3cr3t-KEY-never-shown"


def envelope(data=None, *, code: int = 0, msg: str = "success", trace_id: str = "trace-1") -> dict[str, Any]:
    return {"trace_id": trace_id, "code": code, "msg": msg, "data": data}


def token_body(token: str, *, ttl: int = 86400) -> dict[str, Any]:
    return envelope({"access_token": token, "expire_in": int(time.time()) + ttl}, trace_id="trace-token")


class FakeClock:
    """A monotonic clock and a sleep that advances it, so waits are asserted, not waited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def journal() -> list[Any]:
    return []


@pytest.fixture
def token_store() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
def tokens(rsps) -> list[str]:
    """Answer token requests with tok-1, tok-2, ... in turn; the list grows with each one issued."""
    issued: list[str] = []

    def answer(request):
        issued.append(f"tok-{len(issued) + 1}")
        return 200, {}, json.dumps(token_body(issued[-1]))

    rsps.add_callback(responses.POST, BASE + TOKEN_PATH, callback=answer)
    return issued


@pytest.fixture
def make_client(clock, journal, token_store) -> Callable[..., ChanjingClient]:
    def make(**overrides) -> ChanjingClient:
        options = {
            "token_store": token_store,
            "journal": journal.append,
            "sleep": clock.sleep,
            "clock": clock,
            "rng": random.Random(7),
        }
        options.update(overrides)
        return ChanjingClient(BASE, APP_ID, SECRET, **options)

    return make


@pytest.fixture
def client(make_client, tokens) -> ChanjingClient:
    return make_client()
