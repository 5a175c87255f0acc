"""`make bench`, gallery part: keyset paging at 10,000 generations, written to docs/benchmarks.md.

Not a test: numbers depend on the machine. It builds a temporary SQLite database (or uses
BENCH_DATABASE_URL), fills one workspace with 10,000 finished generations, and times pages of
the team gallery through Django's test client (the whole view and template, no network):
the first page, the 100th page (after the cursor of the 99th), and a prompt search. Each is the
median of 5 requests after one warm-up; the query count is of one request. Only the
"## Gallery paging" section of docs/benchmarks.md is rewritten; the other sections stay.

BENCH_GALLERY_ROWS (default 10000) changes the size.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from tests.bench import common

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(tempfile.mkdtemp(prefix="studio-bench-gallery-"))
ROWS = int(os.environ.get("BENCH_GALLERY_ROWS", "10000"))
RUNS = 5
SECTION = "## Gallery paging"

os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{WORK / 'gallery.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from studio.accounts.models import User  # noqa: E402
from studio.generations.gallery import PAGE_SIZE  # noqa: E402
from studio.generations.models import Favorite, Generation, Project, Status  # noqa: E402
from studio.workspaces.access import SESSION_KEY  # noqa: E402
from studio.workspaces.models import Membership, Role, Workspace  # noqa: E402

PROMPTS = [
    "a lantern drifts over the lake",
    "湖面上漂浮的红灯笼",
    "a kite above the dunes",
    "竹林晨雾，镜头推进",
]


def populate() -> tuple[Client, list[Generation]]:
    call_command("migrate", verbosity=0)
    # A fresh user each run: a PostgreSQL bench database may hold earlier runs' rows.
    name = f"bench-gallery-{uuid.uuid4().hex[:8]}"
    user = User.objects.create_user(username=name, password="bench-pass-123")
    workspace = Workspace.objects.create(name="Bench team", created_by=user)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    project = Project.objects.create(workspace=workspace, name="Bench", created_by=user)
    start = timezone.now() - timedelta(days=30)
    rows = [
        Generation(
            code=uuid.uuid4(),
            workspace=workspace,
            project=project,
            created_by=user,
            created_at=start + timedelta(seconds=index * 60),
            prompt=f"{PROMPTS[index % len(PROMPTS)]} #{index}",
            model_code="bench",
            status=Status.SUCCEEDED,
            video=f"videos/bench/{index}.mp4",
            poster=f"videos/bench/{index}.jpg",
            video_seconds=5.0,
        )
        for index in range(ROWS)
    ]
    Generation.objects.bulk_create(rows, batch_size=1000)
    Favorite.objects.bulk_create(
        [
            Favorite(user=user, generation=g)
            for g in Generation.objects.filter(workspace=workspace)[: ROWS // 10]
        ],
        batch_size=1000,
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(workspace.code)
    session.save()
    newest = Generation.objects.filter(workspace=workspace).order_by("-created_at", "-id")
    return client, list(newest.only("code")[: 100 * PAGE_SIZE])


Row = tuple[str, float, float, int, int, int]


def measure(client: Client, url: str, **headers) -> tuple[float, float, int, int, int]:
    """Median milliseconds of RUNS requests drawn from nothing (the cache emptied before each)
    and of RUNS requests served kept, the queries of one of each, and how many items it showed."""
    client.get(url, **headers)  # warm-up: templates compiled, pages cached by the database
    medians, counts = [], []
    for cold in (True, False):
        timings = []
        for _ in range(RUNS):
            if cold:
                cache.clear()
            began = time.perf_counter()
            response = client.get(url, **headers)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        medians.append(statistics.median(timings))
        counts.append(len(queries))
    items = len(re.findall(r'<figure class="gallery-item', response.content.decode()))
    return medians[0], medians[1], counts[0], counts[1], items


def write_section(rows: list[Row]) -> Path:
    engine = connection.vendor
    lines = [
        SECTION,
        "",
        f"Measured by `make bench` (`tests/bench/gallery.py`) on {timezone.now():%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, Python {platform.python_version()}, {engine}: one workspace with {ROWS:,} "
        f"finished generations ({ROWS // 10:,} starred), the team gallery through Django's test client "
        f"(view and template, no network), {PAGE_SIZE} items a page, median of {RUNS} requests "
        "drawn from nothing (the cache emptied before each) and of as many served again (kept: the "
        "page and its cards come from the cache, studio.generations.pages).",
        "",
        "| page | drawn | kept | SQL queries, drawn | SQL queries, kept | items |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {name} | {drawn:.1f} ms | {kept:.1f} ms | {q_drawn} | {q_kept} | {items} |"
            for name, drawn, kept, q_drawn, q_kept, items in rows
        ),
        "",
        "The infinite scroll's htmx requests are never kept whole (their cards are).",
        "",
        "Pages are cut by keyset on (created_at, id) after the last item's code (gallery_ws_idx), so "
        "the 100th page costs what the first does, plus the one query that resolves the cursor. "
        "A prompt search reads every row of the workspace (icontains; no index helps a substring).",
        "",
    ]
    return common.write_section(SECTION, lines)


def main() -> None:
    setup_test_environment()
    client, ordered = populate()
    hundredth = f"/gallery/team/?after={ordered[99 * PAGE_SIZE - 1].code}"
    rows = []
    for name, url, headers in [
        ("first page", "/gallery/team/", {}),
        ("100th page (Next link)", hundredth, {}),
        ("100th page (infinite scroll, htmx)", hundredth, {"HTTP_HX_REQUEST": "true"}),
        ("starred, first page", "/gallery/team/?starred=on", {}),
        ("search “灯笼”, first page", "/gallery/team/?q=灯笼", {}),
    ]:
        drawn, kept, q_drawn, q_kept, items = measure(client, url, **headers)
        rows.append((name, drawn, kept, q_drawn, q_kept, items))
        print(f"{name}: drawn {drawn:.1f} ms ({q_drawn} queries), kept {kept:.1f} ms ({q_kept} queries)")
    print(f"wrote {write_section(rows)}")


if __name__ == "__main__":
    main()
