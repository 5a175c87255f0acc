"""The life of a generation after it is saved: submit, poll, store the video, fail with a reason.

Shared by the web request (one quick first submit attempt) and the poller. The rules:
- claim rows with a lease and commit, then talk to the network, then write the outcome
  guarded by the lease; never hold a row lock across an HTTP call;
- a submit whose answer was lost is reconciled through the provider's task list before
  anything is sent again, so no task is duplicated and none is lost;
- a generation is done only once its video is in our storage.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.signing import Signer
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from studio.chanjing.client import ChanjingClient
from studio.chanjing.errors import AmbiguousSubmit, AuthError, ChanjingError
from studio.chanjing.journal import call_context
from studio.chanjing.types import SubmitRequest, TaskInfo
from studio.generations import problems
from studio.generations.models import Generation, Status
from studio.generations.video import NotAVideo, looks_like_mp4, poster_jpeg, probe

log = logging.getLogger(__name__)

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
RECONCILE_PAGES = 4
MAX_SUBMIT_ATTEMPTS = 50
MAX_DOWNLOAD_ATTEMPTS = 8
CRASH_BACKOFF = timedelta(minutes=5)
CALLBACK_SIGNER = Signer(salt="studio.generations.callback")


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = 600.0) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempt-1), capped."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def poll_interval(generation: Generation, now: datetime) -> timedelta:
    """Fresh tasks are polled often, old ones less: most finish within minutes."""
    age = (now - (generation.submitted_at or generation.created_at)).total_seconds()
    if age < 60:
        seconds = 3
    elif age < 300:
        seconds = 10
    elif age < 1800:
        seconds = 30
    else:
        seconds = 60
    return timedelta(seconds=seconds)


def claim(queryset: QuerySet, *, worker: str = WORKER_NAME, limit: int = 1) -> list[Generation]:
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


def release(generation: Generation, **fields) -> bool:
    """Write the outcome of a step and give the lease back, only if the lease is still ours.

    Returns False when another worker took the row over (our lease expired): then we write
    nothing, because that worker's view of the row is the newer one.
    """
    fields.update(lease_owner="", lease_expires_at=None)
    updated = Generation.objects.filter(pk=generation.pk, lease_owner=generation.lease_owner).update(**fields)
    for name, value in fields.items():
        setattr(generation, name, value)
    if not updated:
        log.warning("generation %s: lease lost before the outcome was written", generation.code)
    return bool(updated)


def postpone_after_crash(generation: Generation, doing: str) -> None:
    """A row whose handling raised: push its next attempt forward first, then log, so one bad
    row can neither crash-loop a worker nor stop the others. Call from an `except` block."""
    release(
        generation,
        attempts=generation.attempts + 1,
        next_attempt_at=timezone.now() + CRASH_BACKOFF,
    )
    log.exception("generation %s: unexpected error while %s", generation.code, doing)


def release_all(worker: str = WORKER_NAME) -> int:
    """Give back every lease a stopping worker still holds."""
    return Generation.objects.filter(lease_owner=worker).update(lease_owner="", lease_expires_at=None)


def _status_fields(generation: Generation, status: str, provider_status: str | None = None) -> dict:
    generation.set_status(status, provider_status)
    return {
        "status": generation.status,
        "provider_status": generation.provider_status,
        "status_changed_at": generation.status_changed_at,
        "finished_at": generation.finished_at,
    }


# --- Submit --------------------------------------------------------------------------------


def callback_url(generation: Generation) -> str | None:
    base = settings.CHANJING_CALLBACK_BASE_URL
    if not base:
        return None
    signature = CALLBACK_SIGNER.signature(str(generation.code))
    path = reverse("generations:callback", kwargs={"code": generation.code, "signature": signature})
    return f"{base.rstrip('/')}{path}"


def submit_request(generation: Generation) -> SubmitRequest:
    return SubmitRequest(
        prompt=generation.prompt,
        duration=generation.duration,
        aspect_ratio=generation.aspect_ratio,
        clarity=generation.clarity,
        start_frame_url=generation.start_frame_url or None,
        end_frame_url=generation.end_frame_url or None,
        model_code=generation.model_code,
        callback_url=callback_url(generation),
    )


def _upload_frames(generation: Generation, client: ChanjingClient, *, wait_seconds: float) -> None:
    for field, url_field in (("start_frame", "start_frame_url"), ("end_frame", "end_frame_url")):
        image = getattr(generation, field)
        if not image or getattr(generation, url_field):
            continue
        with image.open("rb") as handle:
            data = handle.read()
        url = client.upload_image(Path(image.name).name, data, wait_seconds=wait_seconds)
        setattr(generation, url_field, url)
        # Saved at once: a later retry must not upload the same frame again.
        Generation.objects.filter(pk=generation.pk).update(**{url_field: url})


def _matches(generation: Generation, task: TaskInfo, since: int) -> bool:
    motion = task.raw.get("motion_info") if isinstance(task.raw.get("motion_info"), dict) else {}
    frames = [url for url in (generation.start_frame_url, generation.end_frame_url) if url]
    task_frames = task.raw.get("ref_img_url") or []
    if isinstance(task_frames, str):
        task_frames = [task_frames]
    return (
        task.ref_prompt == generation.prompt
        and str(motion.get("video_duration", generation.duration)) == str(generation.duration)
        and (task.aspect_ratio or generation.aspect_ratio) == generation.aspect_ratio
        and (not frames or not task_frames or list(task_frames) == frames)
        and (task.create_time is None or task.create_time >= since)
    )


def reconcile_window() -> timedelta:
    """After an ambiguous submit: how far back a provider task may have been created to match
    ours, and how long we keep looking for it before sending again."""
    return timedelta(seconds=settings.SUBMIT_RECONCILE_SECONDS)


def find_lost_task(generation: Generation, client: ChanjingClient) -> TaskInfo | None:
    """After an ambiguous submit, find the provider task that matches ours, if it was created.

    Tasks already owned by another generation are skipped, so identical prompts (takes) each
    adopt their own task.
    """
    since = int((generation.submit_uncertain_since - reconcile_window()).timestamp())
    for page_number in range(1, RECONCILE_PAGES + 1):
        page = client.tasks([], page=page_number, page_size=50)
        candidates = [task for task in page.items if _matches(generation, task, since)]
        if candidates:
            taken = set(
                Generation.objects.filter(unique_id__in=[task.unique_id for task in candidates])
                .exclude(pk=generation.pk)
                .values_list("unique_id", flat=True)
            )
            for task in sorted(candidates, key=lambda task: task.create_time or 0):
                if task.unique_id not in taken:
                    return task
        if page_number >= page.total_page or any(
            task.create_time is not None and task.create_time < since for task in page.items
        ):
            break
    return None


def submit(generation: Generation, client: ChanjingClient, *, frame_wait_seconds: float = 60) -> None:
    """Send a claimed PENDING generation to the provider and record what happened."""
    now = timezone.now()
    sending = False
    try:
        with call_context(generation_code=generation.code):
            if generation.submit_uncertain_since:
                found = find_lost_task(generation, client)
                if found is not None:
                    log.info(
                        "generation %s: adopted task %s after an ambiguous submit",
                        generation.code,
                        found.unique_id,
                    )
                    _mark_submitted(generation, found.unique_id, now)
                    return
                if now - generation.submit_uncertain_since < reconcile_window():
                    # The provider's list may lag behind its submit: look again before resending.
                    release(generation, next_attempt_at=now + timedelta(seconds=15))
                    return
            _upload_frames(generation, client, wait_seconds=frame_wait_seconds)
            # Recorded before sending: if we crash before the answer is written, the next worker
            # reconciles instead of sending a duplicate.
            Generation.objects.filter(pk=generation.pk).update(submit_uncertain_since=now)
            sending = True
            unique_id = client.submit(submit_request(generation))
    except AmbiguousSubmit as error:
        log.warning("generation %s: submit answer lost (%s); will reconcile", generation.code, error.msg)
        release(
            generation,
            submit_uncertain_since=now,
            attempts=generation.attempts + 1,
            next_attempt_at=now + timedelta(seconds=15),
            trace_id=error.trace_id or generation.trace_id,
        )
        return
    except ChanjingError as error:
        # From the submit itself, an error other than AmbiguousSubmit is an explicit answer (or
        # a connection never made): no task was created. From the task list or an upload it says
        # nothing about an earlier submit, whose uncertainty must survive until it is reconciled.
        uncertain_since = None if sending else generation.submit_uncertain_since
        _record_submit_error(generation, error, now, uncertain_since=uncertain_since)
        return
    _mark_submitted(generation, unique_id, now)


def _mark_submitted(generation: Generation, unique_id: str, now: datetime) -> None:
    release(
        generation,
        **_status_fields(generation, Status.SUBMITTED, "Queued"),
        unique_id=unique_id,
        submitted_at=now,
        submit_uncertain_since=None,
        attempts=0,
        **CLEAR_PROBLEM,
        next_attempt_at=now + timedelta(seconds=2),
    )


def _record_submit_error(
    generation: Generation, error: ChanjingError, now: datetime, *, uncertain_since: datetime | None
) -> None:
    # A rejected token is the deployment's problem, not the generation's: keep it and retry.
    # While an earlier submit is unreconciled, failing could strand a task the provider runs.
    retryable = error.retryable or isinstance(error, AuthError) or uncertain_since is not None
    if retryable and generation.attempts + 1 < MAX_SUBMIT_ATTEMPTS:
        log.warning("generation %s: %s; retrying later", generation.code, error)
        release(
            generation,
            **_problem_fields(**problems.from_error(error)),
            submit_uncertain_since=uncertain_since,
            attempts=generation.attempts + 1,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(generation.attempts + 1)),
            trace_id=error.trace_id or generation.trace_id,
        )
        return
    log.info("generation %s failed: %s", generation.code, error)
    Generation.objects.filter(pk=generation.pk).update(submit_uncertain_since=None)
    fail(generation, **problems.from_error(error), trace_id=error.trace_id)


CLEAR_PROBLEM = {
    "error_kind": "",
    "error_message": "",
    "error_raw": "",
    "error_code": None,
    "error_params": {},
}


def _problem_fields(kind: str, *, code: int | None = None, raw: str = "", params: dict | None = None) -> dict:
    params = params or {}
    return {
        "error_kind": kind,
        "error_code": code,
        "error_raw": raw,
        "error_params": params,
        "error_message": problems.in_english(kind, code=code, raw=raw, params=params),
    }


def fail(
    generation: Generation,
    kind: str,
    *,
    raw: str = "",
    code: int | None = None,
    params: dict | None = None,
    trace_id: str = "",
) -> None:
    """A terminal failure: what went wrong (see problems), the provider's words kept beside it.

    Quota is derived from non-failed generations, so failing releases the reservation.
    """
    release(
        generation,
        **_status_fields(generation, Status.FAILED),
        **_problem_fields(kind, code=code, raw=raw, params=params),
        trace_id=trace_id or generation.trace_id,
    )


def cancel(generation: Generation) -> bool:
    """Cancel a generation that has not reached the provider; False when it is too late."""
    now = timezone.now()
    updated = (
        Generation.objects.filter(
            pk=generation.pk, status=Status.PENDING, submit_uncertain_since__isnull=True
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(status=Status.CANCELLED, status_changed_at=now, finished_at=now)
    )
    generation.refresh_from_db()
    return bool(updated)


# --- Poll ----------------------------------------------------------------------------------


def poll(
    generations: list[Generation], client: ChanjingClient, *, should_stop: Callable[[], bool] = lambda: False
) -> dict:
    """Check a claimed batch (at most 50) of SUBMITTED generations with one list call.

    Returns counts of what changed. Stops between items when asked; unprocessed rows are
    released for the next worker.
    """
    counts = {"completed": 0, "failed": 0}
    now = timezone.now()
    try:
        page = client.tasks([g.unique_id for g in generations], page=1, page_size=50)
    except ChanjingError as error:
        log.warning("task list failed: %s; polling again later", error)
        for generation in generations:
            release(generation, next_attempt_at=now + timedelta(seconds=backoff_seconds(1, base=10)))
        return counts
    by_id = {task.unique_id: task for task in page.items}
    # Most of a batch is still running: record those in one transaction (no network inside),
    # then handle the finished ones, whose downloads must not run inside a transaction.
    running = [g for g in generations if g.unique_id in by_id and not by_id[g.unique_id].is_terminal]
    with transaction.atomic():
        for generation in running:
            apply_task(generation, by_id[generation.unique_id], client)
    generations = [g for g in generations if g not in running]
    for index, generation in enumerate(generations):
        if should_stop():
            for rest in generations[index:]:
                release(rest)
            break
        outcome = _poll_one(generation, by_id.get(generation.unique_id), client)
        if outcome in counts:
            counts[outcome] += 1
    return counts


def _poll_one(generation: Generation, task: TaskInfo | None, client: ChanjingClient) -> str:
    now = timezone.now()
    try:
        with call_context(generation_code=generation.code):
            if task is None:
                task = client.task(generation.unique_id)
            return apply_task(generation, task, client)
    except ChanjingError as error:
        log.warning("generation %s: poll failed: %s", generation.code, error)
        if generation.provider_status == "Success" and generation.attempts + 1 >= MAX_DOWNLOAD_ATTEMPTS:
            fail(generation, problems.DOWNLOAD_FAILED, raw=error.msg)
            return "failed"
        release(
            generation,
            attempts=generation.attempts + 1,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(generation.attempts + 1, base=10)),
        )
    except Exception:
        postpone_after_crash(generation, "polling")
    return "error"


def apply_task(generation: Generation, task: TaskInfo, client: ChanjingClient) -> str:
    now = timezone.now()
    if task.succeeded:
        return store_video(generation, task, client)
    if task.is_terminal:
        raw = task.err_msg or task.status
        fail(generation, problems.TASK_FAILED, raw=raw)
        return "failed"
    if not task.is_known_status:
        log.warning("generation %s: unknown provider status %r, polling again", generation.code, task.status)
    release(
        generation,
        **_status_fields(generation, Status.SUBMITTED, task.status),
        next_attempt_at=now + poll_interval(generation, now),
    )
    return "progress"


def store_video(generation: Generation, task: TaskInfo, client: ChanjingClient) -> str:
    """Copy the provider's temporary video into our storage; only then is the generation done."""
    url = task.video_url
    if not url:
        fail(generation, problems.NO_VIDEO, raw=str(task.raw)[:500])
        return "failed"
    # Remember that the provider is done, so a crash during the download is retried as such.
    Generation.objects.filter(pk=generation.pk).update(provider_status="Success", provider_video_url=url)
    generation.provider_status = "Success"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        with path.open("wb") as handle:
            size, sha256, content_type = client.download(
                url,
                handle,
                max_bytes=settings.VIDEO_MAX_BYTES,
                max_seconds=settings.VIDEO_DOWNLOAD_MAX_SECONDS,
                deadline=generation.lease_expires_at.timestamp() if generation.lease_expires_at else None,
            )
        try:
            if content_type and not content_type.startswith(("video/", "application/octet-stream")):
                raise NotAVideo(f"content type {content_type}")
            if not looks_like_mp4(path):
                raise NotAVideo("no MP4 signature")
            facts = probe(path)
            poster = poster_jpeg(path, at_seconds=min(1.0, facts.seconds / 2))
        except NotAVideo as error:
            fail(generation, problems.NOT_A_VIDEO, raw=str(error))
            return "failed"
        with path.open("rb") as handle:
            generation.video.save(f"{generation.code}.mp4", File(handle), save=False)
        generation.poster.save(f"{generation.code}.jpg", ContentFile(poster), save=False)
    stored = release(
        generation,
        **_status_fields(generation, Status.SUCCEEDED, "Success"),
        video=generation.video.name,
        poster=generation.poster.name,
        video_bytes=size,
        video_sha256=sha256,
        video_seconds=facts.seconds,
        provider_video_url=url,
        **CLEAR_PROBLEM,
    )
    return "completed" if stored else "error"


# --- Stuck work ----------------------------------------------------------------------------


def settle_stuck(generation: Generation, client: ChanjingClient) -> str:
    """Reconcile a generation that made no progress for too long, then fail it with a reason."""
    now = timezone.now()
    stuck_for = now - generation.status_changed_at
    minutes = int(stuck_for.total_seconds() // 60)
    if generation.status == Status.SUBMITTED and generation.unique_id:
        try:
            with call_context(generation_code=generation.code):
                task = client.task(generation.unique_id)
        except ChanjingError as error:
            log.warning("generation %s: could not reconcile a stuck task: %s", generation.code, error)
        else:
            if task.is_terminal or task.status != generation.provider_status:
                return apply_task(generation, task, client)
        kind, params = problems.STUCK_SUBMITTED, {"minutes": minutes, "status": generation.provider_status}
    else:
        if generation.submit_uncertain_since:
            try:
                with call_context(generation_code=generation.code):
                    found = find_lost_task(generation, client)
            except ChanjingError:
                found = None
            if found is not None:
                _mark_submitted(generation, found.unique_id, now)
                return "progress"
        kind, params = problems.STUCK_UNSENT, {"minutes": minutes}
    fail(generation, kind, params=params, raw=generation.error_raw, code=generation.error_code)
    return "failed"
