"""The one place tests build people, workspaces, projects and generations.

Plain functions: each makes a valid object from defaults, and any field can be overridden by
keyword. Fixtures in tests/conftest.py compose them; tests call them directly when they need
more than the fixtures give.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from studio.accounts.models import User
from studio.chanjing.models import ProviderToken
from studio.generations.models import Generation, Project, Status
from studio.sequences.models import Export, ExportStatus, Sequence
from studio.workspaces.models import Membership, Role, Workspace, personal_workspace_for

PASSWORD = "a-Strong-pass-123"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MODEL_CODE = "Doubao-Seedance-1.0-lite-i2v"
PERSONAS = ("owner", "admin", "editor", "viewer", "outsider", "anonymous")
TEAM_ROLES = (Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER)

# Small, fast defaults for generations the sandbox will render: 720p, 5 s, square.
GENERATION_DEFAULTS: dict[str, Any] = {
    "prompt": "a lantern festival at night",
    "aspect_ratio": "1:1",
    "clarity": 720,
    "duration": 5,
    "model_code": MODEL_CODE,
    "is_sandbox": True,
}

# Bytes that pass for media files where only their presence and type matter.
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
FAKE_JPEG = b"\xff\xd8\xff poster"
FAKE_PNG = b"\x89PNG frame"

_numbers = itertools.count(1)


def make_user(username: str | None = None, **overrides: Any) -> User:
    """A person who can sign in with PASSWORD; a unique name unless one is given."""
    username = username or f"person{next(_numbers)}"
    overrides.setdefault("email", f"{username}@example.com")
    overrides.setdefault("password", PASSWORD)
    return User.objects.create_user(username=username, **overrides)


def make_staff(username: str = "ops", **overrides: Any) -> User:
    return make_user(username, is_staff=True, is_superuser=True, **overrides)


def make_workspace(name: str = "Team", *, owner: User | None = None) -> Workspace:
    """A team workspace and its owner's membership."""
    owner = owner or make_user()
    workspace = Workspace.objects.create(name=name, created_by=owner)
    add_member(workspace, owner, Role.OWNER)
    return workspace


def add_member(workspace: Workspace, user: User, role: Role = Role.EDITOR) -> Membership:
    return Membership.objects.create(workspace=workspace, user=user, role=role)


def make_team() -> dict[str, Any]:
    """A team workspace with one person per role, an outsider with a workspace of their own,
    and a project: the personas of the permission tests."""
    people = {name: make_user(name) for name in ("owner", "admin", "editor", "viewer", "outsider")}
    workspace = Workspace.objects.create(name="Team", created_by=people["owner"])
    for role in TEAM_ROLES:
        add_member(workspace, people[role.value], role)
    project = make_project(workspace, created_by=people["owner"], name="Team project")
    return {"workspace": workspace, "project": project, **people}


def make_project(
    workspace: Workspace | None = None, *, created_by: User | None = None, name: str = "Spring ad"
) -> Project:
    """A project in `workspace`, or in its creator's personal workspace."""
    if created_by is None:
        created_by = workspace.created_by if workspace and workspace.created_by else make_user()
    workspace = workspace or personal_workspace_for(created_by)
    return Project.objects.create(workspace=workspace, name=name, created_by=created_by)


def _generation(project: Project | None, overrides: dict[str, Any]) -> Generation:
    project = project or make_project(created_by=overrides.get("created_by"))
    fields = {**GENERATION_DEFAULTS, "created_by": project.created_by, **overrides}
    fields.setdefault("workspace", project.workspace)
    queued, took = fields.pop("queued", None), fields.pop("took", None)
    if queued is not None:
        fields.setdefault(
            "submitted_at", fields.get("created_at", timezone.now()) + timedelta(seconds=queued)
        )
        if took is not None and fields.get("status") in (Status.SUCCEEDED, Status.FAILED):
            fields.setdefault("finished_at", fields["submitted_at"] + timedelta(seconds=took))
    return Generation(project=project, **fields)


def make_generation(project: Project | None = None, **overrides: Any) -> Generation:
    """A saved generation (PENDING unless told otherwise) in `project`, made by its creator.

    `queued` and `took` (seconds) set when it was sent and, once finished, when it ended,
    counted from `created_at`.
    """
    generation = _generation(project, overrides)
    generation.save()
    return generation


def make_past_generation(
    project: Project,
    user: User,
    *,
    created: datetime,
    status: str = Status.SUCCEEDED,
    queued: float | None = 10,
    took: float | None = 60,
    **overrides: Any,
) -> Generation:
    """A generation as the usage ledger sees it: made at `created`, sent `queued` s later and,
    once it finished, ended `took` s after that; a cancelled one ended a second after it was made."""
    if status == Status.CANCELLED:
        overrides.setdefault("finished_at", created + timedelta(seconds=1))
    overrides.setdefault("prompt", f"shot {created:%d %H:%M}")
    overrides.setdefault("is_sandbox", False)
    return make_generation(
        project, created_by=user, created_at=created, status=status, queued=queued, took=took, **overrides
    )


def make_generations(project: Project, prompts: Iterable[str], **overrides: Any) -> list[Generation]:
    """Many generations in one query, one per prompt."""
    return Generation.objects.bulk_create(
        _generation(project, {**overrides, "prompt": prompt}) for prompt in prompts
    )


def finished_generation(
    workspace: Workspace | None = None,
    project: Project | None = None,
    user: User | None = None,
    prompt: str = "a lantern drifts over the lake",
    **overrides: Any,
) -> Generation:
    """A succeeded generation with a (tiny, fake) video, poster and start frame on disk, with the
    form's default settings (portrait, 1080p, 5 s) as a person would have asked for it."""
    fields: dict[str, Any] = {
        "prompt": prompt,
        "status": Status.SUCCEEDED,
        "aspect_ratio": "9:16",
        "clarity": 1080,
        "is_sandbox": False,
        **overrides,
    }
    if workspace is not None:
        fields["workspace"] = workspace
    if user is not None:
        fields["created_by"] = user
    generation = _generation(project, fields)
    generation.video.save("v.mp4", ContentFile(FAKE_MP4), save=False)
    generation.poster.save("p.jpg", ContentFile(FAKE_JPEG), save=False)
    generation.start_frame.save("s.png", ContentFile(FAKE_PNG), save=False)
    generation.save()
    return generation


def finished_videos(
    project: Project, user: User, prompts: list[str], *, aspect_ratio: str = "9:16", minutes_ago: int = 0
) -> list[Generation]:
    """Finished generations made the cheap way, newest first, sharing one tiny real JPEG poster
    (for pages that show thumbnails). The video file is a stub."""
    width, height = (32, 18) if aspect_ratio == "16:9" else (18, 32) if aspect_ratio == "9:16" else (24, 24)
    poster = default_storage.save(
        f"test-media/poster-{width}x{height}.jpg", ContentFile(jpeg_bytes((width, height)))
    )
    video = default_storage.save("test-media/stub.mp4", ContentFile(FAKE_MP4[:12]))
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return Generation.objects.bulk_create(
        _generation(
            project,
            {
                "created_by": user,
                "prompt": prompt,
                "aspect_ratio": aspect_ratio,
                "clarity": 1080,
                "is_sandbox": False,
                "status": Status.SUCCEEDED,
                "video": video,
                "poster": poster,
                "video_seconds": 5.0,
                "created_at": now - timedelta(seconds=index),
                "finished_at": now - timedelta(seconds=index),
            },
        )
        for index, prompt in enumerate(prompts)
    )


def make_fresh_token(base_url: str | None = None, *, hours: float = 12) -> ProviderToken:
    """A shared access token for the configured provider that is good for `hours`, so a request's
    quick submit goes straight to the provider instead of leaving the work to the poller."""
    return ProviderToken.objects.create(
        base_url=base_url or settings.CHANJING_BASE_URL,
        app_id=settings.CHANJING_APP_ID,
        token="t" * 32,
        expires_at=timezone.now() + timedelta(hours=hours),
    )


def jpeg_bytes(size: tuple[int, int] = (24, 24), color: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def image_file(
    name: str = "frame.png",
    size: tuple[int, int] = (360, 640),
    color: tuple[int, int, int] = (200, 60, 90),
    fmt: str = "PNG",
) -> SimpleUploadedFile:
    """An uploaded image, as a browser would send it in a form."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment in 2025, studio time (settings.TIME_ZONE is Asia/Shanghai in tests)."""
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def png_bytes(size: tuple[int, int] = (320, 180), color: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def make_sequence(
    project: Project, generations: Iterable[Generation] = (), *, name: str = "Opening", **overrides: Any
) -> Sequence:
    """A sequence in `project` with one shot per generation, in order."""
    overrides.setdefault("created_by", project.created_by)
    sequence = Sequence.objects.create(project=project, name=name, **overrides)
    for generation in generations:
        sequence.append(generation)
    return sequence


def make_export(sequence: Sequence, *, done: bool = True, **overrides: Any) -> Export:
    """An export of the sequence's shots; when `done`, with a (fake) stored video and poster."""
    width, height = sequence.size
    fields: dict[str, Any] = {
        "generation_ids": list(sequence.shots.values_list("generation_id", flat=True)),
        "width": width,
        "height": height,
        "fit": sequence.fit,
        "crossfade_ms": sequence.crossfade_ms,
        "created_by": sequence.created_by,
        **overrides,
    }
    export = Export(sequence=sequence, **fields)
    if done:
        export.status, export.progress, export.video_seconds = ExportStatus.DONE, 100, 5.0
        export.video.save("export.mp4", ContentFile(FAKE_MP4), save=False)
        export.poster.save("poster.jpg", ContentFile(FAKE_JPEG), save=False)
    export.save()
    return export
