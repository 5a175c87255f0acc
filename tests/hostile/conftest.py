"""A studio made of real processes (its own SQLite file, real pollers) and a hostile provider."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.provider import HostileProvider, Sink

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "hostile-app"
SECRET = "hostile-secret-KEY-9f3k"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One migrated SQLite file per test session; each test works on its own copy."""
    path = tmp_path_factory.mktemp("studio-template") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return path


@pytest.fixture
def provider():
    hostile = HostileProvider()
    yield hostile
    hostile.close()


@pytest.fixture
def sink():
    listener = Sink()
    yield listener
    listener.close()


@dataclass
class Studio:
    """The studio's database and environment; its processes are started by the methods."""

    env: dict[str, str]
    logs: list[str] = field(default_factory=list)
    polled_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def _manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def seed(self, *generations: dict[str, Any]) -> list[str]:
        result = self._manage(
            "-m", "tests.hostile.studio_db", "seed", json.dumps({"generations": generations})
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def report(self) -> dict[str, Any]:
        result = self._manage("-m", "tests.hostile.studio_db", "report")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def poll_once(self, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """One `poll_generations --once`; a crash (non-zero exit) fails the test."""
        self.polled_at = datetime.now(UTC)
        try:
            result = self._manage("manage.py", "poll_generations", "--once", timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the poller was still running after {timeout} s")
        self.logs.append(result.stdout + result.stderr)
        assert result.returncode == 0, f"the poller crashed:\n{result.stderr[-3000:]}"
        return result

    def start_poller(self, *args: str) -> subprocess.Popen[Any]:
        return subprocess.Popen(
            [sys.executable, "manage.py", "poll_generations", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def studio(migrated_db, provider, tmp_path) -> Studio:
    db = tmp_path / "db.sqlite3"
    shutil.copy(migrated_db, db)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CHANJING_APP_ID": APP_ID,
        "CHANJING_SECRET_KEY": SECRET,
        "CHANJING_BASE_URL": provider.url,
        "CHANJING_RATE_LIMIT": "0",
        "CHANJING_MAX_RETRIES": "1",
        "CHANJING_READ_TIMEOUT": "5",
        "VIDEO_DOWNLOAD_MAX_SECONDS": "20",
        # The test's own allowance: the fake provider's origin may be local; the other names
        # are allowed only so that the address check after DNS is what refuses them.
        "CHANJING_DOWNLOAD_HOSTS": "localhost,127.0.0.1,::1,169.254.169.254",
        "CHANJING_DOWNLOAD_HTTP": "1",
        "CHANJING_DOWNLOAD_LOCAL_ORIGINS": provider.url,
        "LOG_LEVEL": "INFO",
    }
    return Studio(env=env)
