"""Creating generations from the form: saved first, then a quick, bounded first submit attempt."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from studio.chanjing.factory import get_client
from studio.generations import lifecycle
from studio.generations.models import Generation, Project, Status

log = logging.getLogger(__name__)

# The web request gives the provider this long; past it the poller takes over.
WEB_SUBMIT_READ_TIMEOUT = 2.0


def create_generation(project: Project, user, data: dict) -> Generation:
    generation = Generation(
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
    for field in ("start_frame", "end_frame"):
        upload = data.get(field)
        if upload:
            getattr(generation, field).save(upload.name, upload, save=False)
    with transaction.atomic():
        generation.save()
    return generation


def try_submit_now(generation: Generation) -> None:
    """Submit during the request when it is quick; anything slow or failing is left to the poller.

    Frames need the provider's upload flow, which can take up to a minute, so generations with
    frames always go through the poller.
    """
    if generation.start_frame or generation.end_frame:
        return
    claimed = lifecycle.claim(
        Generation.objects.filter(pk=generation.pk, status=Status.PENDING),
        worker=f"web:{lifecycle.WORKER_NAME}",
    )
    if not claimed:
        return
    try:
        client = get_client(read_timeout=WEB_SUBMIT_READ_TIMEOUT, max_retries=0)
        lifecycle.submit(claimed[0], client)
    except Exception:
        # The generation is saved and pending; the poller will send it.
        log.exception("generation %s: quick submit failed, leaving it to the poller", generation.code)
        lifecycle.release(claimed[0])
    generation.refresh_from_db()
