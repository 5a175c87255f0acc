from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from studio.lib.admin import HideSecretFieldsAdmin
from studio.workspaces.models import Invitation, Membership, Workspace, WorkspaceQuota

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _MemberCount(TypedDict):
    member_count: int


class MembershipInline(admin.TabularInline[Membership, Workspace]):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class QuotaInline(admin.StackedInline[WorkspaceQuota, Workspace]):
    model = WorkspaceQuota
    # One blank form to fill in without JavaScript; left empty, it is ignored.
    extra = 1
    max_num = 1
    fields = ["monthly_seconds", "per_member_monthly_seconds"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin[Workspace]):
    list_display = ["name", "is_personal", "created_by", "member_count", "created_at"]
    list_filter = ["is_personal"]
    search_fields = ["name", "created_by__username", "created_by__email"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    raw_id_fields = ["created_by"]
    readonly_fields = ["code", "created_at"]
    inlines = [QuotaInline, MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: WithAnnotations[Workspace, _MemberCount]) -> int:
        return obj.member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "workspace__name"]
    list_select_related = ["user", "workspace"]
    raw_id_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(HideSecretFieldsAdmin, admin.ModelAdmin[Invitation]):
    """Invitations are reviewed here; the secret token of the link is never shown."""

    list_display = [
        "workspace",
        "role",
        "email",
        "state",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_by",
    ]
    list_filter = ["role", "created_at"]
    search_fields = ["email", "workspace__name", "created_by__username", "accepted_by__username"]
    list_select_related = ["workspace", "created_by", "accepted_by"]
    date_hierarchy = "created_at"
    fields = [
        "code",
        "workspace",
        "role",
        "email",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "revoked_at",
    ]
    readonly_fields = ["code", "workspace", "created_by", "created_at", "accepted_by", "accepted_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Invitations are made from the members page, which shows and sends the link.
        return False

    @admin.display(description=_("state"))
    def state(self, obj: Invitation) -> StrOrPromise:
        return obj.state.label


@admin.register(WorkspaceQuota)
class WorkspaceQuotaAdmin(admin.ModelAdmin[WorkspaceQuota]):
    list_display = ["workspace", "monthly_seconds", "per_member_monthly_seconds", "updated_at"]
    list_editable = ["monthly_seconds", "per_member_monthly_seconds"]
    search_fields = ["workspace__name"]
    list_select_related = ["workspace"]
    raw_id_fields = ["workspace"]
