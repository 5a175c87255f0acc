"""What the client is handed: a token store, a rate limiter and a journal.

The deployment passes the database-backed ones (`tokens`, `ratelimit`, `journal`); tests and
scripts can pass MemoryTokenStore and no limiter, so the client itself stays plain Python.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from studio.chanjing.types import CallRecord

Journal = Callable[[CallRecord], None]
TokenFetch = Callable[[], tuple[str, int]]


class TokenStore(Protocol):
    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        """Return the deployment's token, calling `fetch` only when it must be replaced.

        `force_refresh_of` is a token the server just rejected: refresh unless the stored
        token is already a different one (someone else refreshed meanwhile).
        """
        ...


class RateLimiter(Protocol):
    def acquire(self) -> None:
        """Block until this process may make one more call."""
        ...


class MemoryTokenStore:
    """A token store for one process (tests, scripts). The deployment uses DatabaseTokenStore."""

    def __init__(self, *, refresh_margin: float = 300, clock: Callable[[], float] = time.time) -> None:
        self.refresh_margin = refresh_margin
        self.clock = clock
        self.token = ""
        self.expires_at = 0
        self.fetch_count = 0
        self._lock = threading.Lock()

    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        with self._lock:
            fresh = self.token and self.expires_at - self.refresh_margin > self.clock()
            if fresh and (force_refresh_of is None or force_refresh_of != self.token):
                return self.token
            self.token, self.expires_at = fetch()
            self.fetch_count += 1
            return self.token
