"""Real poller processes (manage.py poll_generations) sharing the PostgreSQL test database and
reaching the sandbox on the live server over HTTP, exactly as pollers on several hosts would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from studio.generations.models import Generation, Status

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED]


def poller_env(base_url: str, media_root: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{user}@{host}:{port}/{db['NAME']}",
        CHANJING_BASE_URL=base_url,
        MEDIA_ROOT=str(media_root),
        POLLER_SLEEP_SECONDS="0.2",
        CHANJING_RATE_LIMIT="0",
        CHANJING_MAX_RETRIES="2",
        SUBMIT_RECONCILE_SECONDS="1",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def start_pollers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "poll_generations"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=60) for process in processes]


def wait_until_all_terminal(expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Generation.objects.filter(status__in=TERMINAL).count() == expected:
            return
        time.sleep(0.5)
    left = Counter(Generation.objects.exclude(status__in=TERMINAL).values_list("status", "provider_status"))
    pytest.fail(f"not all generations finished in {timeout} s: {left}")
