"""The life of a generation after it is saved: submit, poll, store the video, fail with a reason.

Shared by the web request (a first, quick submit attempt) and the poller. The rule everywhere:
claim the row with a lease and commit, then talk to the network, then write the outcome.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.chanjing.errors import AmbiguousSubmit, AuthError, ChanjingError
from studio.chanjing.explain import explain
from studio.chanjing.journal import call_context
from studio.chanjing.types import SubmitRequest, TaskInfo
from studio.generations.models import Generation, Status
from studio.generations.video import NotAVideo, looks_like_mp4, poster_jpeg, probe

log = logging.getLogger(__name__)

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
# How long after an ambiguous submit we look for the task in the provider's list before resending.
RECONCILE_WINDOW = timedelta(minutes=2)
MAX_SUBMIT_ATTEMPTS = 50


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = 600.0) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(base / 2, min(cap, base * 2 ** max(attempt - 1, 0)))


def poll_interval(generation: Generation, now) -> timedelta:
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
    """Lease up to `limit` rows of `queryset` to `worker` and commit, so no other worker takes them."""
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


def release(generation: Generation, **fields) -> None:
    """Write the outcome of a step and give the lease back, in one UPDATE guarded by our lease."""
    fields.update(lease_owner="", lease_expires_at=None)
    for name, value in fields.items():
        setattr(generation, name, value)
    generation.save(update_fields=[*fields.keys()])


# --- Submit --------------------------------------------------------------------------------


def submit_request(generation: Generation) -> SubmitRequest:
    return SubmitRequest(
        prompt=generation.prompt,
        duration=generation.duration,
        aspect_ratio=generation.aspect_ratio,
        clarity=generation.clarity,
        start_frame_url=generation.start_frame_url or None,
        end_frame_url=generation.end_frame_url or None,
        model_code=generation.model_code,
        callback_url=None,
    )


def _upload_frames(generation: Generation, client, *, wait_seconds: float) -> None:
    for field, url_field in (("start_frame", "start_frame_url"), ("end_frame", "end_frame_url")):
        image = getattr(generation, field)
        if not image or getattr(generation, url_field):
            continue
        with image.open("rb") as handle:
            data = handle.read()
        url = client.upload_image(Path(image.name).name, data, wait_seconds=wait_seconds)
        setattr(generation, url_field, url)
        # Saved at once: a later retry must not upload the same frame again.
        generation.save(update_fields=[url_field])


def _find_lost_task(generation: Generation, client) -> TaskInfo | None:
    """After an ambiguous submit, look for a task that matches ours in the provider's recent list."""
    since = int((generation.submit_uncertain_since - RECONCILE_WINDOW).timestamp())
    page = client.tasks([], page=1, page_size=50)
    for task in page.items:
        motion = task.raw.get("motion_info") or {}
        if (
            (motion.get("ref_prompt") or task.raw.get("ref_prompt")) == generation.prompt
            and str(motion.get("video_duration", generation.duration)) == str(generation.duration)
            and (task.aspect_ratio or generation.aspect_ratio) == generation.aspect_ratio
            and (task.create_time or since) >= since
        ):
            return task
    return None


def submit(generation: Generation, client, *, frame_wait_seconds: float = 60) -> None:
    """Send a claimed PENDING generation to the provider and record what happened."""
    now = timezone.now()
    try:
        with call_context(generation_code=generation.code):
            if generation.submit_uncertain_since:
                found = _find_lost_task(generation, client)
                if found is not None:
                    log.info(
                        "generation %s: adopted task %s after an ambiguous submit",
                        generation.code,
                        found.unique_id,
                    )
                    _mark_submitted(generation, found.unique_id, now)
                    return
                if now - generation.submit_uncertain_since < RECONCILE_WINDOW:
                    # The provider's list may lag behind its submit; look again before resending.
                    release(generation, next_attempt_at=now + timedelta(seconds=15))
                    return
            _upload_frames(generation, client, wait_seconds=frame_wait_seconds)
            unique_id = client.submit(submit_request(generation))
    except AmbiguousSubmit as error:
        log.warning("generation %s: submit answer lost (%s); will reconcile", generation.code, error.msg)
        release(
            generation,
            submit_uncertain_since=generation.submit_uncertain_since or now,
            attempts=generation.attempts + 1,
            next_attempt_at=now + timedelta(seconds=15),
            trace_id=error.trace_id or generation.trace_id,
        )
        return
    except ChanjingError as error:
        _record_error(generation, error, now)
        return
    _mark_submitted(generation, unique_id, now)


def _mark_submitted(generation: Generation, unique_id: str, now) -> None:
    generation.set_status(Status.SUBMITTED, "Queued")
    release(
        generation,
        unique_id=unique_id,
        status=generation.status,
        provider_status=generation.provider_status,
        status_changed_at=generation.status_changed_at,
        submitted_at=now,
        submit_uncertain_since=None,
        attempts=0,
        error_message="",
        error_raw="",
        error_code=None,
        next_attempt_at=now + timedelta(seconds=2),
    )


def _record_error(generation: Generation, error: ChanjingError, now) -> None:
    # A rejected token is the deployment's problem, not the generation's: keep it and retry.
    if (error.retryable or isinstance(error, AuthError)) and generation.attempts + 1 < MAX_SUBMIT_ATTEMPTS:
        log.warning("generation %s: %s, retrying later", generation.code, error)
        release(
            generation,
            attempts=generation.attempts + 1,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(generation.attempts + 1)),
            error_message=explain(error),
            error_raw=error.msg,
            error_code=error.code,
            trace_id=error.trace_id or generation.trace_id,
        )
        return
    log.info("generation %s failed: %s", generation.code, error)
    fail(generation, explain(error), raw=error.msg, code=error.code, trace_id=error.trace_id)


def fail(
    generation: Generation, message: str, *, raw: str = "", code: int | None = None, trace_id: str = ""
) -> None:
    generation.set_status(Status.FAILED)
    release(
        generation,
        status=generation.status,
        status_changed_at=generation.status_changed_at,
        finished_at=generation.finished_at,
        error_message=message,
        error_raw=raw,
        error_code=code,
        trace_id=trace_id or generation.trace_id,
    )


# --- Poll ----------------------------------------------------------------------------------


def poll(generations: list[Generation], client) -> None:
    """Check a claimed batch (at most 50) of SUBMITTED generations with one list call."""
    now = timezone.now()
    try:
        page = client.tasks([g.unique_id for g in generations], page=1, page_size=50)
    except ChanjingError as error:
        log.warning("task list failed: %s; polling again later", error)
        for generation in generations:
            release(generation, next_attempt_at=now + timedelta(seconds=backoff_seconds(1, base=10)))
        return
    by_id = {task.unique_id: task for task in page.items}
    for generation in generations:
        task = by_id.get(generation.unique_id)
        try:
            with call_context(generation_code=generation.code):
                if task is None:
                    task = client.task(generation.unique_id)
                apply_task(generation, task, client)
        except ChanjingError as error:
            log.warning("generation %s: poll failed: %s", generation.code, error)
            release(generation, next_attempt_at=now + timedelta(seconds=backoff_seconds(2, base=10)))
        except Exception:
            # One bad row must not stop the others: push its next attempt forward, then log.
            release(generation, next_attempt_at=now + timedelta(minutes=5), attempts=generation.attempts + 1)
            log.exception("generation %s: unexpected error while polling", generation.code)


def apply_task(generation: Generation, task: TaskInfo, client) -> None:
    now = timezone.now()
    if task.succeeded:
        store_video(generation, task, client)
    elif task.is_terminal:
        raw = task.err_msg or task.status
        fail(generation, explain(msg=raw), raw=raw)
    else:
        if task.status not in {"Queued", "Ready", "Generating"}:
            log.warning(
                "generation %s: unknown provider status %r, polling again", generation.code, task.status
            )
        generation.set_status(Status.SUBMITTED, task.status)
        release(
            generation,
            provider_status=generation.provider_status,
            status_changed_at=generation.status_changed_at,
            next_attempt_at=now + poll_interval(generation, now),
        )


def store_video(generation: Generation, task: TaskInfo, client) -> None:
    """Copy the provider's temporary video into our storage; only then is the generation done."""
    url = task.video_url
    if not url:
        fail(generation, _("The provider reported success but gave no video."), raw=str(task.raw)[:500])
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        with path.open("wb") as handle:
            size, sha256, _content_type = client.download(url, handle, max_bytes=settings.VIDEO_MAX_BYTES)
        try:
            if not looks_like_mp4(path):
                raise NotAVideo("no MP4 signature")
            facts = probe(path)
            poster = poster_jpeg(path, at_seconds=min(1.0, facts.seconds / 2))
        except NotAVideo as error:
            fail(generation, _("The provider's file is not a playable video."), raw=str(error))
            return
        with path.open("rb") as handle:
            generation.video.save(f"{generation.code}.mp4", File(handle), save=False)
        generation.poster.save(f"{generation.code}.jpg", ContentFile(poster), save=False)
    generation.set_status(Status.SUCCEEDED, "Success")
    release(
        generation,
        video=generation.video.name,
        poster=generation.poster.name,
        video_bytes=size,
        video_sha256=sha256,
        video_seconds=facts.seconds,
        provider_video_url=url,
        status=generation.status,
        provider_status=generation.provider_status,
        status_changed_at=generation.status_changed_at,
        finished_at=generation.finished_at,
        error_message="",
        error_raw="",
    )
