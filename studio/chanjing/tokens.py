"""The deployment's one Chanjing token, kept in the database and refreshed by one process at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q

from studio.chanjing import parse
from studio.chanjing.errors import MalformedAnswer, TransportError
from studio.chanjing.interfaces import TokenFetch
from studio.chanjing.models import ProviderToken
from studio.chanjing.wire import TOKEN_PATH

if TYPE_CHECKING:
    from django.db.models import QuerySet


class DatabaseTokenStore:
    """Every process reads the token from one row; only one of them fetches a new one.

    The fast path is a plain read. When the token is missing, near expiry or was rejected, a
    process claims a short refresh lease with one conditional UPDATE that also requires the
    token to be the one it read, so a process that lost the race (or came after a refresh)
    claims nothing. The winner fetches with no transaction open and writes the new token;
    the others wait for it. Not holding a lock across the HTTP call matters on SQLite, where
    a write lock is database-wide and the sandbox provider may be this very server.
    """

    def __init__(
        self,
        base_url: str,
        app_id: str,
        *,
        refresh_margin: float | None = None,
        lease_seconds: float = 60.0,
        poll_interval: float = 0.2,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.refresh_margin = (
            settings.CHANJING_TOKEN_REFRESH_MARGIN if refresh_margin is None else refresh_margin
        )
        # Longer than the slowest token call the client can make, so a lease never lapses
        # while its holder is still fetching.
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep

    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        give_up_at = self.clock() + self.lease_seconds + 5
        while True:
            row = self._row()
            if self._usable(row, force_refresh_of):
                return row.token
            if self._claim(row):
                return self._refresh(row, fetch)
            if self.clock() > give_up_at:
                raise TransportError(
                    "Another process is refreshing the access token and has not finished.",
                    endpoint=TOKEN_PATH,
                )
            self.sleep(self.poll_interval)

    def current(self) -> ProviderToken | None:
        return self._rows().first()

    def _rows(self) -> QuerySet[ProviderToken]:
        return ProviderToken.objects.filter(base_url=self.base_url, app_id=self.app_id)

    def _row(self) -> ProviderToken:
        row = self._rows().first()
        if row is None:
            # Two processes may both find no row: the unique constraint lets one insert win,
            # and get_or_create reads the winner's row after losing.
            row, _created = ProviderToken.objects.get_or_create(base_url=self.base_url, app_id=self.app_id)
        return row

    def _usable(self, row: ProviderToken, force_refresh_of: str | None) -> bool:
        if not row.token or row.expires_at is None:
            return False
        try:
            # A token stored before tokens were checked, or by hand, is refetched, not sent.
            parse.token(row.token)
        except parse.BadShape:
            return False
        if force_refresh_of is not None and row.token == force_refresh_of:
            return False
        return row.expires_at.timestamp() - self._margin(row) > self.clock()

    def _margin(self, row: ProviderToken) -> float:
        """The refresh margin, but never more than half the token's life.

        A token that lives less than the margin (a sandbox with a short TTL) would otherwise be
        due for refresh as soon as it is issued, and every call would fetch a new one.
        """
        lifetime = None
        if row.expires_at and row.updated_at:
            lifetime = (row.expires_at - row.updated_at).total_seconds()
        if lifetime is None or lifetime <= 0:
            return self.refresh_margin
        return min(self.refresh_margin, lifetime / 2)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def _claim(self, row: ProviderToken) -> bool:
        now = self._now()
        free = Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now)
        claimed = ProviderToken.objects.filter(free, pk=row.pk, token=row.token).update(
            refresh_lease_until=now + timedelta(seconds=self.lease_seconds)
        )
        return claimed == 1

    def _refresh(self, row: ProviderToken, fetch: TokenFetch) -> str:
        """Fetch, check and store a token; whatever happens, the refresh lease is given back."""
        stored = False
        try:
            token, expire_in = fetch()
            try:
                parse.token(token)
                expires_at = datetime.fromtimestamp(expire_in, tz=UTC)
            except (parse.BadShape, ValueError, OverflowError, OSError) as error:
                raise MalformedAnswer(
                    f"The access token cannot be stored: {error}", endpoint=TOKEN_PATH
                ) from None
            ProviderToken.objects.filter(pk=row.pk).update(
                token=token, expires_at=expires_at, refresh_lease_until=None, updated_at=self._now()
            )
            stored = True
        finally:
            if not stored:
                ProviderToken.objects.filter(pk=row.pk).update(refresh_lease_until=None)
        return token
