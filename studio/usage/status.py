"""What the staff status page shows: the poller, the queue and the provider, in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from studio.chanjing.factory import token_status
from studio.chanjing.models import ProviderCall
from studio.generations.models import Generation, Status, WorkerHeartbeat

# A live poller beats after every cycle and sleeps POLLER_SLEEP_SECONDS between idle ones.
MISSED_BEATS = 10
ERROR_WINDOW = timedelta(hours=1)


def silent_after() -> timedelta:
    """How long without a heartbeat before a poller that never said it stopped counts as dead.

    Ten idle cycles, but never less than a lease: one step (a long download) may hold a row for
    that long, and a poller busy with it is alive.
    """
    return timedelta(
        seconds=max(MISSED_BEATS * settings.POLLER_SLEEP_SECONDS, settings.POLLER_LEASE_SECONDS + 5)
    )


@dataclass(frozen=True)
class Heartbeat:
    row: WorkerHeartbeat
    age: timedelta
    alive: bool

    @property
    def state(self) -> str:
        """One of: alive; stopped (it said so); dead (killed, or its machine is gone)."""
        if self.row.stopped_at:
            return "stopped"
        return "alive" if self.alive else "dead"


@dataclass(frozen=True)
class SystemStatus:
    now: datetime
    heartbeats: list[Heartbeat]
    queue: list[tuple[str, StrOrPromise, int]]
    oldest_pending: timedelta | None
    oldest_submitted: timedelta | None
    reconciling: int  # submits whose answer was lost, their task still being looked for
    calls_last_hour: int
    failed_calls_last_hour: int
    token: dict[str, Any]

    @property
    def pollers_alive(self) -> int:
        return sum(beat.alive for beat in self.heartbeats)

    @property
    def pollers_dead(self) -> int:
        return sum(beat.state == "dead" for beat in self.heartbeats)

    @property
    def error_rate(self) -> float | None:
        return self.failed_calls_last_hour / self.calls_last_hour if self.calls_last_hour else None


def system_status() -> SystemStatus:
    now = timezone.now()
    heartbeats = [
        Heartbeat(
            row=row,
            age=now - row.last_cycle_at,
            alive=row.stopped_at is None and now - row.last_cycle_at < silent_after(),
        )
        for row in WorkerHeartbeat.objects.order_by("-last_cycle_at")
    ]
    counts = dict(Generation.objects.order_by().values_list("status").annotate(Count("id")))
    queue: list[tuple[str, StrOrPromise, int]] = [
        (value, label, counts.get(value, 0)) for value, label in Status.choices
    ]
    oldest = Generation.objects.aggregate(
        pending=Min("created_at", filter=Q(status=Status.PENDING)),
        submitted=Min("submitted_at", filter=Q(status=Status.SUBMITTED)),
        reconciling=Count("id", filter=Q(status=Status.PENDING, submit_uncertain_since__isnull=False)),
    )
    calls = ProviderCall.objects.filter(created_at__gte=now - ERROR_WINDOW).aggregate(
        total=Count("id"), failed=Count("id", filter=Q(ok=False))
    )
    return SystemStatus(
        now=now,
        heartbeats=heartbeats,
        queue=queue,
        oldest_pending=now - oldest["pending"] if oldest["pending"] else None,
        oldest_submitted=now - oldest["submitted"] if oldest["submitted"] else None,
        reconciling=oldest["reconciling"],
        calls_last_hour=calls["total"],
        failed_calls_last_hour=calls["failed"],
        token=token_status(),
    )
