"""Build the Chanjing client from Django settings, with the deployment's shared state."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from studio.chanjing.client import ChanjingClient, DownloadAllowance
from studio.chanjing.journal import record_call
from studio.chanjing.ratelimit import DatabaseRateLimiter
from studio.chanjing.tokens import DatabaseTokenStore


def get_client(**overrides: Any) -> ChanjingClient:
    """The client from settings; `overrides` adjust one use (e.g. a web request's short timeout)."""
    options = {
        "token_store": _token_store(),
        "rate_limiter": DatabaseRateLimiter(settings.CHANJING_RATE_LIMIT),
        "journal": record_call,
        "connect_timeout": settings.CHANJING_CONNECT_TIMEOUT,
        "read_timeout": settings.CHANJING_READ_TIMEOUT,
        "max_retries": settings.CHANJING_MAX_RETRIES,
        "frame_mode": settings.CHANJING_FRAME_MODE,
        "download_allowance": download_allowance(),
        **overrides,
    }
    return ChanjingClient(
        settings.CHANJING_BASE_URL,
        settings.CHANJING_APP_ID,
        settings.CHANJING_SECRET_KEY,
        **options,
    )


def download_allowance() -> DownloadAllowance:
    return DownloadAllowance.build(
        settings.CHANJING_DOWNLOAD_HOSTS,
        allow_http=settings.CHANJING_DOWNLOAD_HTTP,
        local_origins=settings.CHANJING_DOWNLOAD_LOCAL_ORIGINS,
    )


def token_status() -> dict[str, Any]:
    """What admins may see about the shared token: when it expires, never its value."""
    row = _token_store().current()
    expires_at = row.expires_at if row is not None and row.token else None
    return {
        "mode": "sandbox" if settings.SANDBOX_MODE else "live",
        "base_url": settings.CHANJING_BASE_URL,
        "expires_at": expires_at,
        "updated_at": row.updated_at if row is not None else None,
    }


def _token_store() -> DatabaseTokenStore:
    # The token call makes at most two attempts (see Transport._fetch_token); the lease
    # must outlast them both.
    slowest_fetch = 2 * (settings.CHANJING_CONNECT_TIMEOUT + settings.CHANJING_READ_TIMEOUT) + 1
    return DatabaseTokenStore(
        settings.CHANJING_BASE_URL,
        settings.CHANJING_APP_ID,
        refresh_margin=settings.CHANJING_TOKEN_REFRESH_MARGIN,
        lease_seconds=slowest_fetch + 10,
    )
