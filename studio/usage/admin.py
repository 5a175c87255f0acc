from __future__ import annotations

from django.contrib import admin

from studio.usage.models import WorkspaceQuota


@admin.register(WorkspaceQuota)
class WorkspaceQuotaAdmin(admin.ModelAdmin[WorkspaceQuota]):
    list_display = ["workspace", "monthly_seconds", "per_member_monthly_seconds", "updated_at"]
    list_editable = ["monthly_seconds", "per_member_monthly_seconds"]
    search_fields = ["workspace__name"]
    list_select_related = ["workspace"]
    raw_id_fields = ["workspace"]
