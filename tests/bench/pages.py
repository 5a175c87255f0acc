"""`make bench`, pages part: the gallery, "My generations" and the project page against a floor.

Not a test: numbers depend on the machine. One workspace with 10,000 finished generations
(BENCH_DATABASE_URL, PostgreSQL in the published numbers), served by gunicorn with 2 workers on
127.0.0.1, loaded by wrk with 16 connections, BENCH_ROUNDS (default 3) rounds of BENCH_SECONDS
(default 5) per page in turn, all in the same run: the hand-written floor view (views_floor,
mounted only with BENCH_FLOOR_VIEW) and each page. Everything stops by itself; gunicorn is stopped by its pid.

It also counts each page's SQL queries (Django's test client, in-process), the bytes a first
visit transfers (the page over HTTP with gzip, plus its CSS and scripts gzip-compressed as
whitenoise serves them in production), and the requests per minute of a page with 1, 8 and 24
cards in progress, in Debian's chromium through Playwright over BENCH_POLL_SECONDS (default 30).

BENCH_REDIS_URL (e.g. redis://127.0.0.1:6379/7) runs the load a second time with the cards
cached in Redis. BENCH_PORT picks the port (default: a free one). Only the "## Pages against
the floor" section of docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import functools
import gzip
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

from tests.bench import common
from tests.bench.common import free_port

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(tempfile.mkdtemp(prefix="studio-bench-pages-"))
ROWS = int(os.environ.get("BENCH_PAGES_ROWS", "10000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
POLL_SECONDS = int(os.environ.get("BENCH_POLL_SECONDS", "30"))
SECTION = "## Pages against the floor"


PORT = int(os.environ.get("BENCH_PORT") or free_port())
BASE = f"http://127.0.0.1:{PORT}"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{WORK / 'pages.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["BENCH_FLOOR_VIEW"] = "1"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import Request  # noqa: E402

from studio.accounts.models import User  # noqa: E402
from studio.generations.models import Favorite, Generation, Project, Status  # noqa: E402
from studio.workspaces.access import SESSION_KEY  # noqa: E402
from studio.workspaces.models import Membership, Role, Workspace  # noqa: E402

PROMPTS = [
    "a lantern drifts over the lake",
    "湖面上漂浮的红灯笼",
    "a kite above the dunes",
    "竹林晨雾，镜头推进",
]
RATIOS = ["16:9", "9:16", "1:1"]

# wrk prints no 95th percentile by itself.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def populate() -> tuple[Client, str, Workspace, User]:
    call_command("migrate", verbosity=0)
    name = f"bench-pages-{uuid.uuid4().hex[:8]}"  # fresh each run: the database may hold older runs
    user = User.objects.create_user(username=name, password="bench-pass-123")
    workspace = Workspace.objects.create(name="Bench team", created_by=user)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    project = Project.objects.create(workspace=workspace, name="Bench", created_by=user)
    start = timezone.now() - timedelta(days=30)
    Generation.objects.bulk_create(
        (
            Generation(
                workspace=workspace,
                project=project,
                created_by=user,
                created_at=start + timedelta(seconds=index * 60),
                submitted_at=start + timedelta(seconds=index * 60 + 5),
                finished_at=start + timedelta(seconds=index * 60 + 65),
                prompt=f"{PROMPTS[index % len(PROMPTS)]} #{index}",
                aspect_ratio=RATIOS[index % len(RATIOS)],
                model_code="bench",
                status=Status.SUCCEEDED,
                video=f"videos/bench/{index}.mp4",
                poster=f"videos/bench/{index}.jpg",
                video_seconds=5.0,
            )
            for index in range(ROWS)
        ),
        batch_size=1000,
    )
    Favorite.objects.bulk_create(
        [Favorite(user=user, generation=g) for g in Generation.objects.filter(workspace=workspace)[::10]],
        batch_size=1000,
    )
    if connection.vendor == "postgresql":
        # As autovacuum would: without fresh statistics the planner takes the 10,000 new rows of
        # the project for 7 and sorts them all instead of walking its index (250 ms, not 0.3 ms).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(workspace.code)
    session.save()
    return client, f"/projects/{project.code}/", workspace, user


def start_gunicorn(extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING", **extra_env}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "studio.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{BASE}/healthz", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def wrk(url: str, cookie: str, seconds: int, script: Path) -> tuple[float, float, float, int]:
    """Requests per second, median and 95th percentile in ms, and errors (non-2xx/3xx too)."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            "-H",
            f"Cookie: {cookie}",
            f"{BASE}{url}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert found, out
    count, micros, p50, p95, errors = (int(v) for v in found.groups())
    return count / (micros / 1e6), p50 / 1000, p95 / 1000, errors


Row = tuple[str, float, float, float, int]


def load_run(pages: list[tuple[str, str]], cookie: str, extra_env: dict[str, str]) -> list[Row]:
    """ROUNDS rounds of every page in turn, so a busy moment of the machine falls on all pages
    alike; each page's figures are the medians over the rounds."""
    script = WORK / "p95.lua"
    script.write_text(WRK_SCRIPT)
    server = start_gunicorn(extra_env)
    runs: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name, _ in pages}
    try:
        for _name, url in pages:
            wrk(url, cookie, 2, script)  # warm-up: both workers compile templates and fill their caches
        for round_number in range(ROUNDS):
            for name, url in pages:
                rate, p50, p95, errors = wrk(url, cookie, SECONDS, script)
                runs[name].append((rate, p50, p95, errors))
                print(
                    f"  round {round_number + 1} {name}: {rate:.0f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms"
                )
    finally:
        stop(server)
    return [
        (
            name,
            statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results),
            statistics.median(r[2] for r in results),
            sum(r[3] for r in results),
        )
        for name, results in runs.items()
    ]


def queries(client: Client, url: str) -> tuple[int, int, int]:
    """SQL queries of a first visit (nothing cached), of the next visit (kept), and the HTML's size."""
    from django.core.cache import cache

    counts = []
    for visit in ("drawn", "kept"):
        if visit == "drawn":
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(captured))
    return counts[0], counts[1], len(response.content)


def first_load_bytes(url: str, cookie: str) -> tuple[int, int, int]:
    """The page over HTTP with gzip, and its stylesheets and scripts as gzip would serve them."""
    request = urllib.request.Request(f"{BASE}{url}", headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        assert response.headers.get("Content-Encoding") == "gzip"
    html = gzip.decompress(body).decode()
    assets = 0
    for path in re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', html):
        found = finders.find(path)
        assert found, path
        assets += len(gzip.compress(Path(found).read_bytes(), compresslevel=9))
    return len(body), len(html.encode()), assets


def poll_rates(workspace: Workspace, user: User, cookie_value: str) -> list[tuple[int, str, float, int]]:
    """Requests a minute to /g/live from a real page with N cards in progress, in chromium."""
    from playwright.sync_api import sync_playwright

    # The rows first: Django's ORM may not run inside Playwright's event loop.
    cases = []
    for count, age in ((1, 0), (8, 0), (24, 0), (24, 600)):
        project = Project.objects.create(workspace=workspace, name=f"pending {count}", created_by=user)
        cases.append((count, age, f"/projects/{project.code}/", project))
    rows = []
    server = start_gunicorn({})
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium"
            )
            for count, age, url, project in cases:
                context = browser.new_context()
                context.add_cookies([{"name": "sessionid", "value": cookie_value, "url": BASE}])
                page = context.new_page()
                polls: list[str] = []
                page.on("request", functools.partial(_note_poll, polls))
                make_pending(project, user, count, age)
                page.goto(f"{BASE}{url}")
                page.wait_for_timeout(POLL_SECONDS * 1000)
                codes = max((url.count("code=") for url in polls), default=0)
                rate = len(polls) * 60 / POLL_SECONDS
                label = "just made" if not age else f"{age // 60} min old"
                rows.append((count, label, rate, codes))
                print(f"  {count} in progress ({label}): {rate:.0f} requests/min, up to {codes} cards each")
                context.close()
            browser.close()
    finally:
        stop(server)
    return rows


def _note_poll(seen: list[str], request: Request) -> None:
    if "/g/live?" in request.url:
        seen.append(request.url)


def make_pending(project: Project, user: User, count: int, age: int) -> None:
    """`count` cards in progress, made `age` seconds ago; in a thread, away from the event loop."""

    def create() -> None:
        created = timezone.now() - timedelta(seconds=age)
        Generation.objects.bulk_create(
            Generation(
                workspace=project.workspace,
                project=project,
                created_by=user,
                created_at=created,
                submitted_at=created,
                prompt=f"still going #{n}",
                model_code="bench",
                status=Status.SUBMITTED,
                provider_status="Generating",
                # Far ahead: no poller runs, and none would touch these.
                next_attempt_at=timezone.now() + timedelta(days=1),
            )
            for n in range(count)
        )
        connection.close()

    worker = threading.Thread(target=create)
    worker.start()
    worker.join()


def write_section(load: dict[str, list[Row]], counts, first, polls) -> Path:
    html_gz, html_raw, assets = first
    lines = [
        SECTION,
        "",
        f"Measured by `make bench` (`tests/bench/pages.py`) on {timezone.now():%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, {os.cpu_count()} cores shared with other work, "
        f"Python {platform.python_version()}, "
        f"{connection.vendor}: one workspace with {ROWS:,} finished generations (one in ten starred), "
        f"gunicorn with 2 workers (gunicorn.conf.py: threaded, no keep-alive) on 127.0.0.1, wrk with 2 "
        f"threads and 16 connections, {ROUNDS} rounds "
        f"of {SECONDS} s a page (every page in turn, after a 2 s warm-up each), all in the same run; "
        "each figure is the median over the rounds. "
        "The floor is `studio/generations/views_floor.py`: "
        "the same middleware and sign-in, 2 SQL queries, 24 cards as plain HTML (mounted only with "
        "BENCH_FLOOR_VIEW).",
        "",
    ]
    for backend, rows in load.items():
        floor = rows[0]
        lines += [
            f"### {backend}",
            "",
            "| page | req/s | p50 | p95 | p95 ÷ floor's | p50 ÷ floor's | floor's req/s ÷ page's | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {name} | {rate:.0f} | {p50:.1f} ms | {p95:.1f} ms | {p95 / floor[3]:.2f}× "
                f"| {p50 / floor[2]:.2f}× | {floor[1] / rate:.2f}× | {errors} |"
                for name, rate, p50, p95, errors in rows
            ),
            "",
        ]
    lines += [
        "Every page is asked for again and again by the same person, so after the warm-up it comes "
        "from the cache whole (studio.generations.pages.kept_page): what remains is the sign-in, the "
        "scoped lookups and the page's one query for its rows, whose card keys make the page's key. "
        "The last table turns the keeping off (CARD_CACHE_SECONDS=0): every card and page drawn on "
        "every visit. Read p95 together with throughput: under 16 connections a request's wait is "
        "mostly its turn in the queue, so the two ratios move together.",
        "",
        "### Queries and size of each page",
        "",
        "| page | SQL queries, drawn (nothing cached) | SQL queries, kept | HTML bytes |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {drawn} | {kept} | {size:,} |" for name, drawn, kept, size in counts),
        "",
        "### A first visit",
        "",
        f"The team gallery's HTML is {html_raw:,} bytes, {html_gz:,} bytes as sent (gzip, "
        f"studio.lib.compress); its stylesheet and scripts are {assets:,} bytes gzip-compressed as "
        f"whitenoise serves them in production: **{(html_gz + assets) / 1024:.1f} KiB** in all, before "
        "the icon sprite, the tiles' poster images and videos (preload=none).",
        "",
        "### Live cards: requests a minute from a page with cards in progress",
        "",
        f"Counted in Debian's chromium (Playwright) over {POLL_SECONDS} s on a project page whose cards "
        "stay in progress (no poller runs). Before, each card asked for itself every 2 s: N cards made "
        "30 × N requests a minute.",
        "",
        "| cards in progress | their age | requests/min now | before | cards per request |",
        "|---:|---|---:|---:|---:|",
        *(
            f"| {count} | {label} | {rate:.0f} | {30 * count} | {codes} |"
            for count, label, rate, codes in polls
        ),
        "",
        "One request asks for every card in progress; the interval is 2 s while the youngest card is "
        "under a minute old, 5 s to 5 minutes, 10 s to 15 minutes, then 30 s, and the requests stop "
        "when no card is left in progress.",
        "",
    ]
    return common.write_section(SECTION, lines)


def main() -> None:
    setup_test_environment()
    print(f"pages bench in {WORK} on port {PORT} ({connection.vendor})")
    call_command("collectstatic", "--noinput", verbosity=0)  # gunicorn's whitenoise serves the scripts
    client, project_url, workspace, user = populate()
    session = client.cookies["sessionid"].value
    cookie = f"sessionid={session}"
    pages = [
        ("floor (hand-written)", "/bench/floor/"),
        ("team gallery", "/gallery/team/"),
        ("My generations", "/gallery/"),
        ("project page", project_url),
    ]
    load = {"Cards cached in local memory (the default)": load_run(pages, cookie, {})}
    if os.environ.get("BENCH_REDIS_URL"):
        print("with Redis:")
        load["Cards cached in Redis"] = load_run(pages, cookie, {"REDIS_URL": os.environ["BENCH_REDIS_URL"]})
    print("without the card cache:")
    load["No card cache (CARD_CACHE_SECONDS=0), for comparison"] = load_run(
        pages, cookie, {"CARD_CACHE_SECONDS": "0"}
    )
    counts = [(name, *queries(client, url)) for name, url in pages]
    server = start_gunicorn({})
    try:
        first = first_load_bytes("/gallery/team/", cookie)
    finally:
        stop(server)
    polls = poll_rates(workspace, user, session)
    print(f"wrote {write_section(load, counts, first, polls)}")


if __name__ == "__main__":
    main()
