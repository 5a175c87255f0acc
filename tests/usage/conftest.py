"""A month of generations with known outcomes, and the people who look at them."""

from __future__ import annotations

import pytest

from studio.accounts.models import User
from studio.generations.models import Status
from tests.factories import at, make_past_generation, make_project, make_staff, make_user, make_workspace


@pytest.fixture
def staff(db) -> User:
    return make_staff("ops")


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
    team = make_workspace("Team", owner=carol)
    dans = make_workspace("Dan's", owner=dan)
    p1 = make_project(team, name="Launch")
    p2 = make_project(dans, name="Teaser")

    make_past_generation(p1, carol, created=at(1, 0, 30), duration=5, queued=10, took=50)
    make_past_generation(p1, carol, created=at(1, 11), duration=10, queued=20, took=80, clarity=1080)
    make_past_generation(
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
    make_past_generation(p1, carol, created=at(1, 13), status=Status.CANCELLED, duration=10, queued=None)

    make_past_generation(p2, dan, created=at(2, 9), duration=5, queued=40, took=40, attempts=3)
    make_past_generation(
        p2,
        dan,
        created=at(2, 10),
        status=Status.FAILED,
        duration=10,
        queued=50,
        took=600,
        error_message="timed out",
    )
    make_past_generation(p2, dan, created=at(2, 11), status=Status.SUBMITTED, duration=5, queued=60)
    make_past_generation(
        p2,
        dan,
        created=at(2, 23, 59),
        status=Status.FAILED,
        duration=5,
        queued=70,
        took=5,
        error_raw="content rejected",
    )

    make_past_generation(p1, carol, created=at(28, 23, 59, month=2), duration=10)
    make_past_generation(p2, dan, created=at(3, 0, 0), duration=10)
    return {"carol": carol, "dan": dan, "team": team, "dans": dans, "launch": p1, "teaser": p2}
