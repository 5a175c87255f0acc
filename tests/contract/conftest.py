"""The real client against the sandbox over real HTTP, with waits recorded instead of slept."""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from studio.chanjing.client import ChanjingClient
from studio.chanjing.factory import get_client
from studio.chanjing.models import ProviderCall
from studio.sandbox.models import RequestLog
from tests.sandbox.quiet import quiet_sandbox

MODEL = "Doubao-Seedance-1.0-lite-i2v"
APP_ID = "contract-app"
SECRET = "contract-secret-7Qz9x"
SEED = 20240611
BACKOFF_BASE = 0.5  # the client's default: retry n waits uniformly in [0, 0.5 * 2**n]


class Waits(list[Any]):
    """The `sleep` given to the client: it records each wait and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def expected_waits(count: int, seed: int = SEED) -> list[float]:
    """The full-jitter waits a client seeded with `seed` draws for its first `count` retries."""
    rng = random.Random(seed)
    return [rng.uniform(0, min(8.0, BACKOFF_BASE * 2**retry)) for retry in range(count)]


def ceilings(count: int) -> list[float]:
    return [min(8.0, BACKOFF_BASE * 2**retry) for retry in range(count)]


def sandbox_calls() -> Counter[str]:
    """HTTP requests the sandbox received, by its endpoint name (access_token, task_submit, ...)."""
    return Counter(RequestLog.objects.values_list("endpoint", flat=True))


def journal(endpoint: str | None = None) -> list[ProviderCall]:
    rows = ProviderCall.objects.order_by("id")
    return list(rows.filter(endpoint=endpoint) if endpoint else rows)


def png(color: tuple[int, int, int] = (220, 80, 40), size: tuple[int, int] = (400, 400)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def sb(sandbox, settings) -> str:
    """The sandbox on the live server: no faults, instant tasks, tiny videos, known credentials."""
    settings.CHANJING_APP_ID = settings.SANDBOX_APP_ID = APP_ID
    settings.CHANJING_SECRET_KEY = settings.SANDBOX_SECRET_KEY = SECRET
    settings.CHANJING_MODEL_CODE = MODEL
    settings.CHANJING_MAX_RETRIES = 3
    settings.CHANJING_TOKEN_REFRESH_MARGIN = 300
    settings.CHANJING_FRAME_MODE = "both"
    quiet_sandbox(settings, seed=SEED)
    return sandbox


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def make_client(sb, waits) -> Callable[..., ChanjingClient]:
    """The client as the studio builds it (factory: database token store, journal, rate limiter)."""

    def make(**overrides) -> ChanjingClient:
        options = {"sleep": waits, "rng": random.Random(SEED), "connect_timeout": 2.0, "read_timeout": 10.0}
        options.update(overrides)
        return get_client(**options)

    return make


@pytest.fixture
def cj(make_client) -> ChanjingClient:
    return make_client()


@pytest.fixture
def primed(cj) -> ChanjingClient:
    """A client holding a valid token, so faults switched on afterwards hit only the call under test."""
    cj.access_token()
    assert sandbox_calls() == {"access_token": 1}
    return cj
