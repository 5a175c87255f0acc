"""`make run`: the web server and the poller together, stopped together by Ctrl-C.

A child that dies is started again rather than taking the studio down with it: after a
database restart, a crash or an OOM kill, the studio comes back by itself. Restarts back off
(1 s, 2 s, 4 s … up to a minute) while a child keeps dying young, and start from 1 s again
once it has stayed up for a while.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
# A child that ran this long before dying had a fault, not a crash loop: no backoff carried over.
STABLE_SECONDS = 60.0
STOP_TIMEOUT = 15


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[Any] | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    quick_deaths: int = 0
    restarts: int = field(default=0)

    def start(self) -> subprocess.Popen[Any]:
        self.process = subprocess.Popen(self.argv)
        self.started_at = time.monotonic()
        return self.process

    def died(self) -> int | None:
        """The exit code when the child has died since the last look, else None."""
        if self.process is None:
            return None
        return self.process.poll()

    def schedule_restart(self) -> float:
        """Forget the dead process and pick when to start it again; return the wait."""
        ran = time.monotonic() - self.started_at
        self.quick_deaths = 0 if ran >= STABLE_SECONDS else self.quick_deaths + 1
        wait: float = min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** max(self.quick_deaths - 1, 0))
        self.process = None
        self.restart_at = time.monotonic() + wait
        self.restarts += 1
        return wait


class Command(BaseCommand):
    help = "Run the development web server and the poller side by side, restarting either if it dies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def say(self, text: str, style: Callable[[str], str] | None = None) -> None:
        self.stdout.write(style(text) if style else text)
        self.stdout.flush()

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        children = [
            Child("web server", [*manage, "devserver", addrport, "--noreload"]),
            Child("poller", [*manage, "poll_generations"]),
        ]
        for child in children:
            process = child.start()
            self.say(f"{child.name} started (pid {process.pid})")
        self.say(f"Studio on http://{addrport}/ with the poller. Ctrl-C stops both.", self.style.SUCCESS)
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping:
            for child in children:
                self.watch(child)
            time.sleep(0.3)
        self.stop_all(children)

    def watch(self, child: Child) -> None:
        code = child.died()
        if code is not None:
            wait = child.schedule_restart()
            self.say(f"{child.name} exited with code {code}; restarting it in {wait:g} s", self.style.WARNING)
        elif child.process is None and time.monotonic() >= child.restart_at:
            process = child.start()
            self.say(f"{child.name} restarted (pid {process.pid})")

    def stop_all(self, children: list[Child]) -> None:
        running = [child.process for child in children if child.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
