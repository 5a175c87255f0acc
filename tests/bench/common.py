"""What the benchmark scripts share: a free port on 127.0.0.1, and their sections of
docs/benchmarks.md (each script rewrites only its own, keeping the others)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_section(heading: str, lines: list[str]) -> Path:
    """Put `lines` (starting with `heading`) in place of that section, or at the end."""
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    before, found, after = text.partition(heading)
    if found:
        # Keep whatever follows our section: the next "## " heading onward.
        rest = after.split("\n## ", 1)
        after = "## " + rest[1] if len(rest) == 2 else ""
    section = "\n".join(lines)
    BENCHMARKS.write_text(before.rstrip("\n") + "\n\n" + section + ("\n" + after if after else ""))
    return BENCHMARKS


def start_server(argv: list[str], *, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start a server process and wait (30 s at most) until it accepts connections on `port`."""
    server = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{' '.join(argv[-3:])} did not start")
