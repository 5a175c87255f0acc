"""The sandbox with nothing left to chance, shared by its own tests and the contract tests."""

from __future__ import annotations

from typing import Any

from studio.sandbox import faults


def quiet_sandbox(settings: Any, *, seed: int) -> None:
    """No faults, no rate limit, files ready at once, tiny videos, hour-long tokens, seeded dice.

    Set here rather than trusted to the defaults, so a SANDBOX_* variable in the environment
    cannot change what a test measures.
    """
    settings.SANDBOX_TOKEN_TTL = 3600
    settings.SANDBOX_FILE_READY_SECONDS = 0
    settings.SANDBOX_VIDEO_WIDTH = 64
    settings.SANDBOX_VIDEO_FPS = 2
    settings.SANDBOX_QPS_LIMIT = 0
    settings.SANDBOX_FAULT_50000_RATE = 0
    settings.SANDBOX_FAULT_502_RATE = 0
    settings.SANDBOX_FAULT_TRUNCATED_RATE = 0
    settings.SANDBOX_FAULT_SLOW_RATE = 0
    settings.SANDBOX_FAULT_SLOW_SECONDS = 0
    settings.SANDBOX_FAULT_LOST_SUBMIT_RATE = 0
    faults.rng.seed(seed)
