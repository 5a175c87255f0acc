"""After a submit whose answer was lost: did the provider create the task, and which one is ours?

The provider's task list is newest first and every task carries its `create_time`. A look
pages back until it passes the moment the submit was sent (less a margin for clock skew),
however many tasks were created since, or until it finds a match no other generation could
claim. Only a look that got that far back, and began late enough for the list to show the
task, may conclude that nothing was created; a look cut short (an error, the rate limit, its
time budget) decides nothing, and the generation looks again.

Identical requests (takes, or two people sending the same prompt at the same moment) make
identical tasks: any one of them will do, but never one for two generations. The oldest task
not owned by another generation is adopted, and the database's unique constraint on
`unique_id` settles two looks that pick the same task at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from studio.chanjing.client import MAX_TASK_IDS, ChanjingClient
from studio.chanjing.types import TaskInfo
from studio.generations.models import Generation, Status


class Verdict(StrEnum):
    FOUND = "found"  # our task: adopt it
    NOT_CREATED = "not_created"  # the whole window was read and no task of ours is in it
    UNDECIDED = "undecided"  # look again later; never a reason to send again


@dataclass(frozen=True)
class Look:
    verdict: Verdict
    task: TaskInfo | None = None
    pages: int = 0
    reason: str = ""
    retry_at: datetime | None = None


def clock_skew() -> timedelta:
    """How much earlier than our send time the provider may have stamped the task."""
    return timedelta(seconds=settings.SUBMIT_CLOCK_SKEW_SECONDS)


def list_lag() -> timedelta:
    """How long the provider's task list may take to show a task it created."""
    return timedelta(seconds=settings.SUBMIT_RECONCILE_SECONDS)


def look(generation: Generation, client: ChanjingClient, now: datetime) -> Look:
    """Read the task list back past the send time and decide. ChanjingError propagates: the
    caller treats it as an undecided look."""
    sent_at = generation.submit_uncertain_since
    assert sent_at is not None
    since = int((sent_at - clock_skew()).timestamp())
    give_up_at = time.monotonic() + settings.POLLER_LEASE_SECONDS / 2
    # With no identical request also unresolved, the first free match is ours: stop there.
    # Otherwise read the whole window, so each takes the oldest free one.
    alone = not rivals(generation).exists()
    candidates: list[TaskInfo] = []
    page_number = 0
    while True:
        page_number += 1
        page = client.tasks([], page=page_number, page_size=MAX_TASK_IDS)
        candidates += [task for task in page.items if matches(generation, task, since)]
        if alone and oldest_free(generation, candidates) is not None:
            break
        older = any(task.create_time is not None and task.create_time < since for task in page.items)
        if older or not page.items or page_number >= page.total_page:
            break
        if time.monotonic() > give_up_at:
            return Look(Verdict.UNDECIDED, pages=page_number, reason=f"stopped after {page_number} pages")
    if candidates and identical_send_in_flight(generation, now):
        # Its task may be among ours and its answer about to be written: let it finish first.
        return Look(Verdict.UNDECIDED, pages=page_number, reason="an identical submit is in flight")
    task = oldest_free(generation, candidates)
    if task is not None:
        return Look(Verdict.FOUND, task=task, pages=page_number)
    if now < sent_at + list_lag():
        return Look(
            Verdict.UNDECIDED,
            pages=page_number,
            reason="the task list may not show the task yet",
            retry_at=sent_at + list_lag(),
        )
    return Look(Verdict.NOT_CREATED, pages=page_number)


def matches(generation: Generation, task: TaskInfo, since: int) -> bool:
    """Whether `task` is what `generation` asked for, created no earlier than `since`."""
    found = task.raw.get("motion_info")
    motion: dict[str, Any] = found if isinstance(found, dict) else {}
    frames = [url for url in (generation.start_frame_url, generation.end_frame_url) if url]
    task_frames = task.raw.get("ref_img_url") or []
    if isinstance(task_frames, str):
        task_frames = [task_frames]
    return (
        bool(task.unique_id)
        and task.ref_prompt == generation.prompt
        and str(motion.get("video_duration", generation.duration)) == str(generation.duration)
        and str(motion.get("clarity", generation.clarity)) == str(generation.clarity)
        and (task.aspect_ratio or generation.aspect_ratio) == generation.aspect_ratio
        and (task.model_code or generation.model_code) == generation.model_code
        and (not frames or not task_frames or list(task_frames) == frames)
        and task.create_time is not None
        and task.create_time >= since
    )


def identical(generation: Generation) -> Q:
    """Generations that would send exactly the same request."""
    return Q(
        prompt=generation.prompt,
        duration=generation.duration,
        clarity=generation.clarity,
        aspect_ratio=generation.aspect_ratio,
        model_code=generation.model_code,
        start_frame_url=generation.start_frame_url,
        end_frame_url=generation.end_frame_url,
    )


def rivals(generation: Generation) -> QuerySet[Generation]:
    """Identical generations whose submit is also unresolved: they may claim the same tasks."""
    return Generation.objects.filter(
        identical(generation), status=Status.PENDING, submit_uncertain_since__isnull=False
    ).exclude(pk=generation.pk)


def identical_send_in_flight(generation: Generation, now: datetime) -> bool:
    """An identical generation is being sent right now (leased, marked as sending after us).

    Its answer names the task it created; adopting that task before the answer is written
    would leave it to find a task of ours that may be older than its own window. Looks that
    began earlier than ours never wait for us, so two looks never wait for each other.
    """
    return (
        rivals(generation)
        .filter(lease_expires_at__gt=now, submit_uncertain_since__gt=generation.submit_uncertain_since)
        .exists()
    )


def oldest_free(generation: Generation, candidates: list[TaskInfo]) -> TaskInfo | None:
    if not candidates:
        return None
    taken = set(
        Generation.objects.filter(unique_id__in=[task.unique_id for task in candidates])
        .exclude(pk=generation.pk)
        .values_list("unique_id", flat=True)
    )
    free = [task for task in candidates if task.unique_id not in taken]
    return min(free, key=lambda task: task.create_time or 0, default=None)
