"""One competing process for test_postgres_concurrency.py; not a test module itself.

Usage: pg_worker.py <mode> <workdir>. The database comes from DATABASE_URL. The worker sets
Django up, says it is ready, waits for the start signal so that every worker races at once,
then prints one JSON line with what it got.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

import django  # noqa: E402

django.setup()

from studio.chanjing.ratelimit import DatabaseRateLimiter  # noqa: E402
from studio.chanjing.tokens import DatabaseTokenStore  # noqa: E402

BASE_URL = "https://cj.test"
APP_ID = "race"


def fetch() -> tuple[str, int]:
    with open(workdir / "fetches.log", "a") as log:
        log.write(f"{os.getpid()}\n")
    time.sleep(0.5)  # a slow token call widens the window in which others could also fetch
    return f"tok-{os.getpid()}", int(time.time()) + 86400


mode, workdir = sys.argv[1], Path(sys.argv[2])
(workdir / f"ready-{os.getpid()}").touch()
deadline = time.time() + 60
while not (workdir / "go").exists():
    if time.time() > deadline:
        sys.exit("no start signal")
    time.sleep(0.002)

if mode == "rate":
    limiter = DatabaseRateLimiter(20, key="race")
    print(json.dumps({"slots": [limiter.reserve() for _ in range(5)]}))
else:
    store = DatabaseTokenStore(BASE_URL, APP_ID, refresh_margin=300)
    force = "stale" if mode == "force" else None
    print(json.dumps({"token": store.get_token(fetch, force_refresh_of=force)}))
