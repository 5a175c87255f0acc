from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from studio.workspaces.models import Membership, bump_directory, personal_workspace_for

if TYPE_CHECKING:
    from studio.accounts.models import User


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_personal_workspace(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        personal_workspace_for(instance)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def user_renamed(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    """A username shows in the galleries' "Made by" choices of every workspace the person is in."""
    fields = kwargs.get("update_fields")
    if created or kwargs.get("raw") or (fields is not None and "username" not in fields):
        return
    bump_directory(Membership.objects.filter(user_id=instance.pk).values_list("workspace_id", flat=True))


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def members_changed(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        bump_directory([instance.workspace_id])
