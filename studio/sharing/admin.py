from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from studio.lib.admin import HideSecretFieldsAdmin
from studio.sharing.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(HideSecretFieldsAdmin, admin.ModelAdmin[ShareLink]):
    """Share links are reviewed and revoked here; the token itself is never shown."""

    list_display = [
        "generation",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "hide_prompt",
        "live",
    ]
    list_filter = ["hide_prompt", "created_at"]
    search_fields = ["generation__prompt", "created_by__username", "=code"]
    list_select_related = ["generation", "created_by"]
    date_hierarchy = "created_at"
    fields = ["code", "generation", "created_by", "created_at", "expires_at", "revoked_at", "hide_prompt"]
    readonly_fields = ["code", "generation", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(boolean=True, description=_("live"))
    def live(self, obj: ShareLink) -> bool:
        return obj.is_live

    @admin.action(description=_("Revoke the selected share links"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        links = list(queryset.filter(revoked_at__isnull=True))
        for link in links:
            link.revoke()
        count = len(links)
        self.message_user(
            request, ngettext("%d link revoked.", "%d links revoked.", count) % count, messages.SUCCESS
        )
