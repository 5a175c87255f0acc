"""/healthz/status.json: what the staff status page shows, as JSON for a monitor.

Read by a monitor with `Authorization: Bearer <MONITOR_TOKEN>`, or by signed-in staff. The
numbers come from studio.usage.status, the same as the page's, so the two never disagree.
`problems` names what deserves a page at night; the HTTP status stays 200 while the studio
answers, so a monitor can tell "the studio is down" (no answer, or /healthz 503) from "the
studio says something is wrong".
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from studio.usage.status import SystemStatus, system_status

# Thresholds for `problems`; the numbers themselves are always in the answer.
OLDEST_PENDING_LIMIT = timedelta(minutes=10)
ERROR_RATE_LIMIT = 0.5


def _allowed(request: HttpRequest) -> bool:
    token = settings.MONITOR_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def report(status: SystemStatus) -> dict[str, Any]:
    queue = {value: count for value, _label, count in status.queue}
    alive = [beat for beat in status.heartbeats if beat.alive]
    problems = []
    waiting = queue.get("pending", 0) + queue.get("submitted", 0)
    if waiting and not alive:
        problems.append("no poller is running while generations wait")
    if status.oldest_pending is not None and status.oldest_pending > OLDEST_PENDING_LIMIT:
        problems.append("a generation has waited to be sent for more than 10 minutes")
    if status.error_rate is not None and status.error_rate > ERROR_RATE_LIMIT:
        problems.append("more than half of the provider calls failed in the last hour")
    token = status.token
    return {
        "status": "problem" if problems else "ok",
        "problems": problems,
        "checked_at": status.now.isoformat(),
        "queue": queue,
        "queue_depth": waiting,
        "oldest_pending_seconds": _seconds(status.oldest_pending),
        "oldest_submitted_seconds": _seconds(status.oldest_submitted),
        "pollers": [
            {
                "name": beat.row.name,
                "alive": beat.alive,
                "last_cycle_at": beat.row.last_cycle_at.isoformat(),
                "seconds_since_last_cycle": _seconds(beat.age),
                "stopped_at": beat.row.stopped_at.isoformat() if beat.row.stopped_at else None,
            }
            for beat in status.heartbeats
        ],
        "pollers_alive": len(alive),
        "provider": {
            "mode": token["mode"],
            "calls_last_hour": status.calls_last_hour,
            "failed_calls_last_hour": status.failed_calls_last_hour,
            "error_rate": None if status.error_rate is None else round(status.error_rate, 4),
            "token_expires_at": token["expires_at"].isoformat() if token["expires_at"] else None,
        },
    }


@require_GET
@never_cache
def status_json(request: HttpRequest) -> JsonResponse:
    if not _allowed(request):
        return JsonResponse({"error": "staff or a monitor token (Authorization: Bearer ...)"}, status=403)
    return JsonResponse(report(system_status()))
