"""Seed and read the studio database of a real poller process, from another process.

Run as `python -m tests.hostile.studio_db seed '<json>'` or `... report`, with DATABASE_URL
pointing at the studio's database. The tests drive the studio only through processes, as a
deployment does, so the database they inspect is the one the poller wrote.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from typing import Any


def seed(spec: dict[str, Any]) -> list[str]:
    from django.utils import timezone

    from studio.accounts.models import User
    from studio.generations.models import Generation, Project, Status
    from studio.workspaces.models import personal_workspace_for

    user, _ = User.objects.get_or_create(username="creator", defaults={"email": "creator@example.com"})
    workspace = personal_workspace_for(user)
    project, _ = Project.objects.get_or_create(workspace=workspace, name="Hostile", created_by=user)
    now = timezone.now()
    codes = []
    for row in spec["generations"]:
        submitted = bool(row.get("unique_id"))
        generation = Generation.objects.create(
            workspace=workspace,
            project=project,
            created_by=user,
            prompt=row.get("prompt", "hostile"),
            aspect_ratio="16:9",
            clarity=720,
            duration=5,
            model_code="Doubao-Seedance-1.0-lite-i2v",
            status=Status.SUBMITTED if submitted else Status.PENDING,
            provider_status="Queued" if submitted else "",
            unique_id=row.get("unique_id", ""),
            submitted_at=now if submitted else None,
            next_attempt_at=now - timedelta(seconds=1),
        )
        codes.append(str(generation.code))
    return codes


def report() -> dict[str, Any]:
    from studio.chanjing.models import ProviderCall, ProviderToken
    from studio.generations.models import Generation

    fields = (
        "code",
        "status",
        "provider_status",
        "unique_id",
        "error_kind",
        "error_message",
        "error_raw",
        "video",
        "video_sha256",
        "lease_owner",
        "attempts",
        "next_attempt_at",
    )
    return {
        "generations": list(Generation.objects.order_by("id").values(*fields)),
        "tokens": list(ProviderToken.objects.values("token", "expires_at", "refresh_lease_until")),
        "calls": list(
            ProviderCall.objects.order_by("id").values("endpoint", "ok", "msg", "trace_id", "latency_ms")
        ),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    import django

    django.setup()
    if sys.argv[1] == "seed":
        print(json.dumps(seed(json.loads(sys.argv[2]))))
    else:
        print(json.dumps(report(), default=str))


if __name__ == "__main__":
    main()
