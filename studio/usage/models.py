"""What a workspace may generate in a calendar month. Usage itself is read off the generations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.workspaces.models import Workspace


class WorkspaceQuota(models.Model):
    """Seconds of video per calendar month (studio time zone); no row means no limit.

    The row is also the lock that serialises quota checks: see studio.usage.quota.reserve.
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
        verbose_name = _("workspace quota")
        verbose_name_plural = _("workspace quotas")

    def __str__(self) -> str:
        return f"{self.workspace}: {self.monthly_seconds} s/month"
