"""The admin for projects, generations and pollers: made for reviewing usage and unsticking work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from studio.accounts.models import User
from studio.generations.ledger import billed_seconds, billed_seconds_expression, is_billed
from studio.generations.lifecycle import cancel
from studio.generations.models import Favorite, Generation, Project, SavedPrompt, Status, WorkerHeartbeat
from studio.generations.quota import QuotaExceeded
from studio.generations.services import retry_generation

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _GenerationCount(TypedDict):
    generation_count: int


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["name", "workspace", "created_by", "generation_count", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["name", "description", "workspace__name", "created_by__username"]
    list_select_related = ["workspace", "created_by"]
    date_hierarchy = "created_at"
    raw_id_fields = ["workspace", "created_by"]
    readonly_fields = ["code", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return super().get_queryset(request).annotate(generation_count=Count("generations"))

    @admin.display(description=_("generations"), ordering="generation_count")
    def generation_count(self, obj: WithAnnotations[Project, _GenerationCount]) -> int:
        return obj.generation_count


# Everything the provider or the poller writes: shown, never edited by hand.
PROVIDER_FIELDS = (
    "status",
    "provider_status",
    "unique_id",
    "trace_id",
    "provider_calls",
    "attempts",
    "next_attempt_at",
    "lease_owner",
    "lease_expires_at",
    "status_changed_at",
    "submitted_at",
    "submit_uncertain_since",
    "finished_at",
    "error_kind",
    "error_message",
    "error_raw",
    "error_code",
    "error_params",
    "start_frame_url",
    "end_frame_url",
)
VIDEO_FIELDS = ("provider_video_url", "video", "poster", "video_bytes", "video_sha256", "video_seconds")


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin[Generation]):
    list_display = [
        "created_at",
        "short_prompt",
        "status",
        "provider_status",
        "workspace",
        "project",
        "created_by",
        "aspect_ratio",
        "duration",
        "clarity",
        "model_code",
        "billed",
    ]
    list_display_links = ["created_at", "short_prompt"]
    list_filter = ["status", "workspace", "model_code", "created_at", "is_sandbox"]
    search_fields = ["prompt", "created_by__username", "created_by__email", "=unique_id", "=trace_id"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace", "project", "created_by"]
    # What was asked for is history: editing it would falsify the usage ledger.
    readonly_fields = [
        "code",
        "created_at",
        "model_code",
        "is_sandbox",
        "workspace",
        "project",
        "created_by",
        "prompt",
        "aspect_ratio",
        "duration",
        "clarity",
        "start_frame",
        "end_frame",
        *PROVIDER_FIELDS,
        *VIDEO_FIELDS,
        "billed_seconds",
    ]
    fieldsets = [
        (None, {"fields": ["code", "workspace", "project", "created_by", "created_at", "prompt"]}),
        (
            _("Request and usage"),
            {
                "fields": [
                    "aspect_ratio",
                    "duration",
                    "clarity",
                    "model_code",
                    "is_sandbox",
                    "billed_seconds",
                    "start_frame",
                    "end_frame",
                ]
            },
        ),
        (_("Provider"), {"fields": PROVIDER_FIELDS}),
        (_("Video"), {"fields": VIDEO_FIELDS}),
    ]
    actions = ["retry", "poll_now", "cancel_unsubmitted"]
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(billed_seconds_sort=billed_seconds_expression)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New generations come from the studio (or the retry action), which checks the quota.
        return False

    @admin.display(description=_("prompt"))
    def short_prompt(self, obj: Generation) -> str:
        return obj.prompt if len(obj.prompt) <= 60 else f"{obj.prompt[:59]}…"

    @admin.display(description=_("billed s"), ordering="billed_seconds_sort")
    def billed(self, obj: Generation) -> int:
        return billed_seconds(obj)

    @admin.display(description=_("billed seconds"))
    def billed_seconds(self, obj: Generation) -> str:
        if is_billed(obj):
            return str(obj.duration)
        return _("0 (not billed: %(status)s)") % {"status": obj.get_status_display()}

    @admin.display(description=_("provider calls"))
    def provider_calls(self, obj: Generation) -> str:
        url = reverse("admin:chanjing_providercall_changelist")
        return format_html(
            '<a href="{}?generation_code__exact={}">{}</a>', url, obj.code, _("Open the call journal")
        )

    @admin.action(
        permissions=["change"], description=_("Retry: a new generation with the same parameters and frames")
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        created = 0
        for original in queryset.select_related("project__workspace", "created_by"):
            # Charged to the person who asked for the original, in its workspace.
            try:
                retry_generation(original, original.created_by or cast(User, request.user))
            except QuotaExceeded as refusal:
                self.message_user(request, f"{original.code}: {refusal.message}", messages.WARNING)
                continue
            created += 1
        if created:
            self.message_user(
                request,
                ngettext(
                    "Created %(count)d new generation; the poller will send it.",
                    "Created %(count)d new generations; the poller will send them.",
                    created,
                )
                % {"count": created},
                messages.SUCCESS,
            )

    @admin.action(permissions=["change"], description=_("Poll now: move the next attempt to now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        updated = queryset.filter(status__in=[Status.PENDING, Status.SUBMITTED]).update(
            next_attempt_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%(count)d generation is due now.", "%(count)d generations are due now.", updated)
            % {"count": updated},
            messages.SUCCESS,
        )

    @admin.action(permissions=["change"], description=_("Cancel generations not yet sent to the provider"))
    def cancel_unsubmitted(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        cancelled = sum(cancel(generation) for generation in queryset.filter(status=Status.PENDING))
        skipped = queryset.count() - cancelled
        self.message_user(
            request,
            ngettext("Cancelled %(count)d generation.", "Cancelled %(count)d generations.", cancelled)
            % {"count": cancelled},
            messages.SUCCESS if cancelled else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d generation was already sent or finished and was left alone.",
                    "%(count)d generations were already sent or finished and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = readonly_fields = fields = (
        "name",
        "last_cycle_at",
        "started_at",
        "stopped_at",
        "cycles",
        "submitted",
        "polled",
        "completed",
        "failed",
    )
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WorkerHeartbeat | None = None) -> bool:
        return False


@admin.register(SavedPrompt)
class SavedPromptAdmin(admin.ModelAdmin[SavedPrompt]):
    list_display = ["name", "project", "created_by", "updated_at"]
    search_fields = ["name", "text", "project__name", "created_by__username"]
    list_select_related = ["project", "created_by"]
    date_hierarchy = "created_at"
    raw_id_fields = ["project", "created_by"]
    readonly_fields = ["code", "created_at", "updated_at"]


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin[Favorite]):
    list_display = ["user", "generation", "created_at"]
    search_fields = ["user__username", "generation__prompt"]
    list_select_related = ["user", "generation"]
    raw_id_fields = ["user", "generation"]
    readonly_fields = ["created_at"]
