from __future__ import annotations

from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "studio.workspaces"
    label = "workspaces"

    def ready(self) -> None:
        from studio.workspaces import signals  # noqa: F401  (connects the receivers)
