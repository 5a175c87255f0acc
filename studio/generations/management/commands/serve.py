"""`make serve`: the production processes side by side, exactly as the image runs them.

gunicorn with gunicorn.conf.py (threaded workers on $PORT) and the poller, under the
production settings and configuration from the environment. Ctrl-C or SIGTERM stops both;
if either exits, the other is stopped too and its exit code is passed on.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run gunicorn and the poller with the production settings (STUDIO_ENV=production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PRODUCTION:
            raise CommandError("serve runs the production configuration: set STUDIO_ENV=production")
        config = settings.BASE_DIR / "gunicorn.conf.py"
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(config), "studio.wsgi:application"]
            ),
            subprocess.Popen([sys.executable, "manage.py", "poll_generations"], cwd=settings.BASE_DIR),
        ]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        codes = []
        for child in children:
            try:
                codes.append(child.wait(timeout=40))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
        if not stopping and any(codes):
            raise CommandError(f"a process exited ({codes}); both are stopped")
