"""The sandbox's state, visible to admins for inspection; rows are made by the API, not by hand."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from studio.lib.admin import HideSecretFieldsAdmin
from studio.sandbox.models import AccessToken, RequestLog, Task, UploadedFile


class ReadOnlyAdmin(admin.ModelAdmin[Model]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AccessToken)
class AccessTokenAdmin(HideSecretFieldsAdmin, ReadOnlyAdmin):
    # In sandbox mode this is the studio's own provider token: never listed, shown or searchable.
    list_display = ["app_id", "created_at", "expires_at", "replaced_at"]
    list_filter = ["app_id"]
    fields = ["app_id", "created_at", "expires_at", "replaced_at"]
    readonly_fields = ["app_id", "created_at", "expires_at", "replaced_at"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["unique_id", "created_at", "behaviour", "current_status", "prompt"]
    list_filter = ["behaviour"]
    search_fields = ["unique_id", "prompt"]

    @admin.display(description="status now")
    def current_status(self, task: Task) -> str:
        return task.status()


@admin.register(UploadedFile)
class UploadedFileAdmin(ReadOnlyAdmin):
    list_display = ["file_id", "name", "mime_type", "size", "status", "created_at", "ready_at"]
    list_filter = ["status"]
    search_fields = ["file_id", "name"]


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "code", "http_status", "fault"]
    list_filter = ["endpoint", "code", "fault"]
