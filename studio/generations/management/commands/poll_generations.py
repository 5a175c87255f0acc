"""The poller: submits waiting generations, polls the provider, stores finished videos.

Shaped like healthchecks' sendalerts: one handle_one_*() step per kind of work, run until
none reports work, then sleep in short slices. SIGTERM/SIGINT only set a flag: the current
item is finished (a download is cut short), leases are given back, and the process exits 0.
Any number of pollers may run against one PostgreSQL database; leases keep them off each
other's rows.

A database outage does not stop the poller: it logs once, backs off, reconnects and carries
on. Leases stay honest meanwhile: they expire on their own, and every outcome is written
only under a lease still held.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections import Counter
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError, connection
from django.db.models import QuerySet
from django.utils import timezone

from studio.chanjing.factory import get_client
from studio.generations import lifecycle
from studio.generations.models import Generation, WorkerHeartbeat
from studio.sequences import export

log = logging.getLogger(__name__)

POLL_BATCH = 50
# Waits between attempts to reach the database again: doubling from the first, capped.
OUTAGE_FIRST_WAIT = 0.5
OUTAGE_MAX_WAIT = 10.0
# After a step raised something unexpected (not the database), before the next cycle.
ERROR_WAIT = 5.0


class Command(BaseCommand):
    help = "Submit pending generations, poll the provider and store finished videos."
    outage_since: float | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Do all due work once, then exit.")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("poller %s: signal %s, finishing the current item", self.worker, signum)
        self.stopping = True

    def count(self, outcome: lifecycle.Outcome, rows: int = 1) -> None:
        if outcome in (lifecycle.Outcome.SUBMITTED, lifecycle.Outcome.ADOPTED):
            self.counts["submitted"] += rows
        elif outcome == lifecycle.Outcome.COMPLETED:
            self.counts["completed"] += rows
        elif outcome == lifecycle.Outcome.FAILED:
            self.counts["failed"] += rows

    def handle_one_reconcile(self) -> bool:
        """Look for the task of one submit whose answer was lost (and send it again only if the
        look proves it was never created)."""
        return self.submit_one(Generation.objects.due_for_reconcile(), "reconciling")

    def handle_one_submit(self) -> bool:
        return self.submit_one(Generation.objects.due_for_submit(), "submitting")

    def submit_one(self, queryset: QuerySet[Generation], doing: str) -> bool:
        claimed = lifecycle.claim(queryset, worker=self.worker, limit=1)
        if not claimed:
            return False
        generation = claimed[0]
        try:
            outcome = lifecycle.submit(generation, self.client)
        except Exception as error:
            outcome = lifecycle.postpone_after_crash(generation, doing, error)
        self.count(outcome)
        return True

    def handle_one_poll(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.due_for_poll(), worker=self.worker, limit=POLL_BATCH)
        if not claimed:
            return False
        try:
            outcomes = lifecycle.poll(claimed, self.client, should_stop=lambda: self.stopping)
        except Exception as error:
            # Raised before any row was handled (the list call itself): each row is postponed.
            outcomes = Counter(
                lifecycle.postpone_after_crash(generation, "polling", error)
                for generation in claimed
                if generation.lease_owner == self.worker
            )
        self.counts["polled"] += len(claimed)
        for outcome, rows in outcomes.items():
            self.count(outcome, rows)
        return True

    def handle_one_stuck(self) -> bool:
        claimed = lifecycle.claim(Generation.objects.stuck(), worker=self.worker, limit=1)
        if not claimed:
            return False
        generation = claimed[0]
        try:
            outcome = lifecycle.settle_stuck(generation, self.client)
        except Exception as error:
            outcome = lifecycle.postpone_after_crash(generation, "settling", error)
        self.count(outcome)
        return True

    def handle_one_export(self) -> bool:
        """Stitch one sequence export (studio.sequences.export); it leases and retries on its own."""
        return export.handle_one(self.worker)

    def run_due_work(self) -> None:
        while not self.stopping:
            worked = self.handle_one_stuck()
            # A fresh submit goes out only when no lost one is due for its look: the longer a
            # look waits, the more tasks it must read through.
            worked = (self.handle_one_reconcile() or self.handle_one_submit()) or worked
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

    def pause(self, seconds: float) -> None:
        """Sleep in short slices, so a signal is acted on within 0.2 s."""
        slept = 0.0
        while not self.stopping and slept < seconds:
            time.sleep(0.2)
            slept += 0.2

    def database_lost(self, error: Exception) -> float:
        """Note a failed database call; return how long to wait before trying again.

        Logged once per outage, not once per attempt. The broken connection is discarded so
        the next query opens a new one.
        """
        with contextlib.suppress(Exception):
            connection.close()
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            self.outage_wait = OUTAGE_FIRST_WAIT
            log.error(
                "poller %s: the database is unreachable (%s); retrying until it is back", self.worker, error
            )
        else:
            self.outage_wait = min(OUTAGE_MAX_WAIT, self.outage_wait * 2)
        return self.outage_wait

    def database_back(self) -> None:
        if self.outage_since is not None:
            log.warning(
                "poller %s: the database is back after %.1f s",
                self.worker,
                time.monotonic() - self.outage_since,
            )
            self.outage_since = None

    def run_cycle(self, once: bool) -> float:
        """Run the due work once; return how long to wait before the next cycle."""
        try:
            self.run_due_work()
        except (OperationalError, InterfaceError) as error:
            if once:
                raise
            return self.database_lost(error)
        except Exception:
            if once:
                raise
            log.exception("poller %s: a step failed unexpectedly; carrying on", self.worker)
            return ERROR_WAIT
        self.database_back()
        return settings.POLLER_SLEEP_SECONDS

    def shut_down(self) -> int:
        """Give the leases back and record the stop; needs the database only at its best.

        If the database is unreachable, the leases expire by themselves (POLLER_LEASE_SECONDS).
        """
        try:
            released = lifecycle.release_all(self.worker) + export.release_all(self.worker)
            self.beat(stopped=True)
        except Exception as error:
            log.warning(
                "poller %s: could not give the leases back (%s); they expire within %s s",
                self.worker,
                error,
                settings.POLLER_LEASE_SECONDS,
            )
            return 0
        return released

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        self.worker = lifecycle.WORKER_NAME
        self.stopping = False
        self.cycles = 0
        self.started_at = timezone.now()
        self.outage_since = None
        self.outage_wait = OUTAGE_FIRST_WAIT
        self.counts = {"submitted": 0, "polled": 0, "completed": 0, "failed": 0}
        # A stopping poller cuts its download short (the watchdog asks this from its thread).
        self.client = get_client(should_stop=lambda: self.stopping)
        self.name_connection()
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        if not once:
            self.stdout.write(f"poller {self.worker} started against {settings.CHANJING_BASE_URL}")
        released = 0
        try:
            while not self.stopping:
                wait = self.run_cycle(once)
                if once or self.stopping:
                    break
                self.pause(wait)
        finally:
            released = self.shut_down()
        summary = ", ".join(f"{count} {name}" for name, count in self.counts.items())
        self.stdout.write(f"poller {self.worker} stopped: {summary}, {released} leases released")
