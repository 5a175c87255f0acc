"""Everything the sandbox provider remembers, in the database so it survives restarts."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A `[slow]` task stays Generating this much longer than a normal one: long enough for a
# poller's stuck-task limits to fire, short enough that a forgotten sandbox row ends.
SLOW_EXTRA_SECONDS = 24 * 3600

LOG_RETENTION = timedelta(days=7)

FAIL_MESSAGE = "内容审核未通过,请修改提示词或参考图后重试"
ERROR_MESSAGE = "生成失败,未扣费,请稍后重试"


class AccessToken(models.Model):
    app_id = models.CharField(max_length=64)
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a newer token is issued for the same app_id: the real service keeps one token alive.
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["app_id", "replaced_at"], name="sandbox_token_app_live")]

    def __str__(self) -> str:
        # Never a piece of the token: this string is shown in the admin's titles and logs.
        return f"{self.app_id} token of {self.created_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def issue(cls, app_id: str) -> AccessToken:
        now = timezone.now()
        cls.objects.filter(app_id=app_id, replaced_at__isnull=True).update(replaced_at=now)
        return cls.objects.create(
            app_id=app_id,
            token=secrets.token_hex(16),
            expires_at=now + timedelta(seconds=settings.SANDBOX_TOKEN_TTL),
            created_at=now,
        )

    @classmethod
    def is_valid(cls, token: str) -> bool:
        if not token:
            return False
        return cls.objects.filter(
            token=token, replaced_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()


class TaskStatus(models.TextChoices):
    QUEUED = "Queued"
    READY = "Ready"
    GENERATING = "Generating"
    SUCCESS = "Success"
    ERROR = "Error"
    FAIL = "Fail"


class Behaviour(models.TextChoices):
    NORMAL = "normal"
    FAIL = "fail"
    ERROR = "error"
    SLOW = "slow"


def _new_unique_id() -> str:
    return str(uuid.uuid4())


class Task(models.Model):
    unique_id = models.CharField(max_length=36, unique=True, default=_new_unique_id)
    body = models.JSONField(help_text="The submitted request body, as received.")
    prompt = models.TextField()
    params = models.JSONField(help_text="The validated parameters the sandbox renders from.")
    behaviour = models.CharField(max_length=10, choices=Behaviour.choices, default=Behaviour.NORMAL)
    created_at = models.DateTimeField(default=timezone.now)
    video_path = models.CharField(max_length=255, blank=True)
    poster_path = models.CharField(max_length=255, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.unique_id

    def status(self, now: datetime | None = None) -> str:
        """The status a client sees now, derived from the age of the task and its forced behaviour."""
        age = ((now or timezone.now()) - self.created_at).total_seconds()
        queued_until = settings.SANDBOX_QUEUED_SECONDS
        ready_until = queued_until + settings.SANDBOX_READY_SECONDS
        generating_until = ready_until + settings.SANDBOX_GENERATING_SECONDS
        if self.behaviour == Behaviour.SLOW:
            generating_until += SLOW_EXTRA_SECONDS
        if age < queued_until:
            return TaskStatus.QUEUED
        if age < ready_until:
            return TaskStatus.READY
        if age < generating_until:
            return TaskStatus.GENERATING
        if self.behaviour == Behaviour.FAIL:
            return TaskStatus.FAIL
        if self.behaviour == Behaviour.ERROR:
            return TaskStatus.ERROR
        return TaskStatus.SUCCESS

    def error_message(self, status: str) -> str:
        messages: dict[str, str] = {TaskStatus.FAIL: FAIL_MESSAGE, TaskStatus.ERROR: ERROR_MESSAGE}
        return messages.get(status, "")

    @property
    def frames(self) -> list[str]:
        return [url for url in (self.params.get("start_frame"), self.params.get("end_frame")) if url]


def _new_file_id() -> str:
    return uuid.uuid4().hex


class FileStatus(models.IntegerChoices):
    PROCESSING = 0
    READY = 1
    REJECTED = 98
    DELETED = 99


class UploadedFile(models.Model):
    file_id = models.CharField(max_length=32, unique=True, default=_new_file_id)
    service = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    path = models.CharField(max_length=255, blank=True, help_text="Relative to SANDBOX_MEDIA_ROOT.")
    size = models.PositiveBigIntegerField(default=0)
    status = models.PositiveSmallIntegerField(choices=FileStatus.choices, default=FileStatus.PROCESSING)
    created_at = models.DateTimeField(default=timezone.now)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_id} {self.name}"

    def mark_uploaded(self, relative_path: str, size: int) -> None:
        now = timezone.now()
        self.path, self.size, self.uploaded_at = relative_path, size, now
        self.status = FileStatus.PROCESSING
        self.ready_at = now + timedelta(seconds=settings.SANDBOX_FILE_READY_SECONDS)
        self.save(update_fields=["path", "size", "uploaded_at", "status", "ready_at"])

    def refresh_status(self) -> int:
        """Finish the simulated content check once its time has come; a name with `reject` fails it."""
        if self.status == FileStatus.PROCESSING and self.ready_at and self.ready_at <= timezone.now():
            self.status = FileStatus.REJECTED if "reject" in self.name.lower() else FileStatus.READY
            self.save(update_fields=["status"])
        return self.status


class RequestLog(models.Model):
    """One row per API call: the QPS window counts them, and tests count them by endpoint."""

    endpoint = models.CharField(max_length=32)
    code = models.IntegerField(null=True, blank=True, help_text="Business code; empty for a non-JSON answer.")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    fault = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Used by studio.sandbox.api.over_qps_limit, which counts the rows of its window (1 s or more).
        indexes = [models.Index(fields=["created_at"], name="sandbox_log_created")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.code}"

    @classmethod
    def prune(cls) -> None:
        """Forget calls older than a week; run on each token fetch, which happens about once a day."""
        cls.objects.filter(created_at__lt=timezone.now() - LOG_RETENTION).delete()

    @classmethod
    def counted_since(cls, since: datetime) -> int:
        """Calls since `since` that the QPS limit counts: refused calls do not use up the quota."""
        return cls.objects.filter(Q(code__isnull=True) | ~Q(code=40001), created_at__gte=since).count()
