"""The poller: submits waiting generations, polls the provider, stores finished videos.

Shaped like healthchecks' sendalerts: one handle_one_*() step per kind of work, run until
none reports work, then sleep in short slices. SIGTERM/SIGINT only set a flag: the current
item is finished, leases are given back, and the process exits 0. Any number of pollers may
run against one PostgreSQL database; leases keep them off each other's rows.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

from studio.chanjing.factory import get_client
from studio.generations import lifecycle
from studio.generations.models import Generation, WorkerHeartbeat
from studio.sequences import export

log = logging.getLogger(__name__)

POLL_BATCH = 50


class Command(BaseCommand):
    help = "Submit pending generations, poll the provider and store finished videos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Do all due work once, then exit.")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("poller %s: signal %s, finishing the current item", self.worker, signum)
        self.stopping = True

    def handle_one_submit(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.due_for_submit(), worker=self.worker, limit=1)
        if not claimed:
            return False
        generation = claimed[0]
        try:
            lifecycle.submit(generation, self.client)
        except Exception:
            lifecycle.postpone_after_crash(generation, "submitting")
        self.counts["submitted"] += 1
        return True

    def handle_one_poll(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.due_for_poll(), worker=self.worker, limit=POLL_BATCH)
        if not claimed:
            return False
        outcome = lifecycle.poll(claimed, self.client, should_stop=lambda: self.stopping)
        self.counts["polled"] += len(claimed)
        self.counts["completed"] += outcome["completed"]
        self.counts["failed"] += outcome["failed"]
        return True

    def handle_one_stuck(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.stuck(), worker=self.worker, limit=1)
        if not claimed:
            return False
        generation = claimed[0]
        try:
            if lifecycle.settle_stuck(generation, self.client) == "failed":
                self.counts["failed"] += 1
        except Exception:
            lifecycle.postpone_after_crash(generation, "settling")
        return True

    def handle_one_export(self) -> bool:
        """Stitch one sequence export (studio.sequences.export); it leases and retries on its own."""
        return export.handle_one(self.worker)

    def run_due_work(self) -> None:
        while not self.stopping:
            worked = self.handle_one_stuck()
            worked = self.handle_one_submit() or worked
            worked = self.handle_one_poll() or worked
            worked = self.handle_one_export() or worked
            self.beat()
            if not worked:
                return

    def beat(self, *, stopped: bool = False) -> None:
        now = timezone.now()
        self.cycles += 1
        WorkerHeartbeat.objects.update_or_create(
            name=self.worker,
            defaults={
                "last_cycle_at": now,
                "cycles": self.cycles,
                "submitted": self.counts["submitted"],
                "polled": self.counts["polled"],
                "completed": self.counts["completed"],
                "failed": self.counts["failed"],
                "stopped_at": now if stopped else None,
            },
            create_defaults={"started_at": self.started_at, "last_cycle_at": now},
        )

    def name_connection(self) -> None:
        """Let PostgreSQL's pg_stat_activity show which poller holds a connection."""
        if connection.vendor == "postgresql":
            connection.close()
            connection.settings_dict.setdefault("OPTIONS", {})["application_name"] = f"poller {self.worker}"[
                :63
            ]

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        self.worker = lifecycle.WORKER_NAME
        self.stopping = False
        self.cycles = 0
        self.started_at = timezone.now()
        self.counts = {"submitted": 0, "polled": 0, "completed": 0, "failed": 0}
        self.client = get_client()
        self.name_connection()
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        if not once:
            self.stdout.write(f"poller {self.worker} started against {settings.CHANJING_BASE_URL}")
        try:
            while not self.stopping:
                self.run_due_work()
                if once:
                    break
                slept = 0.0
                while not self.stopping and slept < settings.POLLER_SLEEP_SECONDS:
                    time.sleep(0.2)
                    slept += 0.2
        finally:
            released = lifecycle.release_all(self.worker) + export.release_all(self.worker)
            self.beat(stopped=True)
        summary = ", ".join(f"{count} {name}" for name, count in self.counts.items())
        self.stdout.write(f"poller {self.worker} stopped: {summary}, {released} leases released")
