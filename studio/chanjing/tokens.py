"""The deployment's one Chanjing token, kept in the database and refreshed under a row lock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from studio.chanjing.client import TokenFetch
from studio.chanjing.models import ProviderToken


class DatabaseTokenStore:
    """Every process reads the token from one row; only one of them fetches a new one.

    The fast path is a plain read. When the token is missing, near expiry or was rejected, the
    row is locked (`select_for_update` on PostgreSQL; on SQLite the IMMEDIATE transaction mode
    serialises writers), checked again because another process may have refreshed it while we
    waited, and only then replaced. Holding the lock across the token call is the point here:
    it is what makes refreshes happen once. The client keeps that call short.
    """

    def __init__(
        self,
        base_url: str,
        app_id: str,
        *,
        refresh_margin: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.refresh_margin = (
            settings.CHANJING_TOKEN_REFRESH_MARGIN if refresh_margin is None else refresh_margin
        )
        self.clock = clock

    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        row = self._rows().first()
        if row is not None and self._usable(row, force_refresh_of):
            return row.token
        if row is None:
            self._create_row()
        with transaction.atomic():
            row = self._rows().select_for_update().get()
            if self._usable(row, force_refresh_of):
                return row.token
            token, expire_in = fetch()
            row.token = token
            row.expires_at = datetime.fromtimestamp(expire_in, tz=UTC)
            row.save(update_fields=["token", "expires_at", "updated_at"])
            return token

    def current(self) -> ProviderToken | None:
        return self._rows().first()

    def _rows(self):
        return ProviderToken.objects.filter(base_url=self.base_url, app_id=self.app_id)

    def _usable(self, row: ProviderToken, force_refresh_of: str | None) -> bool:
        if not row.token or row.expires_at is None:
            return False
        if force_refresh_of is not None and row.token == force_refresh_of:
            return False
        return row.expires_at.timestamp() - self.refresh_margin > self.clock()

    def _create_row(self) -> None:
        # Two processes may both find no row: the unique constraint lets one insert win, and
        # get_or_create reads the winner's row after losing.
        ProviderToken.objects.get_or_create(base_url=self.base_url, app_id=self.app_id)
