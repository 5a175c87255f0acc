"""Creating generations from the form: saved first, then a quick, bounded first submit attempt."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from studio.chanjing.factory import get_client, token_status
from studio.generations import lifecycle
from studio.generations.models import Generation, Project, Status
from studio.usage import quota

log = logging.getLogger(__name__)

# The web request gives the provider this long in all; past it the poller takes over.
WEB_SUBMIT_CONNECT_TIMEOUT = 0.5
WEB_SUBMIT_READ_TIMEOUT = 1.5


def create_generation(
    project: Project, user, data: dict, *, parent: Generation | None = None, code: uuid.UUID | None = None
) -> Generation:
    """Save a new generation. Frames are uploaded files, or stored files reused from `parent`.

    A given `code` makes a repeated submit fail with IntegrityError instead of saving a second row.
    """
    generation = Generation(
        parent=parent,
        workspace=project.workspace,
        project=project,
        created_by=user,
        prompt=data["prompt"],
        aspect_ratio=data["aspect_ratio"],
        clarity=data["clarity"],
        duration=data["duration"],
        model_code=settings.CHANJING_MODEL_CODE,
        is_sandbox=settings.SANDBOX_MODE,
    )
    if code is not None:
        generation.code = code
    # The quota is checked and reserved in the transaction that inserts the row; frames are
    # stored only once the seconds fit, so a refusal leaves no files behind.
    with quota.reserve(project.workspace, user, generation.duration):
        for field in ("start_frame", "end_frame"):
            upload = data.get(field)
            if isinstance(upload, FieldFile):
                setattr(generation, field, upload.name)  # the parent's stored image, not a copy
            elif upload:
                getattr(generation, field).save(upload.name, upload, save=False)
        generation.save()
    return generation


def try_submit_now(generation: Generation) -> None:
    """Submit during the request when it is quick; anything slow or failing is left to the poller.

    Frames need the provider's upload flow, which can take up to a minute, so generations with
    frames always go through the poller.
    """
    if generation.start_frame or generation.end_frame:
        return
    if not token_is_fresh():
        return  # fetching a token is a second round trip: leave it to the poller
    claimed = lifecycle.claim(
        Generation.objects.filter(pk=generation.pk, status=Status.PENDING),
        worker=f"web:{lifecycle.WORKER_NAME}",
    )
    if not claimed:
        return
    try:
        client = get_client(
            connect_timeout=WEB_SUBMIT_CONNECT_TIMEOUT, read_timeout=WEB_SUBMIT_READ_TIMEOUT, max_retries=0
        )
        lifecycle.submit(claimed[0], client)
    except Exception:
        # The generation is saved and pending; the poller will send it.
        log.exception("generation %s: quick submit failed, leaving it to the poller", generation.code)
        lifecycle.release(claimed[0])
    generation.refresh_from_db()


def token_is_fresh() -> bool:
    expires_at = token_status()["expires_at"]
    margin = timedelta(seconds=settings.CHANJING_TOKEN_REFRESH_MARGIN + 60)
    return expires_at is not None and expires_at - margin > timezone.now()


def retry_generation(original: Generation, user) -> Generation:
    """A new generation with the same prompt, parameters and frames; the original is kept."""
    data = {
        "prompt": original.prompt,
        "aspect_ratio": original.aspect_ratio,
        "clarity": original.clarity,
        "duration": original.duration,
        "start_frame": original.start_frame or None,
        "end_frame": original.end_frame or None,
    }
    return create_generation(original.project, user, data, parent=original)
