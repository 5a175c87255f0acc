"""The poller: submits waiting generations, polls the provider, stores finished videos.

Shaped like healthchecks' sendalerts: one handle_one_*() step per kind of work, run until
none reports work, then sleep in short slices; SIGTERM/SIGINT only set a flag.
"""

from __future__ import annotations

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from studio.chanjing.factory import get_client
from studio.generations import lifecycle
from studio.generations.models import Generation

log = logging.getLogger(__name__)

POLL_BATCH = 50


class Command(BaseCommand):
    help = "Submit pending generations, poll the provider and store finished videos."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Do all due work once, then exit.")

    def on_signal(self, signum, frame) -> None:
        log.info("poller: signal %s received, finishing the current item", signum)
        self.stopping = True

    def handle_one_submit(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.due_for_submit(), limit=1)
        if not claimed:
            return False
        lifecycle.submit(claimed[0], self.client)
        self.counts["submitted"] += 1
        return True

    def handle_one_poll(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.due_for_poll(), limit=POLL_BATCH)
        if not claimed:
            return False
        lifecycle.poll(claimed, self.client)
        self.counts["polled"] += len(claimed)
        return True

    def run_due_work(self) -> None:
        while not self.stopping:
            worked = self.handle_one_submit()
            worked = self.handle_one_poll() or worked
            if not worked:
                return

    def handle(self, *args, once: bool = False, **options) -> None:
        self.stopping = False
        self.counts = {"submitted": 0, "polled": 0}
        self.client = get_client()
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        if not once:
            self.stdout.write(f"poller {lifecycle.WORKER_NAME} started ({settings.CHANJING_BASE_URL})")
        while not self.stopping:
            self.run_due_work()
            if once:
                break
            slept = 0.0
            while not self.stopping and slept < settings.POLLER_SLEEP_SECONDS:
                time.sleep(0.25)
                slept += 0.25
        self.stdout.write(
            f"poller {lifecycle.WORKER_NAME} done: {self.counts['submitted']} submitted, "
            f"{self.counts['polled']} polled"
        )
