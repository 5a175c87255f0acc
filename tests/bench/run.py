"""`make bench`: the poller's cost and speed against the sandbox, written to docs/benchmarks.md.

Not a test: numbers depend on the machine. Everything runs on 127.0.0.1 and stops by itself.
The sandbox runs in its own dev-server process and the poller in its own process, as in
production; this process only prepares rows and reads the counters.

  - provider calls per poll cycle for 1, 50, 500 and 5,000 tasks in flight;
  - completions per second with the sandbox answering at once (median of 3 runs);
  - the poller's resident memory after 10,000 completions.

BENCH_COMPLETIONS (default 10000) shortens the memory run for a quick look.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from tests.bench.common import free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(tempfile.mkdtemp(prefix="studio-bench-"))


PORT = free_port()
ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{WORK / 'bench.sqlite3'}",
    "MEDIA_ROOT": str(WORK / "media"),
    "SANDBOX_MEDIA_ROOT": str(WORK / "sandbox"),
    "STUDIO_BASE_URL": f"http://127.0.0.1:{PORT}",
    "CHANJING_BASE_URL": f"http://127.0.0.1:{PORT}/sandbox",
    "CHANJING_RATE_LIMIT": "0",
    "SANDBOX_QUEUED_SECONDS": "0",
    "SANDBOX_READY_SECONDS": "0",
    "SANDBOX_GENERATING_SECONDS": "0",
    "SANDBOX_VIDEO_WIDTH": "64",
    "SANDBOX_VIDEO_FPS": "2",
    "POLLER_SLEEP_SECONDS": "0.2",
    "LOG_LEVEL": "WARNING",
    "DEBUG": "0",
}
os.environ.update(ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from studio.accounts.models import User  # noqa: E402
from studio.generations.models import Generation, Project, Status  # noqa: E402
from studio.sandbox.models import Behaviour, RequestLog, Task  # noqa: E402
from studio.workspaces.models import personal_workspace_for  # noqa: E402

MANAGE = [sys.executable, str(ROOT / "manage.py")]


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MANAGE, *args], env=ENV, cwd=ROOT, check=True, capture_output=True, **kwargs)


def start_sandbox() -> subprocess.Popen[bytes]:
    return start_server(
        [*MANAGE, "devserver", f"127.0.0.1:{PORT}", "--noreload", "--nothreading"],
        port=PORT,
        env=ENV,
        cwd=ROOT,
    )


def reset() -> None:
    Generation.objects.all().delete()
    Task.objects.all().delete()
    RequestLog.objects.all().delete()


def in_flight(project: Project, user: User, count: int, *, behaviour: str, age: timedelta) -> None:
    """`count` tasks the sandbox knows and the studio is waiting for, created directly."""
    created = timezone.now() - age
    params = {
        "ref_prompt": "bench",
        "creation_type": 4,
        "model_code": "Doubao-Seedance-1.0-lite-i2v",
        "video_duration": 5,
        "aspect_ratio": "16:9",
        "clarity": 720,
        "start_frame": None,
        "end_frame": None,
        "callback": None,
    }
    ids = [str(uuid.uuid4()) for _ in range(count)]
    for start in range(0, count, 1000):
        chunk = ids[start : start + 1000]
        Task.objects.bulk_create(
            Task(
                unique_id=uid,
                body=params,
                prompt=f"bench {uid[:8]}",
                params=params,
                behaviour=behaviour,
                created_at=created,
            )
            for uid in chunk
        )
        Generation.objects.bulk_create(
            Generation(
                workspace=project.workspace,
                project=project,
                created_by=user,
                prompt=f"bench {uid[:8]}",
                aspect_ratio="16:9",
                clarity=720,
                duration=5,
                model_code="Doubao-Seedance-1.0-lite-i2v",
                is_sandbox=True,
                status=Status.SUBMITTED,
                provider_status="Generating",
                unique_id=uid,
                submitted_at=created,
                next_attempt_at=timezone.now() - timedelta(seconds=1),
            )
            for uid in chunk
        )


def calls_per_cycle(project: Project, user: User) -> list[tuple[int, int, int, float]]:
    rows = []
    for count in (1, 50, 500, 5000):
        reset()
        in_flight(project, user, count, behaviour=Behaviour.SLOW, age=timedelta(minutes=10))
        manage("poll_generations", "--once")  # warms the token
        Generation.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        RequestLog.objects.all().delete()
        started = time.perf_counter()
        manage("poll_generations", "--once")
        seconds = time.perf_counter() - started
        pages = RequestLog.objects.filter(endpoint="task_page").count()
        total = RequestLog.objects.count()
        rows.append((count, pages, total, seconds))
        print(f"  {count:>5} in flight: {total} provider calls ({pages} task/page) in {seconds:.2f} s")
    return rows


def completions_per_second(project: Project, user: User, count: int = 300, runs: int = 3) -> list[float]:
    rates = []
    for _ in range(runs):
        reset()
        in_flight(project, user, count, behaviour=Behaviour.NORMAL, age=timedelta(minutes=1))
        started = time.perf_counter()
        manage("poll_generations", "--once")
        seconds = time.perf_counter() - started
        done = Generation.objects.filter(status=Status.SUCCEEDED).count()
        rates.append(done / seconds)
        print(f"  {done} completions in {seconds:.2f} s = {done / seconds:.1f}/s")
    return rates


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_after_completions(project: Project, user: User, total: int) -> tuple[int, int, int, float]:
    reset()
    in_flight(project, user, total, behaviour=Behaviour.NORMAL, age=timedelta(minutes=1))
    poller = subprocess.Popen(
        [*MANAGE, "poll_generations"], env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    started = time.perf_counter()
    early = 0
    try:
        while True:
            done = Generation.objects.filter(status=Status.SUCCEEDED).count()
            if not early and done >= min(500, total):
                early = rss_kib(poller.pid)
            if done >= total:
                break
            if poller.poll() is not None:
                raise SystemExit("the poller died")
            time.sleep(1)
        final = rss_kib(poller.pid)
    finally:
        poller.terminate()
        poller.wait(timeout=60)
    return total, early, final, time.perf_counter() - started


def write_report(cycle_rows, rates, memory) -> Path:
    total, early, final, seconds = memory
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {timezone.now():%Y-%m-%d %H:%M} UTC, one run, on {platform.node()}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, database {connection.vendor}. "
        "The sandbox provider answers at once (no queue time) from its own dev-server process; the "
        "poller runs as `manage.py poll_generations` in another. Videos are 64 px, 2 fps, 5 s.",
        "",
        "## Provider calls per poll cycle",
        "",
        "| tasks in flight | provider calls | of which task/page | calls per 50 tasks | cycle time |",
        "|---:|---:|---:|---:|---:|",
    ]
    for count, pages, calls, cycle_seconds in cycle_rows:
        lines.append(
            f"| {count:,} | {calls} | {pages} | {calls / max(count / 50, 1):.2f} | {cycle_seconds:.2f} s |"
        )
    lines += [
        "",
        "Pending tasks are checked through `/task/page`, 50 unique_ids a call: N tasks cost "
        "ceil(N/50) calls a cycle, never one detail call per task.",
        "",
        "## Completions per second",
        "",
        f"300 finished tasks per run, {len(rates)} runs: "
        f"median **{statistics.median(rates):.1f} completions/s** "
        f"(runs: {', '.join(f'{rate:.1f}' for rate in rates)}). A completion is: list call share, download "
        "of the MP4 (streamed, sha256), MP4 signature check, probe of duration, poster extraction, "
        "writing both files, one UPDATE. The sandbox renders each video on the first read that finds it "
        "done, inside the same run.",
        "",
        "## Poller memory",
        "",
        f"{total:,} completions by one long-running poller in {seconds:.0f} s: resident memory "
        f"{early / 1024:.1f} MiB after the first 500, {final / 1024:.1f} MiB after {total:,} "
        f"(ratio {final / max(early, 1):.2f}).",
        "",
    ]
    path = ROOT / "docs" / "benchmarks.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    print(f"bench in {WORK} on port {PORT} ({ENV['DATABASE_URL'].split(':')[0]})")
    manage("migrate", "--noinput")
    user, _ = User.objects.get_or_create(username="bench")
    project = Project.objects.create(workspace=personal_workspace_for(user), name="bench", created_by=user)
    server = start_sandbox()
    try:
        print("provider calls per cycle:")
        cycle_rows = calls_per_cycle(project, user)
        print("completions per second:")
        rates = completions_per_second(project, user)
        total = int(os.environ.get("BENCH_COMPLETIONS", "10000"))
        print(f"memory after {total} completions:")
        memory = memory_after_completions(project, user, total)
        print(f"  {memory[1] / 1024:.1f} MiB early, {memory[2] / 1024:.1f} MiB at the end, {memory[3]:.0f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"wrote {write_report(cycle_rows, rates, memory)}")


if __name__ == "__main__":
    main()
