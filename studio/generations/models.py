from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.chanjing import types as provider
from studio.generations.links import Links
from studio.generations.problems import describe
from studio.workspaces.models import Workspace

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


TRASH_DAYS = 30  # a deleted project or generation can be restored from the Trash this long


class ProjectQuerySet(models.QuerySet["Project"]):
    def live(self) -> ProjectQuerySet:
        return self.filter(deleted_at__isnull=True)

    def in_trash(self, now: datetime | None = None) -> ProjectQuerySet:
        return self.filter(deleted_at__gte=(now or timezone.now()) - timedelta(days=TRASH_DAYS))


class Project(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived projects leave the main list but keep working; deleted ones wait in the Trash.
    archived_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class AspectRatio(models.TextChoices):
    PORTRAIT = "9:16", _("9:16 portrait")
    LANDSCAPE = "16:9", _("16:9 landscape")
    SQUARE = "1:1", _("1:1 square")


class Clarity(models.IntegerChoices):
    P720 = 720, "720p"
    P1080 = 1080, "1080p"


class Duration(models.IntegerChoices):
    FIVE = 5, _("5 seconds")
    TEN = 10, _("10 seconds")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    SUBMITTED = "submitted", _("With the provider")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


TERMINAL_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED})


class Phase(StrEnum):
    """Where a generation is in its life, derived from `status` and the fields beside it.

    The state table and the transitions between phases are in studio.generations.lifecycle.
    """

    WAITING = "waiting"  # pending, nothing sent yet (or a look proved nothing was created)
    RECONCILING = "reconciling"  # pending, a submit was sent and its answer lost
    GENERATING = "generating"  # submitted, the provider is working on it
    SAVING = "saving"  # submitted, the provider is done: copying the video into our storage
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Labels for the provider's own statuses as a person sees them on a card.
PROVIDER_STATUS_LABELS = {
    provider.QUEUED: _("Queued"),
    provider.READY: _("Ready"),
    provider.GENERATING: _("Generating"),
    provider.SUCCESS: _("Saving video"),
}


def frame_upload_to(instance: Generation, filename: str) -> str:
    return f"frames/{instance.code}/{filename}"


class ParentKind(models.TextChoices):
    """How a generation came from its parent: the lineage trail words it by this."""

    REMIX = "", _("Made from")
    CONTINUE = "continue", _("Continues")


def video_upload_to(instance: Generation, filename: str) -> str:
    return f"videos/{instance.code}/{filename}"


class GenerationQuerySet(models.QuerySet["Generation"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> GenerationQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(workspace__memberships__user=user.pk)

    def with_related(self) -> GenerationQuerySet:
        return self.select_related("project", "workspace", "created_by")

    def live(self) -> GenerationQuerySet:
        """Neither it nor its project is in the Trash. The usage ledger never applies this."""
        return self.filter(deleted_at__isnull=True, project__deleted_at__isnull=True)

    def unsuperseded(self) -> GenerationQuerySet:
        """Without the failed or cancelled attempts that were tried again: the retry takes their card."""
        return self.exclude(status__in=[Status.FAILED, Status.CANCELLED], followed_up=True)

    def in_trash(self, now: datetime | None = None) -> GenerationQuerySet:
        """Deleted one by one (not with a project) in the last TRASH_DAYS days."""
        since = (now or timezone.now()) - timedelta(days=TRASH_DAYS)
        return self.filter(deleted_at__gte=since, project__deleted_at__isnull=True)

    def due_for_submit(self, now: datetime | None = None) -> GenerationQuerySet:
        """Waiting generations whose (next) submit is due; nothing of theirs reached the provider."""
        now = now or timezone.now()
        return self.filter(
            status=Status.PENDING, submit_uncertain_since__isnull=True, next_attempt_at__lte=now
        ).filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))

    def due_for_reconcile(self, now: datetime | None = None) -> GenerationQuerySet:
        """Submits whose answer was lost, due for a look at the provider's task list."""
        now = now or timezone.now()
        return self.filter(
            status=Status.PENDING, submit_uncertain_since__isnull=False, next_attempt_at__lte=now
        ).filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))

    def stuck(self, now: datetime | None = None) -> GenerationQuerySet:
        """In flight without progress for longer than its status allows (settings.STUCK_LIMITS)."""
        now = now or timezone.now()
        limits = settings.STUCK_LIMITS
        condition = Q(status=Status.PENDING, status_changed_at__lt=now - timedelta(seconds=limits["new"]))
        for provider_status in (provider.QUEUED, provider.READY, provider.GENERATING):
            condition |= Q(
                status=Status.SUBMITTED,
                provider_status=provider_status,
                status_changed_at__lt=now - timedelta(seconds=limits[provider_status]),
            )
        # next_attempt_at too: a row whose settling raised was postponed and must not be retaken at once.
        return self.filter(condition, next_attempt_at__lte=now).filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        )

    def due_for_poll(self, now: datetime | None = None) -> GenerationQuerySet:
        now = now or timezone.now()
        return self.filter(status=Status.SUBMITTED, next_attempt_at__lte=now).filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        )


class Generation(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="generations")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="generations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="generations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The generation this one retries or remixes, if any.
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    # Set once a retry, remix or continuation of it is made in its own project (save()).
    followed_up = models.BooleanField(default=False, editable=False)
    # "continue": its start frame is the parent's last frame (studio.sequences.frames).
    parent_kind = models.CharField(max_length=10, choices=ParentKind.choices, default="", blank=True)
    # Takes: variations submitted together share a group (None for a single video), numbered from 1.
    take_group = models.UUIDField(null=True, blank=True)
    take_index = models.PositiveSmallIntegerField(default=1)

    # What was asked for, exactly as it was sent.
    prompt = models.TextField(_("prompt"))
    aspect_ratio = models.CharField(
        _("aspect ratio"), max_length=5, choices=AspectRatio.choices, default=AspectRatio.PORTRAIT
    )
    clarity = models.PositiveSmallIntegerField(_("clarity"), choices=Clarity.choices, default=Clarity.P1080)
    duration = models.PositiveSmallIntegerField(
        _("duration"), choices=Duration.choices, default=Duration.FIVE
    )
    model_code = models.CharField(max_length=64)
    start_frame = models.ImageField(upload_to=frame_upload_to, blank=True)
    end_frame = models.ImageField(upload_to=frame_upload_to, blank=True)
    start_frame_url = models.URLField(max_length=1000, blank=True)
    end_frame_url = models.URLField(max_length=1000, blank=True)
    is_sandbox = models.BooleanField(
        default=False, help_text="Generated by the sandbox provider, not Seedance"
    )

    # Lifecycle.
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    provider_status = models.CharField(max_length=32, blank=True)
    unique_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Set when a submit was sent but its answer was lost: reconcile before sending again.
    submit_uncertain_since = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Outcome.
    error_message = models.TextField(blank=True, help_text="The explanation, in English (admins, search)")
    error_kind = models.CharField(max_length=20, blank=True, help_text="See studio.generations.problems")
    error_params = models.JSONField(default=dict, blank=True)
    error_raw = models.TextField(blank=True, help_text="The provider's own message, kept verbatim")
    error_code = models.IntegerField(null=True, blank=True)
    trace_id = models.CharField(max_length=64, blank=True)
    provider_video_url = models.URLField(max_length=2000, blank=True)
    video = models.FileField(upload_to=video_upload_to, blank=True)
    poster = models.ImageField(upload_to=video_upload_to, blank=True)
    video_bytes = models.BigIntegerField(null=True, blank=True)
    video_sha256 = models.CharField(max_length=64, blank=True)
    video_seconds = models.FloatField(null=True, blank=True)
    # The video's true last frame as lossless PNG, made on the first "Continue this shot".
    last_frame = models.ImageField(upload_to=video_upload_to, blank=True)
    # In the Trash since then; the row stays, so usage figures never change (studio.generations.ledger).
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The poller's queues: poll_generations' due_for_submit() and due_for_poll().
            models.Index(
                fields=["status", "next_attempt_at"],
                name="generation_due_idx",
                condition=Q(status__in=["pending", "submitted"]),
            ),
            # The gallery and project pages list a workspace's generations newest first.
            models.Index(fields=["workspace", "-created_at"], name="generation_ws_recent_idx"),
            models.Index(fields=["project", "-created_at"], name="generation_project_recent_idx"),
            models.Index(fields=["created_by", "-created_at"], name="generation_creator_recent_idx"),
            # Keyset paging of views_gallery.team() and .mine() (studio.generations.gallery.page_of):
            # filtered by status, ordered by (created_at, id) either way.
            models.Index(fields=["workspace", "status", "-created_at", "-id"], name="gallery_ws_idx"),
            models.Index(fields=["created_by", "status", "-created_at", "-id"], name="gallery_creator_idx"),
        ]
        constraints = [
            # One provider task belongs to one generation: a lost submit's look may adopt a task
            # only if no other generation holds it (studio.generations.reconcile).
            models.UniqueConstraint(
                fields=["unique_id"], condition=~Q(unique_id=""), name="generation_one_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt[:40]} ({self.get_status_display()})"

    @functools.cached_property
    def links(self) -> Links:
        """Its URLs for its card (studio.generations.links), without a reverse() each."""
        return Links(self.code)

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and self.parent_id is not None:
            # A failed or cancelled parent followed up in its own project leaves the project page
            # (GenerationQuerySet.unsuperseded), which reads this mark instead of a subquery.
            Generation.objects.filter(pk=self.parent_id, project_id=self.project_id).update(followed_up=True)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def phase(self) -> Phase:
        if self.status == Status.PENDING:
            return Phase.RECONCILING if self.submit_uncertain_since else Phase.WAITING
        if self.status == Status.SUBMITTED:
            return Phase.SAVING if self.provider_status == provider.SUCCESS else Phase.GENERATING
        if self.status == Status.SUCCEEDED:
            return Phase.DONE
        return Phase.FAILED if self.status == Status.FAILED else Phase.CANCELLED

    @property
    def status_label(self) -> str:
        if self.status == Status.SUBMITTED:
            return str(
                PROVIDER_STATUS_LABELS.get(self.provider_status, self.provider_status or _("Submitted"))
            )
        return self.get_status_display()

    @property
    def problem(self) -> str:
        """What went wrong, in the reader's language (the English copy when the kind is unknown)."""
        worded = describe(self.error_kind, code=self.error_code, raw=self.error_raw, params=self.error_params)
        return worded or self.error_message

    @property
    def elapsed(self) -> timedelta:
        end = self.finished_at or timezone.now()
        return end - self.created_at

    @property
    def has_video(self) -> bool:
        return self.status == Status.SUCCEEDED and bool(self.video)

    def set_status(self, status: str, provider_status: str | None = None) -> None:
        now = timezone.now()
        if status != self.status or (provider_status is not None and provider_status != self.provider_status):
            self.status_changed_at = now
        self.status = status
        if provider_status is not None:
            self.provider_status = provider_status
        if status in TERMINAL_STATUSES and self.finished_at is None:
            self.finished_at = now


class WorkerHeartbeat(models.Model):
    """One row per poller process: what admins see on the status page."""

    name = models.CharField(max_length=100, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_cycle_at = models.DateTimeField(default=timezone.now)
    cycles = models.PositiveBigIntegerField(default=0)
    submitted = models.PositiveBigIntegerField(default=0)
    polled = models.PositiveBigIntegerField(default=0)
    completed = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_cycle_at"]

    def __str__(self) -> str:
        return self.name


class Favorite(models.Model):
    """A star one person puts on a generation; the gallery's "Starred" filter lists them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Also the index behind the gallery's is_starred Exists() (studio.generations.gallery).
            models.UniqueConstraint(fields=["user", "generation"], name="favorite_unique_user_generation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.generation_id}"


class SavedPrompt(models.Model):
    """A named prompt in a project's library; generations copy its text, so editing it changes none."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_prompts")
    name = models.CharField(_("name"), max_length=120)
    text = models.TextField(_("prompt"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="saved_prompt_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
