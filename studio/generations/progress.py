"""How long a generation still has to go, from how long recent ones took, in plain words.

Two stages have timestamps: waiting to be sent (created_at → submitted_at) and with the
provider (submitted_at → finished_at). The estimate of each is the median of a workspace's
last RECENT finished videos: one query per page, whatever the number of cards.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from studio.generations.models import Generation, Status

if TYPE_CHECKING:
    from studio.workspaces.models import Workspace

RECENT = 30


@dataclass(frozen=True)
class StageEstimates:
    sending: float | None  # seconds
    rendering: float | None

    def for_generation(self, generation: Generation, now: datetime | None = None) -> Estimate | None:
        """The progress of one in-flight generation, or None when there is no history to go by."""
        if generation.is_terminal or self.rendering is None:
            return None
        now = now or timezone.now()
        total = (self.sending or 0) + self.rendering
        if generation.status == Status.PENDING or generation.submitted_at is None:
            done = (now - generation.created_at).total_seconds()
            done = min(done, self.sending or 0)
        else:
            done = (self.sending or 0) + (now - generation.submitted_at).total_seconds()
        return Estimate(done=max(done, 0.0), total=max(total, 1.0))


@dataclass(frozen=True)
class Estimate:
    done: float
    total: float

    @property
    def percent(self) -> int:
        # Never shows 100 % before the video is really there.
        return max(2, min(95, round(100 * self.done / self.total)))

    @property
    def words(self) -> str:
        left = self.total - self.done
        if left < -self.total * 0.5:
            return _("Taking longer than usual; it is still going.")
        if left < 10:
            return _("Almost done.")
        if left < 60:
            return _("Less than a minute left.")
        minutes = math.ceil(left / 60)  # an upper bound: "about 2 minutes" for 61 to 120 s
        return ngettext("About %(n)d minute left.", "About %(n)d minutes left.", minutes) % {"n": minutes}


def _median(values: list[timedelta]) -> float | None:
    seconds = [v.total_seconds() for v in values if v.total_seconds() >= 0]
    return statistics.median(seconds) if seconds else None


def stage_estimates(workspace: Workspace) -> StageEstimates:
    """Medians of the workspace's last RECENT videos (gallery_ws_idx walks them newest first)."""
    rows = list(
        Generation.objects.filter(workspace=workspace, status=Status.SUCCEEDED, submitted_at__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("created_at", "submitted_at", "finished_at")[:RECENT]
    )
    return StageEstimates(
        sending=_median([submitted - created for created, submitted, _ in rows if submitted]),
        rendering=_median(
            [finished - submitted for _, submitted, finished in rows if finished and submitted]
        ),
    )
