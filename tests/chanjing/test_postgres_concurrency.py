"""Real processes racing for the shared token and the rate-limit row on PostgreSQL.

The test database of SQLite lives in memory, out of reach of other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from studio.chanjing.models import ProviderToken

WORKER = Path(__file__).with_name("pg_worker.py")
PROCESSES = 4

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="cross-process races need a server database: run with DATABASE_URL=postgres://...",
    ),
]


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


def race(mode: str, workdir: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "studio.settings"}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(workdir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    deadline = time.time() + 60
    while len(list(workdir.glob("ready-*"))) < PROCESSES:
        assert time.time() < deadline, "workers did not start"
        assert all(worker.poll() is None for worker in workers), [w.communicate() for w in workers]
        time.sleep(0.02)
    (workdir / "go").touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def seed_token(token: str, expires_in: timedelta) -> None:
    ProviderToken.objects.create(
        base_url="https://cj.test", app_id="race", token=token, expires_at=timezone.now() + expires_in
    )


def fetches(workdir: Path) -> list[str]:
    log = workdir / "fetches.log"
    return log.read_text().split() if log.exists() else []


@pytest.mark.parametrize("start", ["no row", "expired", "near expiry"])
def test_racing_processes_fetch_the_token_once(transactional_db, tmp_path, start):
    if start == "expired":
        seed_token("old", -timedelta(hours=1))
    elif start == "near expiry":
        seed_token("old", timedelta(seconds=60))
        # Issued a day ago: a token that lives 60 s in all is kept for half its life instead.
        ProviderToken.objects.update(updated_at=timezone.now() - timedelta(days=1))

    results = race("token", tmp_path)

    assert len(fetches(tmp_path)) == 1
    tokens = {result["token"] for result in results}
    assert tokens == {f"tok-{fetches(tmp_path)[0]}"}
    assert ProviderToken.objects.get().token == tokens.pop()


def test_racing_processes_refresh_a_rejected_token_once(transactional_db, tmp_path):
    seed_token("stale", timedelta(hours=20))

    results = race("force", tmp_path)

    assert len(fetches(tmp_path)) == 1
    assert len({result["token"] for result in results}) == 1
    assert ProviderToken.objects.get().token != "stale"


def test_racing_processes_get_distinct_rate_slots(transactional_db, tmp_path):
    results = race("rate", tmp_path)

    slots = sorted(slot for result in results for slot in result["slots"])
    assert len(slots) == PROCESSES * 5
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 0.05 - 1e-6  # 20 calls per second
