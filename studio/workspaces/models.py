from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from studio.accounts.models import User


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


WRITE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR})
MANAGE_ROLES = frozenset({Role.OWNER, Role.ADMIN})


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> WorkspaceQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user.pk)


class Workspace(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80)
    is_personal = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Goes up whenever the names listed on the workspace's pages change: its projects, its
    # members, their usernames, its saved prompts (studio.workspaces.signals and
    # studio.generations.signals). Gallery filter bars and project pages are kept under it.
    directory_version = models.PositiveIntegerField(default=0, editable=False)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-is_personal", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only bump_directory() writes the version: a rename saved from a copy read earlier must
        # not put back an older number, which would bring back a filter bar kept under it.
        if self.pk is not None and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "directory_version"
            ]
        super().save(*args, **kwargs)


def bump_directory(workspace_ids: Iterable[int]) -> None:
    """The workspaces' projects, members, member names or saved prompts changed."""
    Workspace.objects.filter(pk__in=list(workspace_ids)).update(directory_version=F("directory_version") + 1)


class LastOwnerError(Exception):
    """The change would leave a workspace without an owner."""


class Membership(models.Model):
    # Not stored: set by the members page for the rows the viewer may change.
    manageable: bool

    # The public id of a membership in URLs (members page actions); integer ids stay on the server.
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the person last switched to this workspace: the one they land in at their next sign-in.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGE_ROLES

    def may_manage(self, other: Membership, role: str | None = None) -> bool:
        """Owners and admins manage members, but only owners touch owners or make new ones."""
        if not self.can_manage:
            return False
        touches_owner = other.role == Role.OWNER or role == Role.OWNER
        return self.role == Role.OWNER or not touches_owner

    def change_role(self, role: str) -> None:
        with transaction.atomic():
            if role != Role.OWNER and self._is_last_owner():
                raise LastOwnerError
            self.role = role
            self.save(update_fields=["role"])

    def end(self) -> None:
        """Remove the member or let them leave. What they made stays with the workspace."""
        with transaction.atomic():
            if self._is_last_owner():
                raise LastOwnerError
            self.delete()

    def _is_last_owner(self) -> bool:
        # Locking every owner row makes two owners who demote each other at once wait in turn.
        owners = list(
            Membership.objects.select_for_update()
            .filter(workspace_id=self.workspace_id, role=Role.OWNER)
            .values_list("pk", flat=True)
        )
        return owners == [self.pk]


def personal_workspace_for(user: User) -> Workspace:
    """Every user owns exactly one personal workspace; it is created on first need."""
    workspace = Workspace.objects.filter(is_personal=True, created_by=user).first()
    if workspace is None:
        workspace = Workspace.objects.create(name=user.get_username(), is_personal=True, created_by=user)
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


def create_team_workspace(user: User, name: str) -> Workspace:
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, created_by=user)
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


INVITATION_LIFETIME = timedelta(days=7)


def new_token() -> str:
    """256 bits from the OS: a link nobody can guess."""
    return secrets.token_urlsafe(32)


def default_invitation_expiry() -> datetime:
    return timezone.now() + INVITATION_LIFETIME


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Used")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, now: datetime | None = None) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class Invitation(models.Model):
    # `code` names the invitation on the members page; `token` is the secret in the link.
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.EDITOR)
    email = models.EmailField(_("email"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} invitation to {self.workspace}"

    @property
    def state(self) -> InvitationState:
        if self.accepted_at:
            return InvitationState.ACCEPTED
        if self.revoked_at:
            return InvitationState.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    def is_meant_for(self, user: User) -> bool:
        return not self.email or self.email.casefold() == (user.email or "").casefold()

    def accept(self, user: User) -> Membership | None:
        """Join the workspace; None when the invitation stopped being pending meanwhile.

        Someone who is already a member keeps their role: an invitation never demotes.
        """
        with transaction.atomic():
            fresh = Invitation.objects.select_for_update().get(pk=self.pk)
            if fresh.state != InvitationState.PENDING:
                return None
            membership, _created = Membership.objects.get_or_create(
                workspace_id=self.workspace_id, user=user, defaults={"role": self.role}
            )
            self.accepted_by, self.accepted_at = user, timezone.now()
            self.save(update_fields=["accepted_by", "accepted_at"])
        return membership

    def revoke(self) -> None:
        if self.state == InvitationState.PENDING:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class WorkspaceQuota(models.Model):
    """Seconds of video per calendar month (studio time zone); no row means no limit.

    The row is also the lock that serialises quota checks: see studio.generations.quota.reserve.
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="quota")
    monthly_seconds = models.PositiveIntegerField(
        _("seconds per month"), help_text=_("Seconds of video the whole workspace may generate a month.")
    )
    per_member_monthly_seconds = models.PositiveIntegerField(
        _("seconds per member per month"),
        null=True,
        blank=True,
        help_text=_("Optional cap for each member; empty means members share the workspace's seconds."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "usage_workspacequota"  # made by the usage app, which no longer owns it
        verbose_name = _("workspace quota")
        verbose_name_plural = _("workspace quotas")

    def __str__(self) -> str:
        return f"{self.workspace}: {self.monthly_seconds} s/month"
