from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from studio.generations.models import Project, SavedPrompt
from studio.workspaces.models import bump_directory


@receiver(post_save, sender=Project)
@receiver(post_delete, sender=Project)
def projects_changed(sender: type[Project], instance: Project, **kwargs: Any) -> None:
    """A project's name, archive or trash state shows in the galleries' project choices."""
    if not kwargs.get("raw"):
        bump_directory([instance.workspace_id])


@receiver(post_save, sender=SavedPrompt)
@receiver(post_delete, sender=SavedPrompt)
def saved_prompts_changed(sender: type[SavedPrompt], instance: SavedPrompt, **kwargs: Any) -> None:
    """The project page keeps its prompt library under the workspace's directory_version."""
    if not kwargs.get("raw"):
        bump_directory(Project.objects.filter(pk=instance.project_id).values_list("workspace_id", flat=True))
