"""A call rate shared by every process of the deployment, through one database row."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction

from studio.chanjing.models import ProviderRateSlot


class DatabaseRateLimiter:
    """Hands out call slots `1 / rate_per_second` apart, across processes and hosts.

    A short transaction locks the row, takes the next free slot and moves it forward; the
    waiting happens after the commit, so the lock is never held while sleeping (unless the
    caller is itself inside a transaction, which it should not be when calling the network).
    A rate of zero or less disables the limiter.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        key: str = "chanjing",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rate_per_second = rate_per_second
        self.key = key
        self.sleep = sleep
        self.clock = clock

    def acquire(self) -> None:
        if self.rate_per_second <= 0:
            return
        slot = self.reserve()
        wait = slot - self.clock()
        if wait > 0:
            self.sleep(wait)

    def reserve(self) -> float:
        """Claim the next free slot and return it (Unix seconds)."""
        interval = 1.0 / self.rate_per_second
        self._ensure_row()
        with transaction.atomic():
            row = ProviderRateSlot.objects.select_for_update().get(key=self.key)
            slot = max(self.clock(), row.next_free_at)
            row.next_free_at = slot + interval
            row.save(update_fields=["next_free_at"])
        return slot

    def _ensure_row(self) -> None:
        if not ProviderRateSlot.objects.filter(key=self.key).exists():
            ProviderRateSlot.objects.get_or_create(key=self.key)
