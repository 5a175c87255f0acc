"""The life of a generation after it is saved: submit, poll, store the video, fail with a reason.

Shared by the web request (one quick first submit) and the poller, whose steps call these
functions. Each transition below is a function named after it that writes the outcome under
the lease and returns an `Outcome`.

    phase        status     beside it                     transitions (Outcome)
    -----------  ---------  ----------------------------  ---------------------------------------
    waiting      pending    nothing sent                  send → mark_submitted (SUBMITTED)
                                                               → mark_uncertain (UNCERTAIN)
                                                               → retry_submit_later (RETRY)
                                                               → wait_for_shared_frame (WAITING)
                                                          cancel (CANCELLED) · fail (FAILED)
    reconciling  pending    submit_uncertain_since set    look → mark_submitted (ADOPTED)
                                                               → look_again (LOOK_AGAIN)
                                                               → nothing created: send again
    generating   submitted  provider Queued/Ready/        apply_task → mark_progress (PROGRESS)
                            Generating                                → fail (FAILED, Fail/Error)
                                                                      → store_video (saving)
    saving       submitted  provider Success              store_video → mark_succeeded (COMPLETED)
                                                                       → retry_poll_later (RETRY)
                                                                       → fail (FAILED)
    done         succeeded  video and poster stored
    failed       failed     error_kind; provider status when the provider ended it
    cancelled    cancelled

    From generating or saving, an answer about any other task is ignored (IGNORED); from any
    phase, a row whose handling raises is postponed on its own (postpone_after_crash, CRASHED);
    a write whose lease was taken over writes nothing (LEASE_LOST).

The rules:
- claim rows with a lease and commit, then talk to the network, then write the outcome
  guarded by the lease; never hold a row lock across an HTTP call;
- a submit whose answer was lost is never sent again until a look at the provider's task list
  has read back past the moment it was sent (studio.generations.reconcile);
- an answer is applied only to the generation whose task it describes;
- a generation is done only once its video is in our storage.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.signing import Signer
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from studio.chanjing import types as provider
from studio.chanjing.client import ChanjingClient
from studio.chanjing.errors import AmbiguousSubmit, AuthError, ChanjingError
from studio.chanjing.journal import call_context
from studio.chanjing.types import SubmitRequest, TaskInfo
from studio.generations import problems, reconcile
from studio.generations.leases import claim as claim
from studio.generations.leases import extend
from studio.generations.leases import release as release
from studio.generations.leases import release_all as release_all
from studio.generations.models import Generation, Status
from studio.generations.video import NotAVideo, looks_like_mp4, poster_jpeg, probe
from studio.lib.processes import process_name

log = logging.getLogger(__name__)

WORKER_NAME = process_name()
MAX_SUBMIT_ATTEMPTS = 50
MAX_DOWNLOAD_ATTEMPTS = 8
CRASH_BACKOFF = timedelta(minutes=5)
# The first look after a lost answer: soon, since the task usually exists already.
FIRST_LOOK_AFTER = timedelta(seconds=3)
CALLBACK_SIGNER = Signer(salt="studio.generations.callback")


class Outcome(StrEnum):
    SUBMITTED = "submitted"  # the provider answered with its task id
    ADOPTED = "adopted"  # a lost submit's task was found in the task list
    UNCERTAIN = "uncertain"  # sent, answer lost: look before sending again
    LOOK_AGAIN = "look_again"  # a look that could not decide
    WAITING = "waiting"  # another take is uploading the frame this one shares
    RETRY = "retry"  # a call failed; the same step runs again later
    PROGRESS = "progress"  # still with the provider
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    IGNORED = "ignored"  # an answer about some other task; not applied
    LEASE_LOST = "lease_lost"  # another worker took the row over; nothing written
    CRASHED = "crashed"  # our own code raised; postponed


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


# --- Leases --------------------------------------------------------------------------------


def _released(generation: Generation, outcome: Outcome, **fields: Any) -> Outcome:
    return outcome if release(generation, **fields) else Outcome.LEASE_LOST


def postpone_after_crash(generation: Generation, doing: str, error: BaseException | None = None) -> Outcome:
    """A row whose handling raised: push its next attempt forward first, then log, so one bad
    row can neither crash-loop a worker nor stop the others."""
    release(
        generation,
        attempts=generation.attempts + 1,
        next_attempt_at=timezone.now() + CRASH_BACKOFF,
    )
    log.error("generation %s: unexpected error while %s", generation.code, doing, exc_info=error or True)
    return Outcome.CRASHED


def _status_fields(generation: Generation, status: str, provider_status: str | None = None) -> dict[str, Any]:
    generation.set_status(status, provider_status)
    return {
        "status": generation.status,
        "provider_status": generation.provider_status,
        "status_changed_at": generation.status_changed_at,
        "finished_at": generation.finished_at,
    }


CLEAR_PROBLEM: dict[str, Any] = {
    "error_kind": "",
    "error_message": "",
    "error_raw": "",
    "error_code": None,
    "error_params": {},
}


def _problem_fields(
    kind: str, *, code: int | None = None, raw: str = "", params: dict[str, Any] | None = None
) -> dict[str, Any]:
    params = params or {}
    return {
        "error_kind": kind,
        "error_code": code,
        "error_raw": raw,
        "error_params": params,
        "error_message": problems.in_english(kind, code=code, raw=raw, params=params),
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


def _look_for_lost_submit(
    generation: Generation, client: ChanjingClient, now: datetime
) -> tuple[Outcome | None, reconcile.Look | None]:
    """Look for the task of a submit whose answer was lost: adopt it when found, look again later
    when the look could not decide (the outcome), or (None, the look) when it proved no task."""
    try:
        found = reconcile.look(generation, client, now)
    except ChanjingError as error:
        return look_again(generation, now, reason=str(error)), None
    if found.verdict == reconcile.Verdict.FOUND:
        assert found.task is not None
        return mark_submitted(generation, found.task.unique_id, now, adopted=True), found
    if found.verdict == reconcile.Verdict.UNDECIDED:
        return look_again(generation, now, reason=found.reason, at=found.retry_at), found
    return None, found


def submit(generation: Generation, client: ChanjingClient, *, frame_wait_seconds: float = 60) -> Outcome:
    """Take a claimed PENDING generation one step on: resolve a lost submit, or send it."""
    now = timezone.now()
    with call_context(generation_code=generation.code):
        if generation.submit_uncertain_since:
            settled, found = _look_for_lost_submit(generation, client, now)
            if settled is not None:
                return settled
            assert found is not None
            log.info(
                "generation %s: no task in %d pages back to the lost submit; sending again",
                generation.code,
                found.pages,
            )
        return send(generation, client, now, frame_wait_seconds=frame_wait_seconds)


def send(
    generation: Generation, client: ChanjingClient, now: datetime, *, frame_wait_seconds: float
) -> Outcome:
    """Upload the frames if needed and send the submit; nothing of this generation is at the provider."""
    try:
        if not _upload_frames(generation, client, wait_seconds=frame_wait_seconds):
            return wait_for_shared_frame(generation, now)
    except ChanjingError as error:
        return retry_submit_later(generation, error, now)
    # Recorded before sending: if we crash before the answer is written, the next worker
    # reconciles instead of sending a duplicate.
    Generation.objects.filter(pk=generation.pk).update(submit_uncertain_since=now)
    generation.submit_uncertain_since = now
    try:
        unique_id = client.submit(submit_request(generation))
    except AmbiguousSubmit as error:
        return mark_uncertain(generation, error, now)
    except ChanjingError as error:
        # From the submit itself, an error other than AmbiguousSubmit is an explicit answer (or
        # a connection never made): no task was created.
        return retry_submit_later(generation, error, now)
    return mark_submitted(generation, unique_id, now)


def _upload_frames(generation: Generation, client: ChanjingClient, *, wait_seconds: float) -> bool:
    """Give the generation provider URLs for its frames. Takes share their stored frames, and
    the first take still waiting uploads each one for all: False means it is another's turn."""
    for field, url_field in (("start_frame", "start_frame_url"), ("end_frame", "end_frame_url")):
        image = getattr(generation, field)
        if not image or getattr(generation, url_field):
            continue
        takes = Generation.objects.none()
        if generation.take_group:
            takes = Generation.objects.filter(take_group=generation.take_group, **{field: image.name})
        url = takes.exclude(**{url_field: ""}).values_list(url_field, flat=True).first()
        if url is None:
            first = (
                takes.filter(status=Status.PENDING, **{url_field: ""})
                .order_by("take_index", "id")
                .values_list("pk", flat=True)
                .first()
            )
            if first not in (None, generation.pk):
                return False
            with image.open("rb") as handle:
                data = handle.read()
            url = client.upload_image(Path(image.name).name, data, wait_seconds=wait_seconds)
        setattr(generation, url_field, url)
        # Saved at once, for every take sharing the frame: a retry must not upload it again.
        Generation.objects.filter(pk=generation.pk).update(**{url_field: url})
        takes.filter(**{url_field: ""}).update(**{url_field: url})
    return True


def mark_submitted(
    generation: Generation, unique_id: str, now: datetime, *, adopted: bool = False
) -> Outcome:
    """The provider has task `unique_id` for this generation: from its answer, or found by a look."""
    try:
        with transaction.atomic():
            stored = release(
                generation,
                **_status_fields(generation, Status.SUBMITTED, provider.QUEUED),
                unique_id=unique_id,
                submitted_at=now,
                submit_uncertain_since=None,
                attempts=0,
                **CLEAR_PROBLEM,
                next_attempt_at=now + timedelta(seconds=2),
            )
    except IntegrityError:
        # Another generation holds this task (an identical request adopted it first).
        generation.refresh_from_db()
        return look_again(generation, now, reason=f"task {unique_id} belongs to another generation")
    if adopted:
        log.info("generation %s: adopted task %s after a lost submit answer", generation.code, unique_id)
    if not stored:
        return Outcome.LEASE_LOST
    return Outcome.ADOPTED if adopted else Outcome.SUBMITTED


def mark_uncertain(generation: Generation, error: ChanjingError, now: datetime) -> Outcome:
    log.warning("generation %s: submit answer lost (%s); will look for the task", generation.code, error.msg)
    return _released(
        generation,
        Outcome.UNCERTAIN,
        submit_uncertain_since=now,
        attempts=generation.attempts + 1,
        next_attempt_at=now + FIRST_LOOK_AFTER,
        trace_id=error.trace_id or generation.trace_id,
    )


def look_again(generation: Generation, now: datetime, *, reason: str, at: datetime | None = None) -> Outcome:
    """A look that decided nothing. Never a failure, never a resend: the task may exist."""
    log.info("generation %s: looking for the lost submit's task again (%s)", generation.code, reason)
    attempts = generation.attempts + 1
    return _released(
        generation,
        Outcome.LOOK_AGAIN,
        attempts=attempts,
        next_attempt_at=at or now + timedelta(seconds=backoff_seconds(attempts, base=2, cap=60)),
    )


def wait_for_shared_frame(generation: Generation, now: datetime) -> Outcome:
    return _released(generation, Outcome.WAITING, next_attempt_at=now + timedelta(seconds=2))


def retry_submit_later(generation: Generation, error: ChanjingError, now: datetime) -> Outcome:
    """Nothing was created; send again later, or fail when retrying cannot help."""
    # A rejected token is the deployment's problem, not the generation's: keep it and retry.
    retryable = error.retryable or isinstance(error, AuthError)
    if retryable and generation.attempts + 1 < MAX_SUBMIT_ATTEMPTS:
        log.warning("generation %s: %s; retrying later", generation.code, error)
        return _released(
            generation,
            Outcome.RETRY,
            **_problem_fields(**problems.from_error(error)),
            submit_uncertain_since=None,
            attempts=generation.attempts + 1,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(generation.attempts + 1)),
            trace_id=error.trace_id or generation.trace_id,
        )
    log.info("generation %s failed: %s", generation.code, error)
    return fail(generation, **problems.from_error(error), trace_id=error.trace_id)


def fail(
    generation: Generation,
    kind: str,
    *,
    raw: str = "",
    code: int | None = None,
    params: dict[str, Any] | None = None,
    trace_id: str = "",
    provider_status: str | None = None,
) -> Outcome:
    """A terminal failure: what went wrong (see problems), the provider's words kept beside it,
    and the provider's terminal status when it was the provider that ended the task.

    Quota is derived from non-failed generations, so failing releases the reservation.
    """
    return _released(
        generation,
        Outcome.FAILED,
        **_status_fields(generation, Status.FAILED, provider_status),
        **_problem_fields(kind, code=code, raw=raw, params=params),
        submit_uncertain_since=None,
        trace_id=trace_id or generation.trace_id,
    )


def cancel(generation: Generation) -> bool:
    """Cancel a generation that has not reached the provider; False when it is too late."""
    fields = _status_fields(generation, Status.CANCELLED)
    now = timezone.now()
    updated = (
        Generation.objects.filter(
            pk=generation.pk, status=Status.PENDING, submit_uncertain_since__isnull=True
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(**fields)
    )
    generation.refresh_from_db()
    return bool(updated)


# --- Poll ----------------------------------------------------------------------------------


def poll(
    generations: list[Generation], client: ChanjingClient, *, should_stop: Callable[[], bool] = lambda: False
) -> Counter[Outcome]:
    """Check a claimed batch (at most 50) of SUBMITTED generations with one list call.

    Returns how many rows ended with each outcome. A row whose handling raises is postponed on
    its own. Stops between items when asked; unprocessed rows are released for the next worker.
    """
    outcomes: Counter[Outcome] = Counter()
    now = timezone.now()
    try:
        page = client.tasks([g.unique_id for g in generations], page=1, page_size=50)
    except ChanjingError as error:
        log.warning("task list failed: %s; polling again later", error)
        for generation in generations:
            outcomes[retry_poll_later(generation, now, attempts=generation.attempts)] += 1
        return outcomes
    by_id = {task.unique_id: task for task in page.items}
    # Most of a batch is still running: record those in one transaction (no network inside),
    # then handle the finished ones, whose downloads must not run inside a transaction.
    running = [g for g in generations if g.unique_id in by_id and not by_id[g.unique_id].is_terminal]
    crashed: list[tuple[Generation, Exception]] = []
    with transaction.atomic():
        for generation in running:
            try:
                with transaction.atomic():  # a savepoint: one bad row keeps the others' writes
                    outcomes[apply_task(generation, by_id[generation.unique_id], client)] += 1
            except Exception as error:
                crashed.append((generation, error))
    for generation, raised in crashed:
        outcomes[postpone_after_crash(generation, "polling", raised)] += 1
    rest = [g for g in generations if g not in running]
    for index, generation in enumerate(rest):
        if should_stop():
            for unprocessed in rest[index:]:
                release(unprocessed)
            break
        outcomes[_poll_one(generation, by_id.get(generation.unique_id), client)] += 1
    return outcomes


def _poll_one(generation: Generation, task: TaskInfo | None, client: ChanjingClient) -> Outcome:
    now = timezone.now()
    try:
        with call_context(generation_code=generation.code):
            if task is None:
                task = client.task(generation.unique_id)
            return apply_task(generation, task, client)
    except ChanjingError as error:
        log.warning("generation %s: poll failed: %s", generation.code, error)
        saving = generation.provider_status == provider.SUCCESS
        if saving and generation.attempts + 1 >= MAX_DOWNLOAD_ATTEMPTS:
            return fail(generation, problems.DOWNLOAD_FAILED, raw=error.msg, provider_status=provider.SUCCESS)
        return retry_poll_later(generation, now, attempts=generation.attempts + 1)
    except Exception as error:
        return postpone_after_crash(generation, "polling", error)


def retry_poll_later(generation: Generation, now: datetime, *, attempts: int) -> Outcome:
    return _released(
        generation,
        Outcome.RETRY,
        attempts=attempts,
        next_attempt_at=now + timedelta(seconds=backoff_seconds(max(attempts, 1), base=10)),
    )


def apply_task(generation: Generation, task: TaskInfo, client: ChanjingClient) -> Outcome:
    """Apply what the provider says about this generation's task, and only about that task."""
    now = timezone.now()
    if task.unique_id != generation.unique_id:
        log.warning(
            "generation %s: the provider answered about task %r instead of %r; ignored",
            generation.code,
            task.unique_id[:64],
            generation.unique_id,
        )
        outcome = retry_poll_later(generation, now, attempts=generation.attempts + 1)
        return Outcome.IGNORED if outcome == Outcome.RETRY else outcome
    if task.succeeded:
        return store_video(generation, task, client)
    if task.failed:
        return fail(
            generation, problems.TASK_FAILED, raw=task.err_msg or task.status, provider_status=task.status
        )
    if not task.is_known_status:
        log.warning("generation %s: unknown provider status %r, polling again", generation.code, task.status)
    return mark_progress(generation, task, now)


def mark_progress(generation: Generation, task: TaskInfo, now: datetime) -> Outcome:
    return _released(
        generation,
        Outcome.PROGRESS,
        **_status_fields(generation, Status.SUBMITTED, task.status),
        next_attempt_at=now + poll_interval(generation, now),
    )


class LeaseKeeper:
    """Renews a generation's lease a third of a lease at a time while a long step (a download)
    runs; False once the lease was lost, so the step stops."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self.renewed_at = time.monotonic()

    def __call__(self) -> bool:
        if time.monotonic() - self.renewed_at < settings.POLLER_LEASE_SECONDS / 3:
            return True
        self.renewed_at = time.monotonic()
        return extend(self.generation, settings.POLLER_LEASE_SECONDS)


def store_video(generation: Generation, task: TaskInfo, client: ChanjingClient) -> Outcome:
    """Copy the provider's temporary video into our storage; only then is the generation done."""
    url = task.video_url
    if not url:
        return fail(generation, problems.NO_VIDEO, raw=str(task.raw)[:500], provider_status=provider.SUCCESS)
    # Remember that the provider is done, so a crash during the download is retried as such.
    Generation.objects.filter(pk=generation.pk).update(
        provider_status=provider.SUCCESS, provider_video_url=url
    )
    generation.provider_status = provider.SUCCESS
    # The download gets its own time, not what is left of its batch's lease, and holds the row
    # while it runs: the lease is renewed as the bytes come, and a download whose lease was lost
    # stops (then another worker may have the row, and must not find a second download beside it).
    if not extend(generation, settings.POLLER_LEASE_SECONDS):
        return Outcome.LEASE_LOST
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        with path.open("wb") as handle:
            try:
                size, sha256, content_type = client.download(
                    url,
                    handle,
                    max_bytes=settings.VIDEO_MAX_BYTES,
                    max_seconds=settings.VIDEO_DOWNLOAD_MAX_SECONDS,
                    still_held=LeaseKeeper(generation),
                )
            except ChanjingError as error:
                if error.retryable:
                    raise
                # Fetching it again cannot help (e.g. over the size limit): fail now, with the reason.
                return fail(
                    generation, problems.DOWNLOAD_FAILED, raw=error.msg, provider_status=provider.SUCCESS
                )
        try:
            if content_type and not content_type.startswith(("video/", "application/octet-stream")):
                raise NotAVideo(f"content type {content_type}")
            if not looks_like_mp4(path):
                raise NotAVideo("no MP4 signature")
            facts = probe(path)
            poster = poster_jpeg(path, at_seconds=min(1.0, facts.seconds / 2))
        except NotAVideo as error:
            log.warning("generation %s: not a video: %s", generation.code, error)
            # The creator sees this text: our temporary path is no business of theirs.
            raw = str(error).replace(str(path), path.name).replace(tmp, "")
            return fail(generation, problems.NOT_A_VIDEO, raw=raw, provider_status=provider.SUCCESS)
        with path.open("rb") as handle:
            generation.video.save(f"{generation.code}.mp4", File(handle), save=False)
        generation.poster.save(f"{generation.code}.jpg", ContentFile(poster), save=False)
    return mark_succeeded(generation, url=url, size=size, sha256=sha256, seconds=facts.seconds)


def mark_succeeded(generation: Generation, *, url: str, size: int, sha256: str, seconds: float) -> Outcome:
    return _released(
        generation,
        Outcome.COMPLETED,
        **_status_fields(generation, Status.SUCCEEDED, provider.SUCCESS),
        video=generation.video.name,
        poster=generation.poster.name,
        video_bytes=size,
        video_sha256=sha256,
        video_seconds=seconds,
        provider_video_url=url,
        **CLEAR_PROBLEM,
    )


# --- Stuck work ----------------------------------------------------------------------------


def settle_stuck(generation: Generation, client: ChanjingClient) -> Outcome:
    """Reconcile a generation that made no progress for too long, then fail it with a reason.

    A lost submit whose look cannot decide is not failed: its task may exist and run.
    """
    now = timezone.now()
    minutes = int((now - generation.status_changed_at).total_seconds() // 60)
    with call_context(generation_code=generation.code):
        if generation.status == Status.SUBMITTED and generation.unique_id:
            try:
                task = client.task(generation.unique_id)
            except ChanjingError as error:
                log.warning("generation %s: could not reconcile a stuck task: %s", generation.code, error)
            else:
                if task.is_terminal or task.status != generation.provider_status:
                    return apply_task(generation, task, client)
            kind, params = (
                problems.STUCK_SUBMITTED,
                {"minutes": minutes, "status": generation.provider_status},
            )
        else:
            if generation.submit_uncertain_since:
                settled, _found = _look_for_lost_submit(generation, client, now)
                if settled is not None:
                    return settled
            kind, params = problems.STUCK_UNSENT, {"minutes": minutes}
    return fail(generation, kind, params=params, raw=generation.error_raw, code=generation.error_code)
