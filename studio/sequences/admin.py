from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from studio.lib.admin import HideSecretFieldsAdmin
from studio.sequences.models import Export, ExportShareLink, Sequence, Shot


class ShotInline(admin.TabularInline[Shot, Sequence]):
    model = Shot
    fields = ["position", "generation"]
    raw_id_fields = ["generation"]
    extra = 0


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin[Sequence]):
    list_display = ["name", "project", "aspect_ratio", "clarity", "fit", "crossfade_ms", "created_at"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name", "=code"]
    readonly_fields = ["code", "created_by", "created_at"]
    raw_id_fields = ["project"]
    inlines = [ShotInline]


@admin.register(Shot)
class ShotAdmin(admin.ModelAdmin[Shot]):
    list_display = ["sequence", "position", "generation"]
    list_select_related = ["sequence", "generation"]
    raw_id_fields = ["sequence", "generation"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin[Export]):
    """Exports are made by the poller; admins see their state and errors, and may not edit them."""

    list_display = ["code", "sequence", "status", "progress", "attempts", "video_seconds", "created_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["sequence"]
    search_fields = ["=code", "sequence__name"]
    readonly_fields = [field.name for field in Export._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ExportShareLink)
class ExportShareLinkAdmin(HideSecretFieldsAdmin, admin.ModelAdmin[ExportShareLink]):
    list_display = ["export", "created_by", "created_at", "expires_at", "revoked_at"]
    list_select_related = ["export", "created_by"]
    fields = ["code", "export", "created_by", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["code", "export", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
