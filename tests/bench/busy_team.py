"""`make bench`, busy-team part: what a generation costs at the default rate limit, with faults.

BUSY_GENERATIONS (default 300) generations are queued at once; BUSY_POLLERS pollers (default
4 on PostgreSQL, 1 on SQLite) run against the sandbox in its own dev-server process, which
queues each task for 30 s and answers with the faults a real provider has: code 50000, an
HTML 502 from its gateway, truncated bodies, submits whose answer is lost, 120-second tokens.
The studio keeps its default call rate (CHANJING_RATE_LIMIT, 5 a second) and default
reconciliation settings. Measured from the call journal once every generation has ended:

  - provider API calls per generation, and the share spent looking for lost submits;
  - created-to-done time, median and 95th percentile;
  - sandbox tasks per generation (must be exactly 1).

Only the "## A busy team" section of docs/benchmarks.md is rewritten. Runs on 127.0.0.1 only
and stops by itself (BUSY_TIMEOUT seconds at most, default 1200).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import common
from tests.bench.common import free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(tempfile.mkdtemp(prefix="studio-bench-busy-"))
SECTION = "## A busy team"


PORT = free_port()
ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{WORK / 'bench.sqlite3'}",
    "MEDIA_ROOT": str(WORK / "media"),
    "SANDBOX_MEDIA_ROOT": str(WORK / "sandbox"),
    "STUDIO_BASE_URL": f"http://127.0.0.1:{PORT}",
    "CHANJING_BASE_URL": f"http://127.0.0.1:{PORT}/sandbox",
    "SANDBOX_TOKEN_TTL": "120",
    "SANDBOX_QUEUED_SECONDS": "10",
    "SANDBOX_READY_SECONDS": "5",
    "SANDBOX_GENERATING_SECONDS": "15",
    "SANDBOX_FAULT_50000_RATE": "0.03",
    "SANDBOX_FAULT_502_RATE": "0.02",
    "SANDBOX_FAULT_TRUNCATED_RATE": "0.03",
    "SANDBOX_FAULT_LOST_SUBMIT_RATE": "0.05",
    "SANDBOX_VIDEO_WIDTH": "64",
    "SANDBOX_VIDEO_FPS": "2",
    "POLLER_SLEEP_SECONDS": "1",
    "LOG_LEVEL": "ERROR",
    "DEBUG": "0",
}
for name in ("CHANJING_RATE_LIMIT", "SUBMIT_RECONCILE_SECONDS", "SUBMIT_CLOCK_SKEW_SECONDS"):
    ENV.pop(name, None)  # the defaults are what is measured
os.environ.update(ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from studio.accounts.models import User  # noqa: E402
from studio.chanjing.models import ProviderCall  # noqa: E402
from studio.chanjing.wire import DOWNLOAD_ENDPOINT, SUBMIT_PATH, TASK_PAGE_PATH, TOKEN_PATH  # noqa: E402
from studio.generations.models import Generation, Project, Status  # noqa: E402
from studio.sandbox.models import RequestLog, Task  # noqa: E402
from studio.workspaces.models import personal_workspace_for  # noqa: E402

MANAGE = [sys.executable, str(ROOT / "manage.py")]
TERMINAL = [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED]


def start_sandbox() -> subprocess.Popen[bytes]:
    return start_server(
        [*MANAGE, "devserver", f"127.0.0.1:{PORT}", "--noreload"], port=PORT, env=ENV, cwd=ROOT
    )


def queue(count: int) -> None:
    people = []
    for name in ("ana", "bo", "chen"):
        user, _ = User.objects.get_or_create(username=f"busy-{name}")
        workspace = personal_workspace_for(user)
        project = Project.objects.create(workspace=workspace, name="bench", created_by=user)
        people.append((user, project))
    now = timezone.now()
    Generation.objects.bulk_create(
        Generation(
            workspace=project.workspace,
            project=project,
            created_by=user,
            created_at=now,
            prompt=f"busy scene {index // 3}",  # takes of three identical prompts
            take_index=index % 3 + 1,
            aspect_ratio="16:9",
            clarity=720,
            duration=5,
            model_code=settings.CHANJING_MODEL_CODE,
            is_sandbox=True,
        )
        for index, (user, project) in ((index, people[index % 3]) for index in range(count))
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(count: int, pollers: int, timeout: float) -> dict[str, Any]:
    Generation.objects.all().delete()
    Task.objects.all().delete()
    RequestLog.objects.all().delete()
    ProviderCall.objects.all().delete()
    queue(count)
    processes = [
        subprocess.Popen(
            [*MANAGE, "poll_generations"],
            env=ENV,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(pollers)
    ]
    started = time.monotonic()
    try:
        while Generation.objects.exclude(status__in=TERMINAL).exists():
            if time.monotonic() - started > timeout:
                raise SystemExit(f"not every generation ended within {timeout:.0f} s")
            time.sleep(2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=120)
    wall = time.monotonic() - started
    api = ProviderCall.objects.exclude(endpoint=DOWNLOAD_ENDPOINT)
    counts = api.aggregate(
        total=Count("id"),
        looks=Count("id", filter=Q(endpoint=TASK_PAGE_PATH, generation_code__isnull=False)),
        polls=Count("id", filter=Q(endpoint=TASK_PAGE_PATH, generation_code__isnull=True)),
        submits=Count("id", filter=Q(endpoint=SUBMIT_PATH)),
        tokens=Count("id", filter=Q(endpoint=TOKEN_PATH)),
        failed=Count("id", filter=Q(ok=False)),
    )
    done = Generation.objects.filter(status=Status.SUCCEEDED)
    seconds = [
        (g.finished_at - g.created_at).total_seconds()
        for g in done.only("created_at", "finished_at")
        if g.finished_at is not None
    ]
    lost = RequestLog.objects.filter(endpoint="task_submit").exclude(fault="").values("fault")
    return {
        "count": count,
        "pollers": pollers,
        "wall": wall,
        **counts,
        "succeeded": len(seconds),
        "failed_generations": Generation.objects.filter(status=Status.FAILED).count(),
        "median": statistics.median(seconds),
        "p95": percentile(seconds, 0.95),
        "tasks": Task.objects.count(),
        "submit_faults": dict(lost.annotate(n=Count("id")).values_list("fault", "n")),
        "downloads": ProviderCall.objects.filter(endpoint=DOWNLOAD_ENDPOINT).count(),
    }


def write_section(result: dict[str, Any]) -> Path:
    total = result["total"]
    faults = ", ".join(f"{n} {fault}" for fault, n in sorted(result["submit_faults"].items())) or "none"
    lines = [
        SECTION,
        "",
        f"Measured by `make bench` (`tests/bench/busy_team.py`) on {timezone.now():%Y-%m-%d %H:%M} UTC, one "
        f"run, {platform.node()}, Python {platform.python_version()}, {connection.vendor}: "
        f"{result['count']} generations queued at once by three people (takes of three identical "
        f"prompts), {result['pollers']} pollers, the default rate limit "
        f"({settings.CHANJING_RATE_LIMIT:g} calls/s) and reconciliation settings "
        f"({settings.SUBMIT_CLOCK_SKEW_SECONDS} s clock skew, "
        f"{settings.SUBMIT_RECONCILE_SECONDS} s list lag). "
        "The sandbox queues each task for 30 s and injects 3% code 50000, 2% HTML 502, 3% truncated "
        "bodies and 5% lost submit answers; tokens live 120 s.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| provider API calls | {total} ({total / result['count']:.2f} per generation) |",
        f"| of which submits | {result['submits']} |",
        f"| of which task/page to poll | {result['polls']} |",
        f"| of which task/page looking for lost submits | {result['looks']} "
        f"({result['looks'] / max(total, 1):.1%} of all calls) |",
        f"| of which token fetches | {result['tokens']} |",
        f"| calls that failed (faults, rate limit) | {result['failed']} |",
        f"| submit faults the sandbox injected | {faults} |",
        f"| sandbox tasks per generation | {result['tasks'] / result['count']:.2f} |",
        f"| generations done / failed | {result['succeeded']} / {result['failed_generations']} |",
        f"| created to done, median | {result['median']:.0f} s |",
        f"| created to done, 95th percentile | {result['p95']:.0f} s |",
        f"| whole run | {result['wall']:.0f} s |",
        "",
        f"Every generation ended with {'exactly one' if result['tasks'] == result['count'] else 'NOT one'} "
        "sandbox task. A lost submit is looked for before any fresh submit is sent, and a look "
        "stops at the first match no other generation could claim, so most looks read one page. "
        "Proving that a submit was never created (the gateway's 502 before the provider saw it) "
        "costs more: the look must read the whole window, back to the send time less the "
        f"{settings.SUBMIT_CLOCK_SKEW_SECONDS} s clock-skew margin, and read it again once the list "
        "lag has passed before the submit is sent again. Those few generations take most of the "
        "looks and stretch the 95th percentile. Calls are counted per attempt, as the journal "
        "records them.",
        "",
    ]
    return common.write_section(SECTION, lines)


def main() -> None:
    count = int(os.environ.get("BUSY_GENERATIONS", "300"))
    pollers = int(os.environ.get("BUSY_POLLERS", "4" if connection.vendor == "postgresql" else "1"))
    timeout = float(os.environ.get("BUSY_TIMEOUT", "1200"))
    print(f"busy team in {WORK} on port {PORT} ({connection.vendor}): {count} generations, {pollers} pollers")
    subprocess.run([*MANAGE, "migrate", "--noinput"], env=ENV, cwd=ROOT, check=True, capture_output=True)
    server = start_sandbox()
    try:
        result = run(count, pollers, timeout)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"  {result['total']} API calls ({result['total'] / count:.2f} per generation), "
        f"{result['looks']} looks, median {result['median']:.0f} s, p95 {result['p95']:.0f} s, "
        f"{result['tasks']} sandbox tasks"
    )
    print(f"wrote {write_section(result)}")


if __name__ == "__main__":
    main()
