"""Creating generations from the form: saved first, then a quick, bounded first submit attempt."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from studio.chanjing.errors import TransportError
from studio.chanjing.factory import get_client
from studio.chanjing.interfaces import TokenFetch
from studio.chanjing.models import ProviderToken
from studio.chanjing.wire import TOKEN_PATH
from studio.generations import lifecycle, quota
from studio.generations.models import Generation, ParentKind, Project, Status

if TYPE_CHECKING:
    from studio.accounts.models import User

log = logging.getLogger(__name__)

# The web request gives the provider this long in all; past it the poller takes over.
WEB_SUBMIT_CONNECT_TIMEOUT = 0.5
WEB_SUBMIT_READ_TIMEOUT = 1.5
WEB_SUBMIT_BUDGET = timedelta(seconds=WEB_SUBMIT_CONNECT_TIMEOUT + WEB_SUBMIT_READ_TIMEOUT)


def create_generation(
    project: Project,
    user: User,
    data: dict[str, Any],
    *,
    parent: Generation | None = None,
    code: uuid.UUID | None = None,
) -> Generation:
    """Save a new generation. Frames are uploaded files, or stored files reused from `parent`.

    A given `code` makes a repeated submit fail with IntegrityError instead of saving a second row.
    """
    return create_takes(project, user, data, takes=1, parent=parent, code=code)[0]


def create_takes(
    project: Project,
    user: User,
    data: dict[str, Any],
    *,
    takes: int,
    parent: Generation | None = None,
    code: uuid.UUID | None = None,
) -> list[Generation]:
    """Save `takes` variations of the same request as one group, in one quota reservation.

    The first take gets `code` and the others codes derived from it, so a repeated submit fails
    with IntegrityError on the first insert and the whole group is rolled back: one POST, one group.
    """
    code = code or uuid.uuid4()
    start = data.get("start_frame")
    continues = (
        parent is not None
        and isinstance(start, FieldFile)
        and bool(parent.last_frame)
        and start.name == parent.last_frame.name
    )
    group = uuid.uuid5(code, "takes") if takes > 1 else None
    now = timezone.now()
    generations = [
        Generation(
            code=code if index == 1 else uuid.uuid5(code, f"take-{index}"),
            take_group=group,
            take_index=index,
            created_at=now,
            parent=parent,
            parent_kind=ParentKind.CONTINUE if continues else ParentKind.REMIX,
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
        for index in range(1, takes + 1)
    ]
    first = generations[0]
    # The quota is checked and reserved in the transaction that inserts the rows; frames are
    # stored only once the seconds fit, so a refusal leaves no files behind.
    with quota.reserve(project.workspace, user, first.duration * takes):
        for field in ("start_frame", "end_frame"):
            upload = data.get(field)
            if isinstance(upload, FieldFile):
                setattr(first, field, upload.name)  # the parent's stored image, not a copy
            elif upload:
                getattr(first, field).save(upload.name, upload, save=False)
        first.save()
        for generation in generations[1:]:
            # Takes share the first take's stored frames rather than copying them.
            generation.start_frame = first.start_frame.name
            generation.end_frame = first.end_frame.name
            generation.save()
    return generations


def try_submit_now(generation: Generation) -> None:
    """Submit during the request when it is quick; anything slow or failing is left to the poller.

    Frames need the provider's upload flow, which can take up to a minute, so generations with
    frames always go through the poller. The request uses the shared token as it is, whenever
    it outlives the request's budget: fetching a new one is the poller's job.
    """
    if generation.start_frame or generation.end_frame:
        return
    token = usable_token()
    if token is None:
        return
    claimed = lifecycle.claim(
        Generation.objects.filter(pk=generation.pk, status=Status.PENDING),
        worker=f"web:{lifecycle.WORKER_NAME}",
    )
    if not claimed:
        return
    try:
        client = get_client(
            token_store=TokenAsIs(token),
            connect_timeout=WEB_SUBMIT_CONNECT_TIMEOUT,
            read_timeout=WEB_SUBMIT_READ_TIMEOUT,
            max_retries=0,
        )
        lifecycle.submit(claimed[0], client)
    except Exception:
        # The generation is saved and pending; the poller will send it.
        log.exception("generation %s: quick submit failed, leaving it to the poller", generation.code)
        lifecycle.release(claimed[0])
    generation.refresh_from_db()


def usable_token() -> str | None:
    """The shared token, if it stays valid for longer than the web request's budget."""
    row = ProviderToken.objects.filter(
        base_url=settings.CHANJING_BASE_URL, app_id=settings.CHANJING_APP_ID
    ).first()
    if row is None or not row.token or row.expires_at is None:
        return None
    return row.token if row.expires_at - timezone.now() > WEB_SUBMIT_BUDGET else None


class TokenAsIs:
    """A token store for one web request: the token it was given, never a fetched one."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, fetch: TokenFetch, *, force_refresh_of: str | None = None) -> str:
        if force_refresh_of is not None:
            # Refused by the provider, so nothing was created: the poller refreshes and sends.
            raise TransportError("The token was refused; the poller will refresh it.", endpoint=TOKEN_PATH)
        return self.token


def retry_generation(original: Generation, user: User) -> Generation:
    """A new generation with the same prompt, parameters and frames; the original is kept.

    The retry takes the original's place among its takes (same group and number), and lists hide
    the failed original behind it (GenerationQuerySet.unsuperseded).
    """
    data = {
        "prompt": original.prompt,
        "aspect_ratio": original.aspect_ratio,
        "clarity": original.clarity,
        "duration": original.duration,
        "start_frame": original.start_frame or None,
        "end_frame": original.end_frame or None,
    }
    retry = create_generation(original.project, user, data, parent=original)
    if original.take_group:
        retry.take_group, retry.take_index = original.take_group, original.take_index
        retry.save(update_fields=["take_group", "take_index"])
    return retry
