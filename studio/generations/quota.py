"""Monthly quotas: checked and reserved in the same transaction that inserts the generations.

A generation holds its seconds from the moment it is saved until it fails or is cancelled, so
released seconds need no bookkeeping: the sum below simply stops counting them. Concurrent
creators queue on the workspace's quota row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite
the IMMEDIATE transaction mode serialises writers), so two of them can never both take the
last remaining seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.generations.ledger import HOLDS_SECONDS
from studio.generations.models import Generation
from studio.workspaces.models import Workspace, WorkspaceQuota

if TYPE_CHECKING:
    from studio.accounts.models import User


class QuotaExceeded(Exception):
    """The workspace (or the member) has too few seconds left; `message` is for the person."""

    def __init__(self, message: str, status: QuotaStatus, seconds: int):
        super().__init__(message)
        self.message = message
        self.status = status
        self.seconds = seconds


@dataclass(frozen=True)
class QuotaStatus:
    workspace_limit: int
    workspace_used: int
    member_limit: int | None
    member_used: int

    @property
    def workspace_left(self) -> int:
        return max(self.workspace_limit - self.workspace_used, 0)

    @property
    def member_left(self) -> int | None:
        if self.member_limit is None:
            return None
        return max(self.member_limit - self.member_used, 0)

    @property
    def remaining(self) -> int:
        """What this person may still generate this month: the smaller of the two allowances."""
        if self.member_left is None:
            return self.workspace_left
        return min(self.workspace_left, self.member_left)


def month_start(now: datetime | None = None) -> datetime:
    """Midnight on the first of the current month in the studio's time zone (settings.TIME_ZONE)."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _status(quota: WorkspaceQuota, user: User) -> QuotaStatus:
    user_id = getattr(user, "pk", None)
    totals = Generation.objects.filter(
        HOLDS_SECONDS, workspace_id=quota.workspace_id, created_at__gte=month_start()
    ).aggregate(
        workspace=Sum("duration", default=0),
        member=Sum("duration", default=0, filter=Q(created_by_id=user_id)),
    )
    return QuotaStatus(
        workspace_limit=quota.monthly_seconds,
        workspace_used=totals["workspace"],
        member_limit=quota.per_member_monthly_seconds,
        member_used=totals["member"] if user_id is not None else 0,
    )


def remaining(workspace: Workspace, user: User, *, joined: bool = False) -> QuotaStatus | None:
    """This month's allowance of `user` in `workspace`; None when the workspace has no quota.
    With `joined`, the workspace's own `quota` relation is used (read this request)."""
    if joined:  # the request's lookup read the quota with the workspace (get_project_for_user)
        quota: WorkspaceQuota | None = getattr(workspace, "quota", None)
    else:
        quota = WorkspaceQuota.objects.filter(workspace=workspace).first()
    return None if quota is None else _status(quota, user)


def refusal(status: QuotaStatus, seconds: int, *, takes: int = 1) -> str:
    """Why `seconds` do not fit, said once: the allowance that runs out first and what is needed.

    With several `takes` (of one duration, sharing the `seconds`) it says how they add up
    instead of calling them one generation.
    """
    by_member = status.member_left is not None and status.member_left < status.workspace_left
    values = {
        "left": status.member_left if by_member else status.workspace_left,
        "needed": seconds,
        "takes": takes,
        "duration": seconds // takes,
    }
    if by_member and takes > 1:
        message = _(
            "You have %(left)s s of video left in this workspace this month; "
            "%(takes)s takes of %(duration)s s need %(needed)s s."
        )
    elif by_member:
        message = _(
            "You have %(left)s s of video left in this workspace this month; "
            "this generation needs %(needed)s s."
        )
    elif takes > 1:
        message = _(
            "This workspace has %(left)s s of video left this month; "
            "%(takes)s takes of %(duration)s s need %(needed)s s."
        )
    else:
        message = _(
            "This workspace has %(left)s s of video left this month; this generation needs %(needed)s s."
        )
    return message % values


@contextmanager
def reserve(workspace: Workspace, user: User, seconds: int) -> Iterator[QuotaStatus | None]:
    """Open a transaction in which `seconds` (the total of every generation to be inserted) fit.

    Insert the generations inside the `with` block: they are committed together with the check,
    and the lock is held until then. Raises QuotaExceeded before the block runs when they don't fit.
    """
    with transaction.atomic():
        quota = WorkspaceQuota.objects.select_for_update().filter(workspace=workspace).first()
        if quota is None:
            yield None
            return
        status = _status(quota, user)
        if seconds > status.remaining:
            raise QuotaExceeded(refusal(status, seconds), status, seconds)
        yield status
