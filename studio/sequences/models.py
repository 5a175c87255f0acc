"""Sequences: a project's ordered shots, each one chosen take, and the MP4 exports made of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.generations.models import AspectRatio, Clarity, Generation, Project
from studio.sharing.models import new_token


class Fit(models.TextChoices):
    FIT = "fit", _("Fit with bars")
    FILL = "fill", _("Fill by cropping")


class Crossfade(models.IntegerChoices):
    NONE = 0, _("No crossfade")
    HALF = 500, _("0.5 s crossfade")
    ONE = 1000, _("1 s crossfade")


class SequenceQuerySet(models.QuerySet["Sequence"]):
    def live(self) -> SequenceQuerySet:
        return self.filter(project__deleted_at__isnull=True)


class Sequence(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sequences")
    name = models.CharField(_("name"), max_length=120)
    # The size every shot is re-encoded to on export: the ratio, and the short side in pixels.
    aspect_ratio = models.CharField(
        _("aspect ratio"), max_length=5, choices=AspectRatio.choices, default=AspectRatio.PORTRAIT
    )
    clarity = models.PositiveSmallIntegerField(_("clarity"), choices=Clarity.choices, default=Clarity.P720)
    fit = models.CharField(_("shots of another shape"), max_length=4, choices=Fit.choices, default=Fit.FIT)
    crossfade_ms = models.PositiveSmallIntegerField(
        _("between shots"), choices=Crossfade.choices, default=Crossfade.NONE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SequenceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def size(self) -> tuple[int, int]:
        """Width and height: the clarity is the short side, as Seedance sizes its videos."""
        across, down = (int(part) for part in self.aspect_ratio.split(":"))
        short = self.clarity
        if across >= down:
            return _even(short * across / down), short
        return short, _even(short * down / across)

    def append(self, generation: Generation) -> Shot:
        last = self.shots.aggregate(last=models.Max("position"))["last"]
        return Shot.objects.create(sequence=self, generation=generation, position=(last or 0) + 1)

    def reorder(self, codes: list[str]) -> bool:
        """Put the shots in the order of `codes`, which must name each shot once; False otherwise."""
        shots = {str(shot.code): shot for shot in self.shots.all()}
        if sorted(codes) != sorted(shots):
            return False
        for position, code in enumerate(codes, start=1):
            shots[code].position = position
        Shot.objects.bulk_update(shots.values(), ["position"])
        return True

    def move(self, shot: Shot, offset: int) -> None:
        """Move `shot` by `offset` places (clamped to the ends)."""
        codes = [str(code) for code in self.shots.values_list("code", flat=True)]
        index = codes.index(str(shot.code))
        codes.insert(max(0, min(len(codes) - 1, index + offset)), codes.pop(index))
        self.reorder(codes)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


class Shot(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="shots")
    # The chosen take; another take of its group can replace it (views.shot_take).
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"shot {self.position} of {self.sequence_id}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Stitching")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def export_upload_to(instance: Export, filename: str) -> str:
    return f"exports/{instance.code}/{filename}"


class ExportQuerySet(models.QuerySet["Export"]):
    def due(self, now: datetime | None = None) -> ExportQuerySet:
        """Waiting, or running under a lease that ran out (its worker died): the export step's queue."""
        now = now or timezone.now()
        return self.filter(
            status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING], next_attempt_at__lte=now
        ).filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))


class Export(models.Model):
    """One MP4 made of a sequence by the background worker (studio.sequences.export)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="exports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # What was asked for, fixed when the export was requested: later edits make a new export.
    generation_ids = models.JSONField(default=list)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fit = models.CharField(max_length=4, choices=Fit.choices)
    crossfade_ms = models.PositiveSmallIntegerField(default=0)

    status = models.CharField(max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of frames written
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)

    video = models.FileField(upload_to=export_upload_to, blank=True)
    poster = models.ImageField(upload_to=export_upload_to, blank=True)
    video_bytes = models.BigIntegerField(null=True, blank=True)
    video_sha256 = models.CharField(max_length=64, blank=True)
    video_seconds = models.FloatField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The poller's export step: ExportQuerySet.due() in studio.sequences.export.handle_one.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="export_due_idx",
                condition=Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.code} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def has_video(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.video)


class ExportShareLink(models.Model):
    """A public, read-only link to one export, with the same token and expiry rules as
    studio.sharing's links; a model of its own so the generation share pages stay as they are."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share of export {self.export_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
