"""What the staff status page shows: the poller, the queue and the provider, in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from studio.chanjing.factory import token_status
from studio.chanjing.models import ProviderCall
from studio.generations.models import Generation, Status, WorkerHeartbeat

# A poller that has not finished a cycle for this long is shown as silent.
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)
ERROR_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Heartbeat:
    row: WorkerHeartbeat
    age: timedelta
    alive: bool


@dataclass(frozen=True)
class SystemStatus:
    now: datetime
    heartbeats: list[Heartbeat]
    queue: list[tuple[str, StrOrPromise, int]]
    oldest_pending: timedelta | None
    oldest_submitted: timedelta | None
    calls_last_hour: int
    failed_calls_last_hour: int
    token: dict[str, Any]

    @property
    def error_rate(self) -> float | None:
        return self.failed_calls_last_hour / self.calls_last_hour if self.calls_last_hour else None


def system_status() -> SystemStatus:
    now = timezone.now()
    heartbeats = [
        Heartbeat(
            row=row,
            age=now - row.last_cycle_at,
            alive=row.stopped_at is None and now - row.last_cycle_at < HEARTBEAT_STALE_AFTER,
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
        calls_last_hour=calls["total"],
        failed_calls_last_hour=calls["failed"],
        token=token_status(),
    )
