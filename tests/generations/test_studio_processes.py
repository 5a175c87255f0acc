"""`runstudio` as a deployment runs it: real processes, a child that dies, a database that restarts.

The database restart happens on a throwaway PostgreSQL cluster this test creates for itself
(initdb into a temporary directory, on a free port): never on a server anyone else uses.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthz(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_for(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {timeout} s")


class RunningStudio:
    """`manage.py runstudio` with its output in a file the test can read while it runs."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "STUDIO_BASE_URL": self.base,
            "PYTHONUNBUFFERED": "1",
            "POLLER_SLEEP_SECONDS": "0.2",
            "CHANJING_RATE_LIMIT": "0",
            "SANDBOX_VIDEO_WIDTH": "64",
            "SANDBOX_VIDEO_FPS": "2",
            "SANDBOX_TOKEN_TTL": "3600",
            "LOG_LEVEL": "WARNING",
        }
        self.log = workdir / "runstudio.log"
        self.process: subprocess.Popen[Any] | None = None

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )

    def start(self) -> None:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runstudio", "--addrport", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for("the web server answers /healthz", lambda: healthz(self.base) == 200, 60)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pid_of(self, child: str) -> int | None:
        """The pid of runstudio's live child running `child` (a management command), from /proc."""
        assert self.process is not None
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            alive = fields[0] not in ("Z", "X")
            if alive and int(fields[1]) == self.process.pid and child.encode() in cmdline:
                return int(stat.parent.name)
        return None

    def report(self) -> dict[str, Any]:
        result = self.manage("-m", "tests.hostile.studio_db", "report")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None


def test_runstudio_restarts_a_child_that_dies_instead_of_stopping(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MEDIA_ROOT": str(tmp_path)}
    for name in [name for name in env if name.startswith("CHANJING_")]:
        del env[name]
    studio = RunningStudio(env, tmp_path)
    assert studio.manage("manage.py", "migrate", "-v0").returncode == 0
    studio.start()
    try:
        poller = studio.pid_of("poll_generations")
        assert poller
        os.kill(poller, signal.SIGKILL)
        wait_for("a new poller", lambda: studio.pid_of("poll_generations") not in (None, poller), 20)
        assert "poller exited with code -9; restarting it in 1 s" in studio.output()

        web = studio.pid_of("devserver")
        assert web
        os.kill(web, signal.SIGKILL)
        wait_for("a new web server", lambda: studio.pid_of("devserver") not in (None, web), 20)
        wait_for("/healthz answers again", lambda: healthz(studio.base) == 200, 30)
        children = [studio.pid_of("poll_generations"), studio.pid_of("devserver")]
    finally:
        code = studio.stop()
    assert code == 0
    for child in children:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


# --- A PostgreSQL restart under real processes ----------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class ThrowawayCluster:
    """A PostgreSQL cluster of the test's own, on a free port, deleted afterwards."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="studio-pg-"))
        self.data = self.dir / "data"
        # initdb refuses to run as root; then the cluster belongs to the postgres user.
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / tool), *args], check=True, capture_output=True, timeout=60
        )

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb cannot run")
    throwaway = ThrowawayCluster(bindir)
    throwaway.init()
    throwaway.start()
    yield throwaway
    throwaway.remove()


@pytest.mark.postgres
def test_the_studio_rides_out_a_postgres_restart(cluster, tmp_path):
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute("CREATE DATABASE studio")
    env = {**os.environ, "DATABASE_URL": cluster.url("studio"), "MEDIA_ROOT": str(tmp_path)}
    for name in [name for name in env if name.startswith(("CHANJING_", "SANDBOX_"))]:
        del env[name]
    env.update(
        SANDBOX_QUEUED_SECONDS="1",
        SANDBOX_READY_SECONDS="1",
        SANDBOX_GENERATING_SECONDS="4",
        LOG_LEVEL="INFO",
    )
    studio = RunningStudio(env, tmp_path)
    migrate = studio.manage("manage.py", "migrate", "-v0")
    assert migrate.returncode == 0, migrate.stderr
    seeded = studio.manage("-m", "tests.hostile.studio_db", "seed", json.dumps({"generations": [{}] * 20}))
    assert seeded.returncode == 0, seeded.stderr
    studio.start()
    try:

        def in_flight() -> int:
            return sum(g["status"] == "submitted" for g in studio.report()["generations"])

        wait_for("generations in flight", lambda: in_flight() >= 10, 60)

        cluster.stop()
        outage_started = time.monotonic()
        wait_for("/healthz answers 503 during the outage", lambda: healthz(studio.base) == 503, 10)
        time.sleep(max(0.0, 3 - (time.monotonic() - outage_started)))
        cluster.start()
        wait_for("/healthz answers 200 after the outage", lambda: healthz(studio.base) == 200, 20)

        def all_done() -> bool:
            return all(g["status"] in ("succeeded", "failed") for g in studio.report()["generations"])

        # A deadline, not a timing: on a loaded 2-core machine (the suite runs beside it) the
        # pollers' backoff after the outage can take minutes to drain 20 generations.
        wait_for("every generation finished", all_done, 300)
        generations = studio.report()["generations"]
        output = studio.output()
    finally:
        code = studio.stop()
    assert [g["status"] for g in generations] == ["succeeded"] * 20, [g["error_message"] for g in generations]
    assert all(g["video_sha256"] and g["lease_owner"] == "" for g in generations)
    # Nothing died: the poller rode the outage out, and said so once.
    assert "exited with code" not in output
    assert output.count("the database is unreachable") == 1
    assert "the database is back after" in output
    assert code == 0
