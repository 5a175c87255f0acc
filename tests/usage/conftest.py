"""A month of generations with known outcomes, and the people who look at them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from studio.accounts.models import User
from studio.generations.models import Generation, Project, Status
from studio.workspaces.models import Membership, Role, Workspace
from tests.conftest import PASSWORD, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment in March 2025, studio time (settings.TIME_ZONE is Asia/Shanghai in tests)."""
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def make_generation(
    project: Project,
    user,
    *,
    created: datetime,
    status: str = Status.SUCCEEDED,
    duration: int = 5,
    queued: float | None = 10,
    took: float | None = 60,
    model_code: str = "Doubao-Seedance-1.0-lite-i2v",
    **fields,
) -> Generation:
    submitted = created + timedelta(seconds=queued) if queued is not None else None
    finished = None
    if status in {Status.SUCCEEDED, Status.FAILED} and submitted and took is not None:
        finished = submitted + timedelta(seconds=took)
    if status == Status.CANCELLED:
        finished = created + timedelta(seconds=1)
    return Generation.objects.create(
        workspace=project.workspace,
        project=project,
        created_by=user,
        created_at=created,
        prompt=fields.pop("prompt", f"shot {created:%d %H:%M}"),
        duration=duration,
        clarity=fields.pop("clarity", 720),
        model_code=model_code,
        status=status,
        submitted_at=submitted,
        finished_at=finished,
        **fields,
    )


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user(
        username="ops", email="ops@example.com", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def ledger(db):
    """Eight generations in range, two outside it; the expected totals are written in the tests.

    1 March, workspace "Team", by carol:
      5 s succeeded (queued 10 s, took 50 s), 10 s succeeded (queued 20 s, took 80 s),
      5 s failed "content rejected" (queued 30 s), 10 s cancelled (never sent).
    2 March, workspace "Dan's", by dan:
      5 s succeeded after 3 submit attempts (queued 40 s, took 40 s), 10 s failed with no raw
      reason, "timed out" (queued 50 s), 5 s still with the provider (queued 60 s),
      5 s failed "content rejected" (queued 70 s).
    Outside: 28 Feb 23:59 and 3 March 00:00 studio time, 10 s succeeded each.
    """
    carol, dan = make_user("carol"), make_user("dan")
    team = Workspace.objects.create(name="Team", created_by=carol)
    dans = Workspace.objects.create(name="Dan's", created_by=dan)
    Membership.objects.create(workspace=team, user=carol, role=Role.OWNER)
    Membership.objects.create(workspace=dans, user=dan, role=Role.OWNER)
    p1 = Project.objects.create(workspace=team, name="Launch", created_by=carol)
    p2 = Project.objects.create(workspace=dans, name="Teaser", created_by=dan)

    make_generation(p1, carol, created=at(1, 0, 30), duration=5, queued=10, took=50)
    make_generation(p1, carol, created=at(1, 11), duration=10, queued=20, took=80, clarity=1080)
    make_generation(
        p1,
        carol,
        created=at(1, 12),
        status=Status.FAILED,
        duration=5,
        queued=30,
        took=5,
        error_raw="content rejected",
        error_message="The provider refused the prompt.",
    )
    make_generation(p1, carol, created=at(1, 13), status=Status.CANCELLED, duration=10, queued=None)

    make_generation(p2, dan, created=at(2, 9), duration=5, queued=40, took=40, attempts=3)
    make_generation(
        p2,
        dan,
        created=at(2, 10),
        status=Status.FAILED,
        duration=10,
        queued=50,
        took=600,
        error_message="timed out",
    )
    make_generation(p2, dan, created=at(2, 11), status=Status.SUBMITTED, duration=5, queued=60)
    make_generation(
        p2,
        dan,
        created=at(2, 23, 59),
        status=Status.FAILED,
        duration=5,
        queued=70,
        took=5,
        error_raw="content rejected",
    )

    make_generation(p1, carol, created=at(28, 23, 59, month=2), duration=10)
    make_generation(p2, dan, created=at(3, 0, 0), duration=10)
    return {"carol": carol, "dan": dan, "team": team, "dans": dans, "launch": p1, "teaser": p2}
