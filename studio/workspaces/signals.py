from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from studio.workspaces.models import personal_workspace_for

if TYPE_CHECKING:
    from studio.accounts.models import User


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_personal_workspace(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        personal_workspace_for(instance)
