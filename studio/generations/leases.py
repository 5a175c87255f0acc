"""Leases: how a worker (a poller, or a web request's quick submit) holds a generation.

A worker claims rows and commits, then talks to the network, then writes the outcome only if
its lease still holds; another worker takes over a row whose lease expired.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from studio.generations.models import Generation

log = logging.getLogger(__name__)


def claim(queryset: QuerySet[Generation], *, worker: str, limit: int = 1) -> list[Generation]:
    """Lease up to `limit` rows of `queryset` to `worker` and commit, so no other worker takes them.

    SKIP LOCKED lets many pollers claim side by side on PostgreSQL; the conditional UPDATE is
    what makes a claim exclusive everywhere (SQLite serialises writers instead).
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.POLLER_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            queryset.order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Generation.objects.filter(id__in=ids).filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=worker)
        ).update(lease_owner=worker, lease_expires_at=lease_until)
    return list(Generation.objects.filter(id__in=ids, lease_owner=worker).select_related("workspace"))


def release(generation: Generation, **fields: Any) -> bool:
    """Write the outcome of a step and give the lease back, only if the lease is still ours.

    Returns False when another worker took the row over (our lease expired), or when we hold
    no lease on it: then we write nothing, because the other worker's view is the newer one.
    """
    if not generation.lease_owner:
        return False
    fields.update(lease_owner="", lease_expires_at=None)
    updated = Generation.objects.filter(pk=generation.pk, lease_owner=generation.lease_owner).update(**fields)
    for name, value in fields.items():
        setattr(generation, name, value)
    if not updated:
        log.warning("generation %s: lease lost before the outcome was written", generation.code)
    return bool(updated)


def extend(generation: Generation, seconds: float) -> bool:
    """Hold the lease `seconds` from now, if it is still ours: a long step (a download) asks for
    the time it needs before it starts, instead of outliving the lease of its whole batch."""
    if not generation.lease_owner:
        return False
    until = timezone.now() + timedelta(seconds=seconds)
    updated = Generation.objects.filter(pk=generation.pk, lease_owner=generation.lease_owner).update(
        lease_expires_at=until
    )
    if updated:
        generation.lease_expires_at = until
    return bool(updated)


def release_all(worker: str) -> int:
    """Give back every lease a stopping worker still holds."""
    return Generation.objects.filter(lease_owner=worker).update(lease_owner="", lease_expires_at=None)
