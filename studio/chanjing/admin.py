from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from studio.chanjing.models import ProviderCall, ProviderRateSlot, ProviderToken
from studio.lib.admin import HideSecretFieldsAdmin


class ReadOnlyAdmin(admin.ModelAdmin[Model]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "code",
        "http_status",
        "ok",
        "trace_id",
        "latency_ms",
        "generation_code",
    ]
    list_filter = ["endpoint", "code", "ok"]
    search_fields = ["trace_id", "msg", "generation_code"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "created_at",
        "endpoint",
        "http_status",
        "code",
        "msg",
        "trace_id",
        "latency_ms",
        "ok",
        "attempt",
        "generation_code",
        "process",
    )
    list_per_page = 100


@admin.register(ProviderToken)
class ProviderTokenAdmin(HideSecretFieldsAdmin, ReadOnlyAdmin):
    # The token itself is a live credential: it is never listed, shown or searchable.
    list_display = ["base_url", "app_id", "expires_at", "updated_at"]
    fields = readonly_fields = ("base_url", "app_id", "expires_at", "updated_at")


@admin.register(ProviderRateSlot)
class ProviderRateSlotAdmin(admin.ModelAdmin[ProviderRateSlot]):
    """The deployment-wide rate limiter's row: shown for diagnosis, written only by the limiter."""

    list_display = ["key", "next_free_at"]
    readonly_fields = ["key", "next_free_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
